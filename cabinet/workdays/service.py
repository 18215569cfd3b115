"""The calendar as the application sees it: built-in rules plus the administrators' overrides."""

from flask import g, has_app_context
from sqlalchemy import select

from cabinet.extensions import db
from cabinet.workdays.calendar import WorkCalendar
from cabinet.workdays.models import DayOverride

#: calendars by their overrides (its version), kept across requests so each year's running counts are built once;
#: an administrator's change gives new overrides, hence a new calendar, and the old one is no longer asked for
_VERSIONS: dict[frozenset, WorkCalendar] = {}
_KEPT_VERSIONS = 8


def calendar() -> WorkCalendar:
    """The calendar with the stored overrides, loaded once per request."""
    if has_app_context() and "work_calendar" in g:
        return g.work_calendar
    rows = db.session.execute(select(DayOverride.day, DayOverride.is_working))
    version = frozenset((day, working) for day, working in rows)
    result = _VERSIONS.get(version)
    if result is None:
        if len(_VERSIONS) >= _KEPT_VERSIONS:
            _VERSIONS.clear()
        result = _VERSIONS[version] = WorkCalendar(dict(version))
    if has_app_context():
        g.work_calendar = result
    return result
