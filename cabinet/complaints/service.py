"""What the complaint operations share (claiming the row, the timeline step, the attachments, the notices) and the
subject's side read back: their complaints, the due date, the export."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, select, update

from cabinet.complaints.models import OPEN_STATUSES, Complaint, ComplaintAttachment, ComplaintEvent
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


#: a complaint's page asks first: built once
OWN_COMPLAINT = select(Complaint).where(Complaint.number == bindparam("number"),
                                        Complaint.user_id == bindparam("user_id"))


def own_complaint(subject, number: str) -> Complaint | None:
    """The subject's complaint with this number; anybody else's is None."""
    return db.session.scalar(OWN_COMPLAINT, {"number": number, "user_id": subject.id})


#: asked on the overview and the complaints list: built once (building it costs a third of running it)
COMPLAINTS_OF = (select(Complaint).where(Complaint.user_id == bindparam("user_id"))
                 .order_by(Complaint.received_at.desc(), Complaint.id.desc()))


def complaints_of(subject) -> list[Complaint]:
    return list(db.session.scalars(COMPLAINTS_OF, {"user_id": subject.id}))


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


def deadline(complaint: Complaint, today: date) -> Deadline:
    left = calendar().working_days_between(today, complaint.due_on)
    return Deadline(left=left, overdue=complaint.is_open and today > complaint.due_on)


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
