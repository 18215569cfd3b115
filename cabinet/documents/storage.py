"""Checking uploads by their content and keeping them outside the static folder."""

import hashlib
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import abort, current_app, send_file
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from cabinet import errors
from cabinet.audit import labels, trail
from cabinet.documents.active import active_content
from cabinet.documents.models import Document, UploadDraft
from cabinet.extensions import db
from cabinet.messages import decimal, ngettext
from cabinet.messages import gettext as _
from cabinet.messages import lazy_gettext as _l

labels.register_actions({
    "document.uploaded": _l("Document uploaded"),
    "document.downloaded": _l("Document downloaded"),
    "document.draft_kept": _l("File attached to a form not yet sent"),
    "document.draft_removed": _l("File removed from a form not yet sent"),
    "document.draft_expired": _l("File of a form not sent within a day deleted"),
})

#: content signatures we accept, and the type we serve them as
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
#: the extension each checked type is stored and served under, whatever the client called the file
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
#: how many inflated bytes a PDF's compressed objects may reach, as a multiple of the upload limit
INFLATE_FACTOR = 8


class UploadRejected(ValueError):
    """An upload that is not a scan we accept; the message is shown to the user."""


@dataclass
class CheckedFile:
    """An upload that passed the checks, held in memory until it is stored."""

    name: str
    content_type: str
    data: bytes
    sha256: str


def sniff(data: bytes) -> str | None:
    """The content type by signature, whatever the file name says."""
    return next((ctype for magic, ctype in SIGNATURES if data.startswith(magic)), None)


def _clean_name(name: str | None) -> str:
    name = unicodedata.normalize("NFC", os.path.basename((name or "").replace("\\", "/")))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*')
    return name.strip()[:200] or "document"


def named_as(name: str, ctype: str | None) -> str:
    """The client's name with the extension of what the content is: a PDF called poly.html is poly.pdf."""
    extension = EXTENSIONS.get(ctype, ".bin")
    stem = name.rsplit(".", 1)[0].strip(" .") or name.strip(" .")
    return (stem[:200 - len(extension)].rstrip(" .") or "document") + extension


def _active_pdf(reason: str, name: str) -> str:
    """Why a PDF that could act when opened is refused, and what to send instead."""
    return {
        "script": _("The file %(name)s is a PDF with JavaScript in it, which could run when it is opened. Such files "
                    "are not accepted: print it to a new PDF or scan the paper again.", name=name),
        "launch": _("The file %(name)s is a PDF that can start a program when it is opened. Such files are not "
                    "accepted: print it to a new PDF or scan the paper again.", name=name),
        "embedded": _("The file %(name)s is a PDF with other files inside it. Such files are not accepted: print it "
                      "to a new PDF or scan the paper again.", name=name),
        "actions": _("The file %(name)s is a PDF with actions that run by themselves when it is opened or read. Such "
                     "files are not accepted: print it to a new PDF or scan the paper again.", name=name),
        "media": _("The file %(name)s is a PDF with embedded multimedia (Flash or video). Such files are not "
                   "accepted: print it to a new PDF or scan the paper again.", name=name),
        "xfa": _("The file %(name)s is a PDF with an interactive XFA form. Such files are not accepted: print it to "
                 "a new PDF or scan the paper again.", name=name),
        "encrypted": _("The file %(name)s is an encrypted or password-protected PDF, so its content cannot be "
                       "checked. Save a copy without protection, print it to a new PDF or scan the paper again.",
                       name=name),
        "unchecked": _("The file %(name)s is a PDF compressed so much that it cannot be checked. Print it to a new "
                       "PDF or scan the paper again.", name=name),
    }[reason]


def megabytes(size: int) -> str:
    """A size in megabytes as the reader's language writes numbers: 10, or 2,5."""
    return decimal(size / 2**20, "#,##0.#")


def max_upload_mb() -> str:
    """What one file may weigh, for the forms' hints and the refusals: the setting, never a number in a text."""
    return megabytes(current_app.config["MAX_UPLOAD_BYTES"])


def _upload_limits() -> dict:
    return {"size": max_upload_mb(), "total": megabytes(current_app.config["MAX_CONTENT_LENGTH"])}


errors.register_figures(413, _upload_limits)


def check_uploads(files, *, required: bool = False) -> list[CheckedFile]:
    """Read and check every upload (count, size, content) before anything is written."""
    files = [f for f in files or () if f and getattr(f, "filename", "")]
    limit, max_bytes = current_app.config["MAX_UPLOAD_FILES"], current_app.config["MAX_UPLOAD_BYTES"]
    if required and not files:
        raise UploadRejected(_("Attach at least one scanned document (PDF, JPEG or PNG)."))
    if len(files) > limit:
        raise UploadRejected(
            ngettext("Attach at most %(num)d file.", "Attach at most %(num)d files.", limit)
        )
    checked = []
    for upload in files:
        data = upload.read(max_bytes + 1)
        name = _clean_name(upload.filename)
        if not data:
            raise UploadRejected(_("The file %(name)s is empty.", name=name))
        if len(data) > max_bytes:
            raise UploadRejected(_("The file %(name)s is larger than %(size)s MB.", name=name, size=max_upload_mb()))
        ctype = sniff(data)
        if ctype is None:
            raise UploadRejected(
                _("The file %(name)s is not a PDF, JPEG or PNG scan.", name=name)
            )
        if ctype == "application/pdf" and (reason := active_content(data, INFLATE_FACTOR * max_bytes)):
            raise UploadRejected(_active_pdf(reason, name))
        checked.append(CheckedFile(named_as(name, ctype), ctype, data, hashlib.sha256(data).hexdigest()))
    return checked


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(checked: CheckedFile, *, actor, subject, kind: str, attached_id=None) -> Document:
    """Write the bytes under a random name and add the document row in the caller's transaction."""
    key = secrets.token_hex(20)
    path = upload_dir() / key
    remove_on_rollback(path)  # before anything can fail, so no failure leaves an orphan file
    write_durably(path, checked.data)
    document = Document(
        owner_id=subject.id,
        uploaded_by_id=actor.id,
        kind=kind,
        attached_id=attached_id,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        storage_key=key,
    )
    db.session.add(document)
    db.session.flush()
    trail.record(
        "document.uploaded", actor=actor, subject=subject, obj=document,
        details={"kind": kind, "name": checked.name, "sha256": checked.sha256},
    )
    return document


def write_durably(path: Path, data: bytes) -> None:
    """On disk before the row commits: a crash may leave a file without its row, never a row without its file."""
    with path.open("xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def remove_on_rollback(path: Path) -> None:
    """Never leave a file without its row: the file is deleted unless the transaction commits."""
    db.session.info.setdefault("pending_files", []).append(path)


def delete_after_commit(paths) -> None:
    """Destroyed documents' files go only once the rows' deletion has committed, never before."""
    db.session.info.setdefault("doomed_files", []).extend(paths)


@event.listens_for(Session, "after_commit")
def _keep_files(session):
    session.info.pop("pending_files", None)
    for path in session.info.pop("doomed_files", ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _drop_files(session, transaction):
    """A rollback, or a session closed without commit (a request that returned early), takes its files along."""
    if transaction.parent is None:
        session.info.pop("doomed_files", None)
        for path in session.info.pop("pending_files", ()):
            path.unlink(missing_ok=True)


def path_of(document: Document) -> Path:
    return upload_dir() / document.storage_key


def send(document: Document):
    """The stored bytes as an attachment, typed and named by what they are, never by what a client or an older
    row said (rows stored before the checks named a file as the client did)."""
    path = path_of(document)
    try:
        with path.open("rb") as file:
            ctype = sniff(file.read(16))
    except FileNotFoundError:
        abort(404)
    response = send_file(path, mimetype=ctype or "application/octet-stream", as_attachment=True,
                         download_name=named_as(document.original_name, ctype), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


#: a file younger than this may belong to a transaction still open, so the sweep leaves it alone
SWEEP_MIN_AGE = timedelta(minutes=60)
SWEEP_BATCH = 1000
STORAGE_KEY = re.compile(r"[0-9a-f]{40}")


def sweep(min_age: timedelta = SWEEP_MIN_AGE) -> list[Path]:
    """Delete stored files that no document row names: what a process killed between write and commit left."""
    cutoff = time.time() - min_age.total_seconds()
    candidates = [path for path in upload_dir().iterdir() if STORAGE_KEY.fullmatch(path.name) and _older(path, cutoff)]
    orphans = []
    for start in range(0, len(candidates), SWEEP_BATCH):
        batch = {path.name: path for path in candidates[start:start + SWEEP_BATCH]}
        known = set()
        for model in (Document, UploadDraft):
            known |= set(db.session.scalars(select(model.storage_key).where(model.storage_key.in_(list(batch)))))
        orphans += [path for name, path in batch.items() if name not in known]
    for path in orphans:
        path.unlink(missing_ok=True)
    trail.record("documents.swept", details={"removed": len(orphans),
                                             "older_than_minutes": min_age // timedelta(minutes=1)})
    return orphans


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime <= cutoff
    except FileNotFoundError:  # a rolled-back upload, removed while we looked
        return False
