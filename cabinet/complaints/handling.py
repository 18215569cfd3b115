"""The operator's side of complaints read back: the queue, a complaint by its number, the internal notes."""

from dataclasses import dataclass

from sqlalchemy import func, select

from cabinet.accounts.models import User
from cabinet.complaints.models import IS_OPEN, OPEN_STATUSES, STATUSES, Complaint, ComplaintNote
from cabinet.extensions import db
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


def notes(complaint) -> list[ComplaintNote]:
    return list(db.session.scalars(select(ComplaintNote).where(ComplaintNote.complaint_id == complaint.id)
                                   .order_by(ComplaintNote.at, ComplaintNote.id)))
