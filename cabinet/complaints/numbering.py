"""Registration numbers and due dates: readable, unique, never reused, safe under concurrent filing."""

from datetime import date, datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from cabinet.complaints.models import ComplaintCounter
from cabinet.extensions import db
from cabinet.i18n import local_zone
from cabinet.workdays.deadlines import COMPLAINT_ANSWER
from cabinet.workdays.service import calendar

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _increment(year: int) -> int:
    """UPDATE first: the row lock makes every other filing of the year wait until this one ends."""
    return db.session.execute(
        update(ComplaintCounter).where(ComplaintCounter.year == year)
        .values(value=ComplaintCounter.value + 1)
        .execution_options(synchronize_session=False)
    ).rowcount


def next_sequence(year: int) -> int:
    """The next number of the year, in the caller's transaction (a rollback gives it back unused)."""
    if not _increment(year):
        insert = _INSERTS[db.session.get_bind().dialect.name]
        # the first filing of a year creates the row; a concurrent first filing makes this a no-op
        db.session.execute(insert(ComplaintCounter).values(year=year, value=0).on_conflict_do_nothing())
        _increment(year)
    return db.session.scalar(select(ComplaintCounter.value).where(ComplaintCounter.year == year))


def format_number(year: int, sequence: int) -> str:
    """ASCII so it is safe in URLs and file names, e.g. BE-2026-000123."""
    prefix = current_app.config.get("COMPLAINT_PREFIX") or "BE"
    return f"{prefix}-{year}-{sequence:06d}"


def local_day(moment: datetime) -> date:
    """The day of a moment in the operator's zone: years and deadlines are counted there."""
    return moment.astimezone(local_zone()).date()


def assign_number(received_at: datetime) -> str:
    year = local_day(received_at).year
    return format_number(year, next_sequence(year))


def due_date(received_at: datetime) -> date:
    """COMPLAINT_ANSWER working days after the day of receipt (that day itself not counted)."""
    return calendar().add_working_days(local_day(received_at), COMPLAINT_ANSWER)
