"""Stored documents: the scans people upload, and the documents the operator issues (frozen, rendered once)."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db


class Document(db.Model):
    """One uploaded file belonging to a subject; the bytes live in the upload folder."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: why it was uploaded: "registration", "correction", later "complaint", "basis"
    kind: Mapped[str] = mapped_column(String(20))
    #: the id of the object it supports within its kind (a correction request, a complaint)
    attached_id: Mapped[int | None]
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: random file name inside the upload folder, never derived from user input
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuedDocument(db.Model):
    """A document the operator issues (a consent receipt, a correction decision): its canonical snapshot, frozen
    in the transaction of the decision it records. Never updated (a trigger refuses it)."""

    __tablename__ = "issued_documents"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "consent_receipt" (ref: a consent event), "correction_decision" (ref: a correction request)
    kind: Mapped[str] = mapped_column(String(24))
    ref_id: Mapped[int]
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[str] = mapped_column(Text)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    #: made later from the data as then stored, for a decision recorded before documents were frozen
    reconstructed: Mapped[bool] = mapped_column(default=False)


class IssuedRendering(db.Model):
    """An issued document's signed PDF in one language, rendered on the first download and served ever after."""

    __tablename__ = "issued_renderings"
    __table_args__ = (UniqueConstraint("document_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("issued_documents.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(5))
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class UploadDraft(db.Model):
    """A file chosen on a form's preview, kept for the form until it is sent (then it becomes a Document) or, unsent,
    swept after a day. It is the subject's, as the document it would become."""

    __tablename__ = "upload_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the form it is kept for: "complaint" (a new complaint) or "answer" (the operator's answer to complaint_id)
    purpose: Mapped[str] = mapped_column(String(16))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    #: the form's one-time token: the drafts of one filled-in form, whoever else guesses an id
    form_token: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: random file name inside the upload folder; the filed document takes it over
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
