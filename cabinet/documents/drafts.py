"""Files kept on a form's preview: checked and hashed as any upload, listed and removable, taken by the form when it
is sent (they become its documents, the same bytes under the same hash), swept after a day when it never is."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from cabinet.audit import trail
from cabinet.database import utcnow
from cabinet.documents import storage
from cabinet.documents.models import Document, UploadDraft
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.messages import ngettext

#: a draft not sent within this long is deleted by the periodic uploads sweep
MAX_AGE = timedelta(days=1)


def of_form(owner, purpose: str, token: str | None, *, complaint=None, uploaded_by=None) -> list[UploadDraft]:
    """The drafts kept for this form (its token) and this subject; another's, or another form's, are not there."""
    if not token:
        return []
    query = select(UploadDraft).where(UploadDraft.owner_id == owner.id, UploadDraft.purpose == purpose,
                                      UploadDraft.form_token == token)
    if complaint is not None:
        query = query.where(UploadDraft.complaint_id == complaint.id)
    if uploaded_by is not None:
        query = query.where(UploadDraft.uploaded_by_id == uploaded_by.id)
    return list(db.session.scalars(query.order_by(UploadDraft.id)))


def check_new(files, kept: list[UploadDraft]) -> list[storage.CheckedFile]:
    """Check the newly chosen files as filing does; a file already kept (the same bytes) is not added again, and the
    kept and the new together stay within the count limit."""
    checked = storage.check_uploads(files)
    kept_hashes = {d.sha256 for d in kept}  # a reloaded preview sends its files again: those are kept already
    fresh = [scan for scan in checked if scan.sha256 not in kept_hashes]
    limit = current_app.config["MAX_UPLOAD_FILES"]
    if kept and len(kept) + len(fresh) > limit:
        raise storage.UploadRejected(ngettext(
            "Attach at most %(num)d file in all, the kept ones included.",
            "Attach at most %(num)d files in all, the kept ones included.", limit))
    return fresh


def keep(scans, *, actor, subject, purpose: str, token: str, complaint=None) -> list[UploadDraft]:
    """Store checked files as the subject's drafts for this form, each recorded in the trail with its hash."""
    kept = []
    for scan in scans:
        key = secrets.token_hex(20)
        path = storage.upload_dir() / key
        storage.remove_on_rollback(path)
        storage.write_durably(path, scan.data)
        draft = UploadDraft(owner_id=subject.id, uploaded_by_id=actor.id, purpose=purpose,
                            complaint_id=getattr(complaint, "id", None), form_token=token,
                            original_name=scan.name, content_type=scan.content_type, size=len(scan.data),
                            sha256=scan.sha256, storage_key=key)
        db.session.add(draft)
        db.session.flush()
        trail.record("document.draft_kept", actor=actor, subject=subject, obj=draft,
                     details={"purpose": purpose, "name": scan.name, "sha256": scan.sha256})
        kept.append(draft)
    return kept


def remove(draft: UploadDraft, *, actor) -> None:
    """The person takes a kept file off the form: the row goes now, the file once that commits."""
    if not _claim(draft):
        return  # sent or swept meanwhile
    trail.record("document.draft_removed", actor=actor, subject=draft.owner_id, obj=draft,
                 details={"purpose": draft.purpose, "name": draft.original_name, "sha256": draft.sha256})
    storage.delete_after_commit([storage.upload_dir() / draft.storage_key])


def take(drafts: list[UploadDraft], *, actor, subject, kind: str, attached_id=None) -> list[Document]:
    """The sent form's kept files become the subject's documents: the same stored bytes, checked against the hash
    taken at the preview. A file gone or changed meanwhile refuses the whole form (UploadRejected)."""
    documents = []
    for draft in drafts:
        if _stored_hash(draft) != draft.sha256 or not _claim(draft):
            raise storage.UploadRejected(_("The kept file %(name)s is no longer available: remove it and choose it "
                                           "again.", name=draft.original_name))
        document = Document(owner_id=subject.id, uploaded_by_id=actor.id, kind=kind, attached_id=attached_id,
                            original_name=draft.original_name, content_type=draft.content_type, size=draft.size,
                            sha256=draft.sha256, storage_key=draft.storage_key)
        db.session.add(document)
        db.session.flush()
        trail.record("document.uploaded", actor=actor, subject=subject, obj=document,
                     details={"kind": kind, "name": draft.original_name, "sha256": draft.sha256, "draft": draft.id})
        documents.append(document)
    return documents


def expire(max_age: timedelta = MAX_AGE) -> int:
    """Delete the drafts older than max_age that no form took (run by the uploads sweep); each is recorded for its
    subject, and the sweep as a whole once."""
    stale = list(db.session.scalars(select(UploadDraft).where(UploadDraft.created_at <= utcnow() - max_age)
                                    .order_by(UploadDraft.id)))
    removed = 0
    for draft in stale:
        if _claim(draft):
            trail.record("document.draft_expired", subject=draft.owner_id, obj=draft,
                         details={"purpose": draft.purpose, "name": draft.original_name, "sha256": draft.sha256})
            storage.delete_after_commit([storage.upload_dir() / draft.storage_key])
            removed += 1
    trail.record("documents.drafts_swept", details={"removed": removed,
                                                    "older_than_hours": max_age // timedelta(hours=1)})
    return removed


def discard_all(subject) -> int:
    """The subject's data is destroyed: their drafts go too, files after the commit."""
    found = list(db.session.scalars(select(UploadDraft).where(UploadDraft.owner_id == subject.id)))
    for draft in found:
        if _claim(draft):
            storage.delete_after_commit([storage.upload_dir() / draft.storage_key])
    return len(found)


def _claim(draft: UploadDraft) -> bool:
    """Delete the draft's row if it is still there: of a filing, a removal and the sweep, exactly one wins."""
    gone = db.session.execute(delete(UploadDraft).where(UploadDraft.id == draft.id)
                              .execution_options(synchronize_session=False)).rowcount
    if draft in db.session:
        db.session.expunge(draft)  # its loaded values still name it in the trail; the session forgets the row
    return bool(gone)


def _stored_hash(draft: UploadDraft) -> str | None:
    try:
        return hashlib.sha256((storage.upload_dir() / draft.storage_key).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
