"""The figures behind /stats, per month of receipt: counts, the share answered on time, the median working days.

Two queries read one row per complaint and per correction of the last twelve months (dates and status only, never
who or what); everything else is arithmetic in Python over those rows, the working days looked up in the
calendar's per-year running counts, not walked per row. Counts only leave this module, and a small one is held
back (`SMALL`): a month with two complaints would otherwise tell a neighbour how those two were handled.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from statistics import median

from sqlalchemy import func, select

from cabinet.complaints.models import Complaint, ComplaintEvent
from cabinet.dates import local, zone
from cabinet.extensions import db
from cabinet.profile.models import CorrectionRequest
from cabinet.workdays.deadlines import COMPLAINT_ANSWER, NAME_CORRECTION
from cabinet.workdays.service import calendar

#: how many months the page covers: the current one and the eleven before it
MONTHS = 12
#: a count below this (but above zero) shows as "fewer than 5", and a share or a median over fewer rows than this
#: is not shown at all; there is no total row, so no hidden cell can be worked out by subtraction
SMALL = 5
#: the deadlines, in working days after the day of receipt
DEADLINES = {"complaints": COMPLAINT_ANSWER, "corrections": NAME_CORRECTION}


@dataclass(frozen=True)
class Month:
    """One month of one kind of request: what the page may show, already held back where too small."""

    year: int
    month: int
    received: int
    answered: int
    #: the rows the on-time share is taken over: answered, or still unanswered after their deadline
    judged: int
    on_time: int
    #: working days from receipt to answer, one per answered row
    days: tuple[int, ...]

    @property
    def share(self) -> float | None:
        """Answered by the deadline among those answered or overdue; None when too few to show."""
        return self.on_time / self.judged if self.judged >= SMALL else None

    @property
    def median_days(self) -> float | None:
        return median(self.days) if len(self.days) >= SMALL else None


@dataclass(frozen=True)
class Figures:
    """Both tables, newest month first, and the day they were computed for."""

    today: date
    complaints: tuple[Month, ...]
    corrections: tuple[Month, ...]


def months_back(today: date) -> list[tuple[int, int]]:
    """(year, month) of the current month and the ones before it, newest first."""
    index = today.year * 12 + today.month - 1
    return [divmod(index - i, 12) for i in range(MONTHS)]


def _start(today: date) -> date:
    year, month0 = months_back(today)[-1]
    return date(year, month0 + 1, 1)


def _tally(today: date, rows) -> tuple[Month, ...]:
    """rows: (received moment, due date, answered moment or None, still owed) → one Month per month, newest first."""
    cal = calendar()  # per-year running counts: each interval a lookup
    buckets = {key: {"received": 0, "answered": 0, "judged": 0, "on_time": 0, "days": []}
               for key in months_back(today)}
    for received_at, due_on, answered_at, owed in rows:
        received = local(received_at).date()
        bucket = buckets.get((received.year, received.month - 1))
        if bucket is None:
            continue
        bucket["received"] += 1
        if answered_at is not None:
            answered = min(local(answered_at).date(), today)
            bucket["answered"] += 1
            bucket["judged"] += 1
            bucket["on_time"] += answered <= due_on
            first = min(received, today)  # a clock a little ahead must not fail the page
            bucket["days"].append(cal.working_days_between(first, max(answered, first)))
        elif owed and today > due_on:
            bucket["judged"] += 1
    return tuple(Month(year, month0 + 1, b["received"], b["answered"], b["judged"], b["on_time"], tuple(b["days"]))
                 for (year, month0), b in buckets.items())


def compute(today: date) -> Figures:
    """The figures for the twelve months up to today: three queries whatever the number of rows."""
    since = datetime.combine(_start(today), time(), zone())
    answered = (select(ComplaintEvent.complaint_id, func.min(ComplaintEvent.at).label("at"))
                .where(ComplaintEvent.kind == "answered").group_by(ComplaintEvent.complaint_id).subquery())
    complaints = db.session.execute(
        select(Complaint.received_at, Complaint.due_on, answered.c.at, Complaint.status)
        .outerjoin(answered, answered.c.complaint_id == Complaint.id)
        .where(Complaint.received_at >= since)).all()
    corrections = db.session.execute(
        select(CorrectionRequest.created_at, CorrectionRequest.due_on, CorrectionRequest.decided_at,
               CorrectionRequest.status)
        .where(CorrectionRequest.created_at >= since)).all()
    return Figures(
        today=today,
        # a withdrawn complaint is owed nothing; a correction is answered by its decision
        complaints=_tally(today, ((r, d, a, s != "withdrawn") for r, d, a, s in complaints)),
        corrections=_tally(today, ((r, d, None if s == "pending" else a, s == "pending")
                                   for r, d, a, s in corrections)))
