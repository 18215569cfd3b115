"""What the operator's own side keeps: the daily deadline reminders it sent."""

from datetime import date, datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db


class DeadlineReminder(db.Model):
    """One day's reminder to one audience: made once a day however often the job runs, with what it listed."""

    __tablename__ = "deadline_reminders"
    __table_args__ = (UniqueConstraint("day", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    #: "support" (due within the warning window) or "admins" (overdue: escalated)
    audience: Mapped[str] = mapped_column(String(10))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: [[kind, reference, due date], …] as listed in the mail
    items: Mapped[list] = mapped_column(JSON, default=list)
    recipients: Mapped[int] = mapped_column(default=0)
