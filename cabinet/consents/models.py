"""Consent events: granted, declined or withdrawn, by whom, through which channel, under which policy."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db
from cabinet.policies.models import PolicyVersion

if TYPE_CHECKING:
    from cabinet.accounts.models import User


class ConsentEvent(db.Model):
    """One decision about one purpose; the latest per purpose is the current state."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_user_purpose", "user_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: a code from consents.purposes
    purpose: Mapped[str] = mapped_column(String(20))
    #: "grant", "decline" (not given at registration) or "withdraw"
    action: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: "registration", "cabinet", "staff"
    channel: Mapped[str] = mapped_column(String(16))
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))

    policy_version: Mapped[PolicyVersion | None] = relationship(lazy="joined")
    actor: Mapped["User | None"] = relationship("User", foreign_keys=[actor_id], lazy="joined")

    @property
    def granted(self) -> bool:
        return self.action == "grant"


class Withdrawal(db.Model):
    """A request to withdraw all consent (law art. 8): refused with reasons, or scheduled and carried out."""

    __tablename__ = "withdrawals"
    #: the review queue and the deadlines page: scheduled withdrawals by due date, a page from any point on
    __table_args__ = (Index("ix_withdrawals_scheduled_due_on", "due_on", "id",
                            sqlite_where=text("status = 'scheduled'"), postgresql_where=text("status = 'scheduled'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "refused" (an obligation is unfinished), "scheduled" (processing stopped), "done" (data destroyed)
    status: Mapped[str] = mapped_column(String(10))
    #: the operator's deadline: 15 working days from the request
    due_on: Mapped[date | None]
    #: for a refusal, the unfinished obligations that are its reasons
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what was kept after destruction and the law that requires it
    kept: Mapped[list] = mapped_column(JSON, default=list)
