"""The operator's side of a complaint: the queue, review, the answer, internal notes, recorded views."""

from dataclasses import dataclass

from sqlalchemy import func, select

from cabinet.accounts.models import User
from cabinet.acting import duties
from cabinet.audit import trail
from cabinet.complaints import versions
from cabinet.complaints.models import IS_OPEN, OPEN_STATUSES, STATUSES, Complaint, ComplaintNote
from cabinet.complaints.service import (
    CLOSED,
    EXPIRED,
    ComplaintError,
    append_event,
    attach,
    claim,
    event_by_token,
    notify,
)
from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l
from cabinet.paging import Page, page_of
from cabinet.workdays.deadlines import QUEUE_SOON
from cabinet.workdays.service import calendar

#: the queue's filters: "open" (the default), each status, or everything
FILTERS = ("open", *STATUSES, "all")


@dataclass
class QueuePage(Page):
    """One page of the queue (rows of Complaint, given_name, surname), with the dates that mark rows as overdue
    or due soon."""

    today: object = None
    soon_until: object = None


def complaint_by_number(number: str) -> Complaint | None:
    """Any subject's complaint: only staff pages look complaints up this way."""
    return db.session.scalar(select(Complaint).where(Complaint.number == number))


def queue(status: str, today, *, number: int = 1, after: str | None = None, before: str | None = None) -> QueuePage:
    """Complaints by due date, filtered by status, one page of them with the complainants' names.

    The open ones come through a partial index in due-date order, so the page costs the same however many
    complaints were answered before; the next and previous pages start from a cursor (`paging`), however deep;
    the count needs no join (every complaint has its complainant).
    """
    query = select(Complaint, User.given_name, User.surname).join(User, User.id == Complaint.user_id)
    counted = select(func.count()).select_from(Complaint)
    if status == "open":
        query, counted = query.where(IS_OPEN), counted.where(Complaint.status.in_(OPEN_STATUSES))
    elif status in STATUSES:
        query, counted = query.where(Complaint.status == status), counted.where(Complaint.status == status)
    found = page_of(query, counted, number, after=after, before=before, keys=(Complaint.due_on, Complaint.id))
    return QueuePage(**vars(found), today=today, soon_until=calendar().add_working_days(today, QUEUE_SOON))


def record_view(complaint, *, actor, what: str = "viewed", **details) -> None:
    """Every staff look at a complaint goes into the trail, so the subject's access log shows it."""
    trail.record(f"complaint.{what}", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number, **details})


def take_under_review(complaint, *, actor) -> None:
    duties.check("complaint", actor=actor, subject=complaint.user_id)
    if not claim(complaint, ("registered",), "under_review"):
        raise ComplaintError(_l("Only a newly registered complaint can be taken under review."), code="not_registered")
    append_event(complaint, "under_review", actor=actor)
    trail.record("complaint.under_review", actor=actor, subject=complaint.complainant, obj=complaint,
                 details={"number": complaint.number})


def answer(complaint, text: str, scans: list, *, actor, token: str, kept=()) -> bool:
    """Give the operator's answer once, with the files kept on its confirmation and the new ones; the same form sent
    twice answers once. True when answered now."""
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
    return True


def send_answer_notice(complaint) -> None:
    notify(complaint, "complaint_answered")


def add_note(complaint, text: str, *, actor, token: str) -> ComplaintNote:
    """An internal note; the trail records that one was added, never its text.

    The notes are the operator's deliberation on the complaint: a staff member acting for the complainant adds
    none (what the complainant wants said goes into a supplement, in their cabinet).
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


def notes(complaint) -> list[ComplaintNote]:
    return list(db.session.scalars(select(ComplaintNote).where(ComplaintNote.complaint_id == complaint.id)
                                   .order_by(ComplaintNote.at, ComplaintNote.id)))
