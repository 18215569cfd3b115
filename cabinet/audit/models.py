"""Audit events and the chain head that serialises their appending."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db


class AuditEvent(db.Model):
    """One thing that happened to a subject's data or an account; never updated, never deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject_seq", "subject_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: position in the chain, contiguous from 1; a gap or a swap breaks verification
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who acted (None for the system or an anonymous visitor)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: whose data it concerns; equal to actor_id when subjects act for themselves. No ON DELETE rule:
    #: the database must never rewrite a hashed event, so accounts are destroyed in place, not deleted
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: dotted verb, e.g. "profile.phone_changed", "document.downloaded"
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    #: what else the subject should see (a reason, a basis); never secrets
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256 under the key named by key_id (keys live in configuration, never here); events written
    #: before keys existed have no key id and a plain SHA-256, verified the old way
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(32))


class AuditHead(db.Model):
    """The one row that holds the chain's last position; updating it first locks out other appenders."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default="0" * 64)


class AuditVerification(db.Model):
    """A whole-trail verification an administrator asked for, and what the worker found: kept, so the page shows
    when the trail was last found intact and by whose request."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: "asked": the whole trail, asked for by an administrator; "daily": the whole trail, by the worker each night;
    #: "hourly": the events since the latest checkpoint, kept only when it found a break
    kind: Mapped[str] = mapped_column(String(8), default="asked")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: events verified (before the first break, if any); checkpoints read sound from the file; of those, matched
    events: Mapped[int | None]
    checkpoints: Mapped[int | None]
    anchored: Mapped[int | None]
    #: None when intact; else what broke (cabinet.audit.verification.REASONS) and where (a position, or a line of
    #: the checkpoints file)
    problem: Mapped[str | None] = mapped_column(String(16))
    position: Mapped[int | None]
