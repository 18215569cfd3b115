"""The mail queue: a message is stored in the transaction that caused it; the row is the truth about its delivery."""

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db

#: queued → sending → sent | failed; a sending mail whose lease ran out (its worker died) is claimable again
STATES = ("queued", "sending", "sent", "failed")


class OutgoingMail(db.Model):
    """One rendered message with its Message-ID fixed at queueing, so a receiver can drop a rare second copy."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    #: the template's name (reset, complaint_received…), for the operator's eyes; the body is in message
    template: Mapped[str] = mapped_column(String(64))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    message_id: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: a queued mail is not tried before this moment (the back-off after a failed attempt)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a sending mail belongs to the worker that claimed it until then; after, it may be claimed again
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the claim's random token: only the worker holding it records the outcome
    claim: Mapped[str | None] = mapped_column(String(32))
    #: what the notice is about ("complaint:12"), so the pages can show its real state
    regarding: Mapped[str | None] = mapped_column(String(64), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
