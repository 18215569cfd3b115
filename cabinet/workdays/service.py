"""The calendar as the application sees it: built-in rules plus the administrators' overrides."""

from flask import g, has_app_context
from sqlalchemy import select

from cabinet.extensions import db
from cabinet.workdays.calendar import WorkCalendar
from cabinet.workdays.models import DayOverride


def calendar() -> WorkCalendar:
    """The calendar with the stored overrides, loaded once per request."""
    if has_app_context() and "work_calendar" in g:
        return g.work_calendar
    rows = db.session.execute(select(DayOverride.day, DayOverride.is_working)).all()
    result = WorkCalendar({day: working for day, working in rows})
    if has_app_context():
        g.work_calendar = result
    return result
