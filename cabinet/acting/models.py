"""Acting sessions: a staff member working in a subject's cabinet on a documented basis (policy 2.4)."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db

if TYPE_CHECKING:  # the people and their documents are the areas' own; mapped by name
    from cabinet.accounts.models import User
    from cabinet.documents.models import Document


class ActingSession(db.Model):
    """Who acts for whom, why, on which document, from when until when."""

    __tablename__ = "acting_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    #: the written request or power of attorney, stored as one of the subject's documents
    basis_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    #: the role the staff member acted in ("support" or "admin"), as the subject reads it afterwards
    staff_role: Mapped[str] = mapped_column(String(20), default="support", server_default="support")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "stopped" by the staff member, "expired", or None while active
    end_reason: Mapped[str | None] = mapped_column(String(10))

    staff: Mapped["User"] = relationship(foreign_keys=[staff_id], lazy="joined")
    subject: Mapped["User"] = relationship(foreign_keys=[subject_id], lazy="joined")
    basis_document: Mapped["Document | None"] = relationship(lazy="select")
