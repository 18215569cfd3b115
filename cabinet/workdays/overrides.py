"""Administrators' changes to the calendar, each recorded; deadlines already set never move by themselves."""

from datetime import date

from sqlalchemy import select

from cabinet.audit import labels, trail
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l
from cabinet.workdays.models import DayOverride

labels.register_actions({
    "calendar.override_set": _l("Calendar day changed"),
    "calendar.override_removed": _l("Calendar override removed"),
})


def stored() -> dict[date, DayOverride]:
    return {o.day: o for o in db.session.scalars(select(DayOverride).order_by(DayOverride.day))}


def set_override(day: date, is_working: bool, note: str, *, actor) -> DayOverride:
    """Make a day working or a day off against the built-in calendar; the old state goes into the trail."""
    override = db.session.get(DayOverride, day)
    old = None if override is None else {"is_working": override.is_working, "note": override.note}
    if override is None:
        override = DayOverride(day=day, is_working=is_working, note=note, updated_by_id=actor.id)
        db.session.add(override)
    else:
        override.is_working, override.note = is_working, note
        override.updated_at, override.updated_by_id = utcnow(), actor.id
    db.session.flush()
    trail.record("calendar.override_set", actor=actor, details={
        "day": day.isoformat(), "is_working": is_working, "note": note, "old": old})
    return override


def remove_override(day: date, *, actor) -> bool:
    override = db.session.get(DayOverride, day)
    if override is None:
        return False
    trail.record("calendar.override_removed", actor=actor, details={
        "day": day.isoformat(), "old": {"is_working": override.is_working, "note": override.note}})
    db.session.delete(override)
    return True
