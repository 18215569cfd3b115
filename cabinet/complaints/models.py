"""Complaints, their append-only timeline, attachments per step, staff notes, the yearly number counter and
the frozen document versions with their rendered PDFs."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet.accounts.models import User
from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db

#: statuses in which the operator still owes an answer
OPEN_STATUSES = ("registered", "under_review")
CLOSED_STATUSES = ("answered", "withdrawn")
STATUSES = (*OPEN_STATUSES, *CLOSED_STATUSES)
#: open means not closed, spelled as the partial index below spells it (a planner matches the text). NOT IN, because
#: no other index can serve it: with IN, SQLite without statistics would take the status index and sort every match
IS_OPEN = text("status NOT IN ('answered', 'withdrawn')")


class ComplaintCounter(db.Model):
    """One row per year of receipt; incrementing it first serialises concurrent filings."""

    __tablename__ = "complaint_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: the last sequence number given out in that year
    value: Mapped[int] = mapped_column(default=0)


class Complaint(db.Model):
    """A filed complaint as received: its text never changes; what happens next is in its events."""

    __tablename__ = "complaints"
    __table_args__ = (
        # the queue filtered by a status, or not at all: by due date, a page from any point on
        Index("ix_complaints_status_due_on", "status", "due_on", "id"),
        Index("ix_complaints_due_on", "due_on", "id"),
        # the staff queue's default view: open complaints by due date, however many were answered before
        Index("ix_complaints_open_due_on", "due_on", "id", sqlite_where=IS_OPEN, postgresql_where=IS_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: registration number, e.g. BE-2026-000123; never reused
    number: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: who filed it: the subject, or staff acting on the subject's behalf
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_line: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: 30 working days after the day of receipt in the operator's zone; set once at filing
    due_on: Mapped[date]
    #: cached from the events: "registered", "under_review", "answered" or "withdrawn"
    status: Mapped[str] = mapped_column(String(16), default="registered")
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the form's one-time token: the same submission sent twice files one complaint
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)

    complainant: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ComplaintEvent(db.Model):
    """One step of the timeline (registered, under review, supplement, answered, withdrawn); never changed."""

    __tablename__ = "complaint_events"
    __table_args__ = (Index("ix_complaint_events_complaint_at", "complaint_id", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    #: "registered", "under_review", "supplement", "answered", "withdrawn"
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the supplement's or the answer's text; None for plain status steps
    text: Mapped[str | None] = mapped_column(Text)
    #: the form's one-time token for steps created from a form (supplement, answer)
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class ComplaintAttachment(db.Model):
    """Which step a stored document belongs to (the filing, a supplement or the answer)."""

    __tablename__ = "complaint_attachments"

    event_id: Mapped[int] = mapped_column(ForeignKey("complaint_events.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)


class ComplaintNote(db.Model):
    """Staff's internal note on a complaint; never shown to the subject, printed or exported."""

    __tablename__ = "complaint_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)

    author: Mapped[User | None] = relationship(lazy="joined")


class ComplaintVersion(db.Model):
    """One numbered document version of a complaint: a canonical JSON snapshot of all it shows; never changed.

    Version 1 is the filing; a supplement, the answer or a withdrawal adds the next one, showing the filing plus
    what was added. The verification code is an HMAC over `snapshot` under the key named by `key_id`.
    """

    __tablename__ = "complaint_versions"
    __table_args__ = (UniqueConstraint("complaint_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    #: 1, 2, 3 … per complaint
    number: Mapped[int]
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the timeline step that made it (the filing, a supplement, the answer, the withdrawal)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_events.id", ondelete="CASCADE"))
    #: canonical JSON (sorted keys, no spaces, UTF-8): the exact text the code is computed over
    snapshot: Mapped[str] = mapped_column(Text)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    #: the verification key the code is made with (VERIFICATION_KEYS)
    key_id: Mapped[str] = mapped_column(String(16))
    #: made after the fact from the data as it then stood (complaints filed before snapshots existed)
    reconstructed: Mapped[bool] = mapped_column(default=False)


class ComplaintRendering(db.Model):
    """A version's PDF in one language, rendered and sealed once: every download serves these very bytes.

    Stored as a row, not a file: it commits or rolls back with the version, is backed up with the database
    and cannot be left half-written or orphaned.
    """

    __tablename__ = "complaint_renderings"
    __table_args__ = (UniqueConstraint("version_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("complaint_versions.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(5))
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
