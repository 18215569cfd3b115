"""One row per disclosure of a subject's data to a state body or a third party."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db


class Disclosure(db.Model):
    """A transfer of the subject's data, recorded by staff with its legal basis."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    #: a policy clause: 3.4.1, 3.4.2, 3.5.1, 3.5.2
    basis: Mapped[str] = mapped_column(String(8))
    #: which data was passed, in words
    categories: Mapped[str] = mapped_column(Text)
    disclosed_on: Mapped[date]
    #: the request's reference (an official letter's number, a contract)
    reference: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
