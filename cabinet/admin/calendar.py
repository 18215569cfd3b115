"""The working-day calendar page: a year at a glance, the overrides, and which deadlines a change would move."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from cabinet.complaints.models import OPEN_STATUSES, Complaint
from cabinet.consents.models import Withdrawal
from cabinet.extensions import db
from cabinet.i18n import local_zone
from cabinet.profile.models import CorrectionRequest
from cabinet.workdays.calendar import WorkCalendar
from cabinet.workdays.deadlines import COMPLAINT_ANSWER, CONSENT_WITHDRAWAL, NAME_CORRECTION
from cabinet.workdays.overrides import stored


@dataclass
class Moved:
    """An open deadline whose due date would differ under the proposed calendar."""

    kind: str
    reference: str
    due_on: date
    would_be: date


def _open_deadlines(day: date, limit: int = 500):
    """Open deadlines still running on or after the day: only those can be moved by it."""
    zone = local_zone()
    for c in db.session.scalars(select(Complaint).where(Complaint.status.in_(OPEN_STATUSES), Complaint.due_on >= day)
                                .order_by(Complaint.due_on).limit(limit)):
        yield "complaint", c.number, c.received_at.astimezone(zone).date(), COMPLAINT_ANSWER, c.due_on
    for r in db.session.scalars(select(CorrectionRequest).where(CorrectionRequest.status == "pending",
                                                                CorrectionRequest.due_on >= day).limit(limit)):
        yield "correction", str(r.id), r.created_at.astimezone(zone).date(), NAME_CORRECTION, r.due_on
    for w in db.session.scalars(select(Withdrawal).where(Withdrawal.status == "scheduled",
                                                         Withdrawal.due_on >= day).limit(limit)):
        yield "withdrawal", str(w.id), w.requested_at.astimezone(zone).date(), CONSENT_WITHDRAWAL, w.due_on


def moved_by(day: date, is_working: bool | None) -> list[Moved]:
    """Which stored due dates would be different if the day were set so (None: the override removed)."""
    overrides = {d: o.is_working for d, o in stored().items()}
    if is_working is None:
        overrides.pop(day, None)
    else:
        overrides[day] = is_working
    proposed = WorkCalendar(overrides)
    moved = []
    for kind, reference, start, days, due_on in _open_deadlines(day):
        if start < day:
            would_be = proposed.add_working_days(start, days)
            if would_be != due_on:
                moved.append(Moved(kind, reference, due_on, would_be))
    return moved
