"""The subject's side of a complaint: filing, supplements, withdrawal, reading it back, exporting it."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update

from cabinet.audit import trail
from cabinet.complaints import versions
from cabinet.complaints.models import OPEN_STATUSES, Complaint, ComplaintAttachment, ComplaintEvent
from cabinet.complaints.numbering import assign_number, due_date
from cabinet.complaints.timeline import records
from cabinet.database import utcnow
from cabinet.documents import drafts as upload_drafts
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.domain import DomainError
from cabinet.extensions import db
from cabinet.mail import external_url, send
from cabinet.mail import notices as mail_notices
from cabinet.messages import lazy_gettext as _l
from cabinet.workdays.service import calendar


class ComplaintError(DomainError):
    """A complaint step that cannot be taken now; the message is shown to the user."""


EXPIRED = _l("The form expired. Please reload the page and send it again.")
CLOSED = _l("The complaint is closed: it has been answered or withdrawn.")


@dataclass
class Deadline:
    """Working days left until the due date (negative once past) and whether the answer is late."""

    left: int
    overdue: bool


def complaint_by_token(token: str) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.submission_token == token))


def event_by_token(token: str) -> ComplaintEvent | None:
    return db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.submission_token == token))


def own_complaint(subject, number: str) -> Complaint | None:
    """The subject's complaint with this number; anybody else's is None."""
    return db.session.scalar(select(Complaint).where(Complaint.number == number, Complaint.user_id == subject.id))


def complaints_of(subject) -> list[Complaint]:
    return list(db.session.scalars(select(Complaint).where(Complaint.user_id == subject.id)
                                   .order_by(Complaint.received_at.desc(), Complaint.id.desc())))


def append_event(complaint, kind: str, *, actor, at=None, text=None, token=None) -> ComplaintEvent:
    event = ComplaintEvent(complaint_id=complaint.id, kind=kind, at=at or utcnow(), actor_id=actor.id,
                           text=text, submission_token=token)
    db.session.add(event)
    db.session.flush()
    return event


def attach(event, scans, *, actor, subject, kept=()) -> list[Document]:
    """The files kept on the preview, then the checked new ones, as the subject's documents tied to the step."""
    documents = upload_drafts.take(list(kept), actor=actor, subject=subject, kind="complaint",
                                   attached_id=event.complaint_id)
    documents += [storage.store(scan, actor=actor, subject=subject, kind="complaint",
                                attached_id=event.complaint_id) for scan in scans]
    db.session.add_all(ComplaintAttachment(event_id=event.id, document_id=d.id) for d in documents)
    return documents


def claim(complaint, allowed: tuple, new_status: str | None = None) -> bool:
    """Lock the complaint's row if its status allows the step (and set the new status); False if not."""
    values = {"last_event_at": utcnow()}
    if new_status:
        values["status"] = new_status
    changed = db.session.execute(update(Complaint).where(Complaint.id == complaint.id,
                                                         Complaint.status.in_(allowed)).values(**values)).rowcount
    db.session.refresh(complaint)
    return bool(changed)


#: a complaint with the same subject and text as one filed this long ago or less is asked about before filing
DUPLICATE_WINDOW = timedelta(days=1)


def _same_text(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def recent_duplicate(subject, subject_line: str, body: str) -> Complaint | None:
    """The subject's complaint of the last day with the same subject and text (spacing and case aside): what
    Back and "file" again, or a second tab, would file twice."""
    since = utcnow() - DUPLICATE_WINDOW
    candidates = db.session.scalars(select(Complaint).where(Complaint.user_id == subject.id,
                                                            Complaint.received_at >= since)
                                    .order_by(Complaint.received_at.desc()))
    wanted = (_same_text(subject_line), _same_text(body))
    return next((c for c in candidates if (_same_text(c.subject_line), _same_text(c.body)) == wanted), None)


def file_complaint(subject, *, actor, subject_line: str, body: str, desired_outcome: str, scans: list,
                   token: str, kept=()) -> tuple[Complaint, bool]:
    """Register a complaint with its number and due date, its attachments the files kept on the preview plus the
    new ones; the same token twice files it once."""
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
    return complaint, True


def add_supplement(complaint, text: str, scans: list, *, actor, token: str) -> tuple[ComplaintEvent, bool]:
    """Add text and files to an open complaint; its due date stays as set at filing."""
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


def withdraw(complaint, *, actor) -> ComplaintEvent:
    """The subject takes the complaint back; nothing of it is deleted."""
    if not claim(complaint, OPEN_STATUSES, "withdrawn"):
        raise ComplaintError(CLOSED, code="closed")
    versions.ensure(complaint)
    event = append_event(complaint, "withdrawn", actor=actor)
    version = versions.add_version(complaint, event)
    trail.record("complaint.withdrawn", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number, "document_version": version.number,
                          "snapshot_sha256": version.snapshot_sha256})
    return event


def deadline(complaint: Complaint, today: date) -> Deadline:
    left = calendar().working_days_between(today, complaint.due_on)
    return Deadline(left=left, overdue=complaint.is_open and today > complaint.due_on)


def send_receipt(complaint: Complaint) -> None:
    """The acknowledgement of receipt, with the number and the due date, in the subject's language."""
    notify(complaint, "complaint_received")


def notify(complaint: Complaint, template: str) -> None:
    """Queue the complainant's mail in the step's transaction; a mail server down cannot undo the step."""
    user = complaint.complainant
    if complaint.id is None:
        db.session.flush()  # the notice names the complaint by its id
    send(user.email, template, locale=user.locale, user=user, complaint=complaint, regarding=regarding(complaint),
         link=external_url("complaints.show", number=complaint.number))


def regarding(complaint: Complaint) -> str:
    """How the complaint's notices name it (outgoing_mail.regarding)."""
    return f"complaint:{complaint.id}"


def notices(complaint: Complaint) -> list:
    """The complainant's notices about this complaint and where each is: queued, sent at …, failed."""
    return mail_notices(regarding(complaint))


def export(subject) -> list[dict]:
    """The subject's complaints for the data export: text and timeline, never staff notes."""

    def iso(value):
        return value.isoformat() if value is not None else None

    def files(step):
        return [{"name": d.original_name, "sha256": d.sha256} for d in step.documents]

    return [{
        "number": r.complaint.number, "filed_at": iso(r.complaint.received_at), "due_on": iso(r.complaint.due_on),
        "status": r.complaint.status, "subject": r.complaint.subject_line, "body": r.complaint.body,
        "desired_outcome": r.complaint.desired_outcome, "attachments": files(r.filing),
        "timeline": [{"kind": s.event.kind, "at": iso(s.event.at), "actor_id": s.event.actor_id,
                      "text": s.event.text, "attachments": files(s)} for s in r.steps],
    } for r in records(list(reversed(complaints_of(subject))))]


def owed_answers(subject) -> list[tuple[str, object]]:
    """Open complaints (policy 5.2) are owed an answer, which needs the complainant's data: they block withdrawal."""
    return list(db.session.execute(select(Complaint.number, Complaint.due_on).where(
        Complaint.user_id == subject.id, Complaint.status.in_(OPEN_STATUSES)).order_by(Complaint.id)))
