"""Daily deadline reminders: what falls due soon goes to support, what is overdue is escalated to the admins.

Run by the scheduled job (or `flask staff remind`); each audience gets one mail a day per person, in that
person's language, however often the job runs that day (a row per day and audience, written with the mails).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from cabinet.accounts.service import holders
from cabinet.audit import labels, trail
from cabinet.complaints.models import OPEN_STATUSES, Complaint
from cabinet.extensions import db
from cabinet.mail import external_url, send
from cabinet.messages import lazy_gettext as _l
from cabinet.profile.models import CorrectionRequest
from cabinet.staff.models import DeadlineReminder
from cabinet.workdays.deadlines import REMINDER_WARNING
from cabinet.workdays.service import calendar

labels.register_actions({
    "deadlines.reminded": _l("Deadline reminder mailed to staff"),
})
AUDIENCES = ("support", "admins")
#: a mail lists at most this many matters, then says how many more there are
LISTED = 100


@dataclass(frozen=True)
class Matter:
    """An unanswered complaint or correction with its due date and the page where it is handled."""

    kind: str
    reference: str
    due_on: date
    link: str
    #: working days from today to the due date (negative: overdue by that many)
    left: int


def _open_matters(until: date) -> list[Matter]:
    """Unanswered complaints and corrections due on or before `until` (days left filled in by the caller)."""
    complaints = db.session.execute(select(Complaint.number, Complaint.due_on).where(
        Complaint.status.in_(OPEN_STATUSES), Complaint.due_on <= until).order_by(Complaint.due_on)).all()
    corrections = db.session.execute(select(CorrectionRequest.id, CorrectionRequest.due_on).where(
        CorrectionRequest.status == "pending", CorrectionRequest.due_on <= until)
        .order_by(CorrectionRequest.due_on)).all()
    return ([Matter("complaint", number, due, external_url("staff_complaints.detail", number=number), 0)
             for number, due in complaints] +
            [Matter("correction", str(request_id), due, external_url("staff.corrections"), 0)
             for request_id, due in corrections])


def matters(today: date) -> tuple[list[Matter], list[Matter]]:
    """(due soon, overdue) as of today, each by due date."""
    cal = calendar()
    horizon = cal.add_working_days(today, REMINDER_WARNING)
    found = sorted(_open_matters(horizon), key=lambda m: (m.due_on, m.kind, m.reference))
    left = {m.due_on: cal.working_days_between(today, m.due_on) for m in found}  # once per distinct date
    found = [Matter(m.kind, m.reference, m.due_on, m.link, left[m.due_on]) for m in found]
    return [m for m in found if m.due_on >= today], [m for m in found if m.due_on < today]


def _remind(today: date, audience: str, role: str, listed: list[Matter], template: str) -> DeadlineReminder | None:
    """One audience's mails for the day, unless they were made already; nothing when nothing is due."""
    if not listed or db.session.scalar(select(DeadlineReminder.id).where(
            DeadlineReminder.day == today, DeadlineReminder.audience == audience)) is not None:
        return None
    people = holders(role)
    for person in people:
        send(person.email, template, locale=person.locale, user=person, matters=listed[:LISTED],
             more=max(len(listed) - LISTED, 0), total=len(listed), today=today, warn_days=REMINDER_WARNING,
             deadlines_link=external_url("staff.deadlines"))
    reminder = DeadlineReminder(day=today, audience=audience, recipients=len(people),
                                items=[[m.kind, m.reference, m.due_on.isoformat()] for m in listed])
    db.session.add(reminder)
    db.session.flush()
    trail.record("deadlines.reminded", obj=reminder,
                 details={"audience": audience, "day": today.isoformat(), "matters": len(listed),
                          "recipients": len(people)})
    return reminder


def remind(today: date) -> dict[str, int]:
    """The day's reminders: due soon to support, overdue to the admins. Returns matters mailed per audience."""
    soon, overdue = matters(today)
    made = {"support": _remind(today, "support", "support", soon, "deadlines_soon"),
            "admins": _remind(today, "admins", "admin", overdue, "deadlines_overdue")}
    return {audience: len(reminder.items) if reminder else 0 for audience, reminder in made.items()}


def latest() -> dict[str, DeadlineReminder]:
    """The last reminder made for each audience, for the deadlines page."""
    found = {audience: db.session.scalar(select(DeadlineReminder).where(DeadlineReminder.audience == audience)
                                         .order_by(DeadlineReminder.id.desc()).limit(1))
             for audience in AUDIENCES}
    return {audience: reminder for audience, reminder in found.items() if reminder is not None}
