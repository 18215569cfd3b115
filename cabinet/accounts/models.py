"""Accounts and roles; the subject's current personal data is cached here, its history in profile."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db

ROLES = ("subject", "support", "translator", "admin")


class User(UserMixin, db.Model):
    """A person with an account: a data subject, a staff member, or both."""

    __tablename__ = "users"
    #: the staff search reads a stretch of one of these per kind of match, already in the order it shows
    __table_args__ = (Index("ix_users_surname_id", "surname", "id"),
                      Index("ix_users_given_name_id", "given_name", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sign-in address, stored lower-cased
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    surname: Mapped[str] = mapped_column(String(100))  # staff search: a prefix as a range (index below)
    given_name: Mapped[str] = mapped_column(String(100))  # staff search: a prefix as a range (index below)
    patronymic: Mapped[str | None] = mapped_column(String(100))
    #: E.164, e.g. +77011234567
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # staff search: the exact number
    locale: Mapped[str] = mapped_column(String(5), default="kk")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a new address waiting for confirmation from that address
    pending_email: Mapped[str | None] = mapped_column(String(254))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    previous_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped on logout and password change: every session cookie issued before stops working
    session_version: Mapped[int] = mapped_column(default=1)

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def get_id(self) -> str:
        """Flask-Login's session identity carries the version, so old cookies die with it."""
        return f"{self.id}:{self.session_version}"

    #: the role names read in the same statement as the account (accounts.views.load_user), used while `roles` is
    #: not loaded; forgotten when the instance expires (a commit, a refresh), so nothing outlives its transaction
    held_roles = None

    def _role_codes(self) -> tuple[str, ...]:
        held = self.__dict__.get("held_roles")
        if held is not None and "roles" not in self.__dict__:
            return held
        return tuple(r.role for r in self.roles)

    def has_role(self, role: str) -> bool:
        return role in self._role_codes()

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self._role_codes())

    @property
    def role_names(self) -> list[str]:
        return sorted(self._role_codes())

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


class UserRole(db.Model):
    """One role held by one account; an account may hold several."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


@event.listens_for(User, "expire")
def _forget_held_roles(user: User | None, _attributes) -> None:
    """An expired account reads its roles again, as it reads every other column again (None: already collected)."""
    if user is not None:
        user.__dict__.pop("held_roles", None)
