"""The application's calendar: built-in rules plus the overrides an administrator stores."""

from datetime import date

from cabinet.app import create_app
from cabinet.extensions import db
from cabinet.workdays import service
from cabinet.workdays.models import DayOverride
from cabinet.workdays.service import calendar
from tests.helpers import statements_run


def test_stored_overrides_change_the_calendar(app):
    with app.app_context():
        assert calendar().is_working_day(date(2026, 12, 19)) is False  # a Saturday
        db.session.add(DayOverride(day=date(2026, 12, 19), is_working=True, note="decree: worked Saturday"))
        db.session.add(DayOverride(day=date(2026, 12, 21), is_working=False, note="decree: moved day off"))
        db.session.commit()
    with app.test_request_context():
        cal = calendar()
        assert cal.is_working_day(date(2026, 12, 19)) is True
        assert cal.is_working_day(date(2026, 12, 21)) is False
        # Fri 18 Dec + 1 working day is now Saturday 19 Dec; +2 skips Sunday and the moved Monday
        assert cal.add_working_days(date(2026, 12, 18), 1) == date(2026, 12, 19)
        assert cal.add_working_days(date(2026, 12, 18), 2) == date(2026, 12, 22)


def test_calendar_is_loaded_once_per_request(app):
    with app.test_request_context():
        assert calendar() is calendar()


def _reads_of_overrides(app, check) -> int:
    """How many statements read day_overrides while check() ran in a request of app."""
    with statements_run(app) as seen, app.test_request_context():
        check()
    return sum("day_overrides" in statement for statement, _parameters in seen)


def test_another_workers_change_is_seen_on_its_next_request_and_the_table_is_read_only_then(app, app_config):
    """Two apps on one database are two gunicorn workers: each keeps the calendar between requests, and an
    override the other one commits is in the next request's calendar (the stamp file told it)."""
    saturday = date(2026, 12, 19)
    other = create_app({**app_config, "CALENDAR_STAMP_FILE": app.config["CALENDAR_STAMP_FILE"]})
    try:
        assert _reads_of_overrides(app, lambda: calendar().is_working_day(saturday)) == 1
        assert _reads_of_overrides(app, lambda: calendar().is_working_day(saturday)) == 0  # kept
        with other.app_context():
            assert calendar().is_working_day(saturday) is False
            db.session.add(DayOverride(day=saturday, is_working=True, note="decree: worked Saturday"))
            db.session.commit()

        def sees_the_change():
            assert calendar().is_working_day(saturday) is True

        assert _reads_of_overrides(app, sees_the_change) == 1
        assert _reads_of_overrides(app, sees_the_change) == 0
        with other.app_context():
            db.session.delete(db.session.get(DayOverride, saturday))
            db.session.commit()
        assert _reads_of_overrides(app, lambda: calendar().is_working_day(saturday) or None) == 1
        with app.test_request_context():
            assert calendar().is_working_day(saturday) is False
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_transaction_changing_the_calendar_sees_its_change_and_a_rollback_leaves_none(app):
    monday = date(2026, 12, 21)
    with app.test_request_context():
        assert calendar().is_working_day(monday) is True
        db.session.add(DayOverride(day=monday, is_working=False, note="decree: moved day off"))
        db.session.flush()
        assert calendar().is_working_day(monday) is False  # the deadline this transaction sets counts it
        db.session.rollback()
        assert calendar().is_working_day(monday) is True
    with app.test_request_context():
        assert calendar().is_working_day(monday) is True


def test_a_change_made_outside_the_app_is_seen_within_the_minute(app, monkeypatch):
    """SQL by hand (or a host that does not share the stamp file) writes no stamp: the kept calendar still goes
    after KEPT_SECONDS."""
    saturday = date(2026, 12, 19)
    with app.test_request_context():
        assert calendar().is_working_day(saturday) is False
    with app.app_context():
        db.session.execute(DayOverride.__table__.insert().values(day=saturday, is_working=True, note="by hand"))
        db.session.commit()  # a Core insert: no mapper event, no new stamp
    with app.test_request_context():
        assert calendar().is_working_day(saturday) is False  # kept, as the stamp did not change
    monkeypatch.setattr(service, "KEPT_SECONDS", 0)  # as if the minute had passed
    with app.test_request_context():
        assert calendar().is_working_day(saturday) is True
