"""The mail queue: a message is stored in the transaction that caused it and delivered after the commit."""

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db


class OutgoingMail(db.Model):
    """One rendered message; sent_at stays empty until a mail server (or the outbox folder) took it."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    #: the template's name (reset, complaint_received…), for the operator's eyes; the body is in message
    template: Mapped[str] = mapped_column(String(64))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
