"""The application's calendar: built-in rules plus the overrides an administrator stores."""

from datetime import date

from cabinet.extensions import db
from cabinet.workdays.models import DayOverride
from cabinet.workdays.service import calendar


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
