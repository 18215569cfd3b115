"""The calendar as the application sees it: built-in rules plus the administrators' overrides.

The overrides change a few times a year, so each process keeps the calendar between requests and reads the table
again when the stamp file (CALENDAR_STAMP_FILE) changed — every commit that wrote an override gives that file a new
token, in whichever worker (or command) made it — or a minute has passed, so a change made outside the app (SQL by
hand, another host without the shared file) is seen within that minute.
"""

import os
import secrets
import time
from pathlib import Path

from flask import current_app, g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from cabinet.extensions import db
from cabinet.workdays.calendar import WorkCalendar
from cabinet.workdays.models import DayOverride

#: calendars by their overrides (its version), kept across requests so each year's running counts are built once;
#: an administrator's change gives new overrides, hence a new calendar, and the old one is no longer asked for
_VERSIONS: dict[frozenset, WorkCalendar] = {}
_KEPT_VERSIONS = 8
#: app.extensions key of (stamp token, calendar, when it was read) kept by this process
KEPT = "cabinet.work_calendar"
#: the longest a process keeps the calendar without reading the table, whatever the stamp says
KEPT_SECONDS = 60
#: Session.info key: this transaction wrote an override (its reads must see it; its commit changes the stamp)
CHANGED = "cabinet.calendar_changed"


def calendar() -> WorkCalendar:
    """The calendar with the stored overrides, looked up once per request and read from the table only when
    another transaction changed them (the stamp file) or this one is changing them."""
    if not has_app_context():
        return _stored()
    if "work_calendar" in g:
        return g.work_calendar
    changing = db.session.info.get(CHANGED, False)
    kept = current_app.extensions.get(KEPT)
    # the stamp is read before the table: a change committed in between gives a newer stamp, so the next request
    # reads the table again rather than keeping its new rows under the old stamp (which would hide a later change)
    stamp, now = _stamp(), time.monotonic()
    if kept is not None and kept[0] == stamp and now - kept[2] < KEPT_SECONDS and not changing:
        result = kept[1]
    else:
        result = _stored()
        if not changing:
            current_app.extensions[KEPT] = (stamp, result, now)
    g.work_calendar = result
    return result


def _stored() -> WorkCalendar:
    rows = db.session.execute(select(DayOverride.day, DayOverride.is_working))
    version = frozenset((day, working) for day, working in rows)
    result = _VERSIONS.get(version)
    if result is None:
        if len(_VERSIONS) >= _KEPT_VERSIONS:
            _VERSIONS.clear()
        result = _VERSIONS[version] = WorkCalendar(dict(version))
    return result


def _stamp() -> bytes | None:
    """The stamp file's token; None while no override was ever written through the app."""
    try:
        return Path(current_app.config["CALENDAR_STAMP_FILE"]).read_bytes()
    except FileNotFoundError:
        return None


def _new_stamp() -> None:
    """A fresh token, written whole (a reader sees the old file or the new, never a part)."""
    path = Path(current_app.config["CALENDAR_STAMP_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_bytes(secrets.token_bytes(16))
    os.replace(draft, path)


def _override_written(_mapper, _connection, target) -> None:
    session = object_session(target)
    if session is not None:
        session.info[CHANGED] = True
    if has_app_context():
        g.pop("work_calendar", None)


def _after_commit(session) -> None:
    if session.info.pop(CHANGED, False) and has_app_context():
        current_app.extensions.pop(KEPT, None)
        _new_stamp()


def _after_rollback(session) -> None:
    if session.info.pop(CHANGED, False) and has_app_context():
        g.pop("work_calendar", None)  # it held the undone overrides


for _step in ("after_insert", "after_update", "after_delete"):
    event.listen(DayOverride, _step, _override_written)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
