"""Profile history and name-correction requests: nothing is overwritten, old values stay here."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet.accounts.models import User
from cabinet.acting.models import ActingSession
from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db

#: the fields of the profile whose history is kept, in display order
FIELDS = ("surname", "given_name", "patronymic", "email", "phone")


class ProfileChange(db.Model):
    """One field's change: the old value, the new one, who changed it, when and on what basis."""

    __tablename__ = "profile_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(String(254))
    new_value: Mapped[str | None] = mapped_column(String(254))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: "registration", "self", "acting" (staff on the subject's behalf), "email_confirmation", "correction"
    basis: Mapped[str] = mapped_column(String(24))
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("correction_requests.id"))
    #: the acting session a staff member made the change in, with its basis document
    acting_id: Mapped[int | None] = mapped_column(ForeignKey("acting_sessions.id", ondelete="SET NULL"))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    acting: Mapped[ActingSession | None] = relationship(lazy="select")


class CorrectionRequest(db.Model):
    """A requested name change with its supporting scan, reviewed by staff within 1 working day."""

    __tablename__ = "correction_requests"
    #: the review queue and the deadlines page: pending requests by due date, a page from any point on
    __table_args__ = (Index("ix_correction_requests_pending_due_on", "due_on", "id",
                            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the requested values, e.g. {"surname": "Ахметова"}
    changes: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    #: "pending", "approved", "rejected"
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: law art. 25 p.2(8): within one working day
    due_on: Mapped[date]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    #: the form's one-time token: the same submission sent twice creates one request
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
