"""What a person does with a complaint, one function per use case, each taking the Actor explicitly.

Each does everything its use case means (the change, the timeline step, the document version, the trail event,
the mail and the due date) in the caller's transaction and never commits: the view or command that calls it
commits at the edge (cabinet.transaction). Refusals raise a DomainError (ComplaintError, ConflictOfDuties).
service.py holds what they share (claiming the row, the timeline step, the attachments, the notices) and the
subject's queries, handling.py the operator's queue.
"""

from sqlalchemy import select

from cabinet.acting import duties
from cabinet.audit import trail
from cabinet.audit.actor import Actor
from cabinet.complaints import versions
from cabinet.complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent, ComplaintNote
from cabinet.complaints.numbering import assign_number, due_date
from cabinet.complaints.service import (
    CLOSED,
    EXPIRED,
    ComplaintError,
    append_event,
    attach,
    claim,
    complaint_by_token,
    event_by_token,
    notify,
)
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l


def file(actor: Actor, subject, *, subject_line: str, body: str, desired_outcome: str, scans: list, token: str,
         kept=()) -> tuple[Complaint, bool]:
    """File the subject's complaint, numbered and due COMPLAINT_ANSWER working days on, its attachments the files
    kept on the preview plus the new ones, and queue the receipt; the same token twice files it once (False:
    filed before)."""
    existing = complaint_by_token(token)
    if existing is not None:
        if existing.user_id != subject.id:
            raise ComplaintError(EXPIRED, code="expired")
        return existing, False
    received_at = utcnow()
    complaint = Complaint(number=assign_number(received_at), user_id=subject.id, filed_by_id=actor.id,
                          subject_line=subject_line, body=body, desired_outcome=desired_outcome,
                          received_at=received_at, due_on=due_date(received_at), status="registered",
                          last_event_at=received_at, submission_token=token)
    db.session.add(complaint)
    db.session.flush()
    event = append_event(complaint, "registered", actor=actor, at=received_at)
    documents = attach(event, scans, actor=actor, subject=subject, kept=kept)
    version = versions.freeze_filing(complaint)
    trail.record("complaint.filed", actor=actor, subject=subject, obj=complaint,
                 details={"number": complaint.number, "due_on": complaint.due_on.isoformat(),
                          "attachments": [d.sha256 for d in documents], "document_version": version.number,
                          "snapshot_sha256": version.snapshot_sha256})
    notify(complaint, "complaint_received")
    return complaint, True


def supplement(actor: Actor, complaint: Complaint, *, text: str, scans: list, token: str
               ) -> tuple[ComplaintEvent, bool]:
    """Add text and files to an open complaint; the due date stays as set at filing. The same token twice adds
    it once (False: added before)."""
    existing = event_by_token(token)
    if existing is not None:
        if existing.complaint_id != complaint.id:
            raise ComplaintError(EXPIRED, code="expired")
        return existing, False
    if not claim(complaint, OPEN_STATUSES):
        raise ComplaintError(CLOSED, code="closed")
    versions.ensure(complaint)
    event = append_event(complaint, "supplement", actor=actor, text=text, token=token)
    documents = attach(event, scans, actor=actor, subject=complaint.complainant)
    version = versions.add_version(complaint, event)
    trail.record("complaint.supplemented", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number, "attachments": [d.sha256 for d in documents],
                          "document_version": version.number, "snapshot_sha256": version.snapshot_sha256})
    return event, True


def withdraw(actor: Actor, complaint: Complaint) -> ComplaintEvent:
    """The complainant takes the complaint back; nothing of it is deleted."""
    if not claim(complaint, OPEN_STATUSES, "withdrawn"):
        raise ComplaintError(CLOSED, code="closed")
    versions.ensure(complaint)
    event = append_event(complaint, "withdrawn", actor=actor)
    version = versions.add_version(complaint, event)
    trail.record("complaint.withdrawn", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number, "document_version": version.number,
                          "snapshot_sha256": version.snapshot_sha256})
    return event


def take_under_review(actor: Actor, complaint: Complaint) -> None:
    """Staff take a newly registered complaint under review."""
    duties.check("complaint", actor=actor, subject=complaint.user_id)
    if not claim(complaint, ("registered",), "under_review"):
        raise ComplaintError(_l("Only a newly registered complaint can be taken under review."), code="not_registered")
    append_event(complaint, "under_review", actor=actor)
    trail.record("complaint.under_review", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number})


def answer(actor: Actor, complaint: Complaint, *, text: str, scans: list, token: str, kept=()) -> bool:
    """The operator's answer once, with the files kept on its confirmation and the new ones, and the notice to the
    complainant; True when answered now (the same form twice answers once and mails once)."""
    duties.check("complaint", actor=actor, subject=complaint.user_id)
    existing = event_by_token(token)
    if existing is not None:
        if existing.complaint_id != complaint.id:
            raise ComplaintError(EXPIRED, code="expired")
        return False
    if not claim(complaint, OPEN_STATUSES, "answered"):
        raise ComplaintError(CLOSED, code="closed")
    versions.ensure(complaint)
    event = append_event(complaint, "answered", actor=actor, text=text, token=token)
    documents = attach(event, scans, actor=actor, subject=complaint.complainant, kept=kept)
    version = versions.add_version(complaint, event)
    trail.record("complaint.answered", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number, "attachments": [d.sha256 for d in documents],
                          "document_version": version.number, "snapshot_sha256": version.snapshot_sha256})
    notify(complaint, "complaint_answered")
    return True


def add_note(actor: Actor, complaint: Complaint, *, text: str, token: str) -> ComplaintNote:
    """An internal note of the operator's deliberation; the trail records that one was added, never its text.

    A staff member acting for the complainant adds none (what the complainant wants said goes into a supplement,
    in their cabinet).
    """
    duties.check("complaint", actor=actor, subject=complaint.user_id)
    existing = db.session.scalar(select(ComplaintNote).where(ComplaintNote.submission_token == token))
    if existing is not None:
        if existing.complaint_id != complaint.id:
            raise ComplaintError(EXPIRED, code="expired")
        return existing
    note = ComplaintNote(complaint_id=complaint.id, author_id=actor.id, text=text, submission_token=token)
    db.session.add(note)
    db.session.flush()
    trail.record("complaint.note_added", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number})
    return note


def record_read(actor: Actor, complaint: Complaint, what: str = "viewed", **details) -> None:
    """Every look at a complaint by anyone but its complainant, and every printout or check, goes into the trail,
    so the complainant's access log shows it."""
    if what == "viewed" and actor.id == complaint.user_id:
        return
    trail.record(f"complaint.{what}", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number, **details})
