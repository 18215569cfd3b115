"""Working-day arithmetic by per-year running counts gives what walking day by day gives (issue 17): random dates
over several years, with the library's holidays, the decreed transfers and random administrator overrides."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cabinet.workdays.calendar import WorkCalendar

DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2029, 12, 31))
OVERRIDES = st.dictionaries(DAYS, st.booleans(), max_size=12)


def walked_add(cal: WorkCalendar, start: date, n: int) -> date:
    """The reference: step a day at a time, counting working days."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        n -= cal.is_working_day(day)
    return day


def walked_between(cal: WorkCalendar, start: date, end: date) -> int:
    if end < start:
        return -walked_between(cal, end, start)
    return sum(cal.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


@settings(max_examples=300, deadline=None)
@given(overrides=OVERRIDES, start=DAYS, n=st.integers(min_value=0, max_value=400))
def test_add_working_days_is_the_walk(overrides, start, n):
    cal = WorkCalendar(overrides)
    assert cal.add_working_days(start, n) == walked_add(cal, start, n)


@settings(max_examples=300, deadline=None)
@given(overrides=OVERRIDES, start=DAYS, end=DAYS)
def test_working_days_between_is_the_walk(overrides, start, end):
    cal = WorkCalendar(overrides)
    assert cal.working_days_between(start, end) == walked_between(cal, start, end)


def test_a_transferred_day_and_a_year_boundary_are_counted_as_walked():
    cal = WorkCalendar()  # 5 Jan 2025 (a Sunday) is worked by decree; 1-2 Jan are holidays
    for start in (date(2024, 12, 27), date(2024, 12, 31), date(2025, 1, 3)):
        for n in range(0, 30):
            assert cal.add_working_days(start, n) == walked_add(cal, start, n)
    assert cal.add_working_days(date(2025, 1, 3), 1) == date(2025, 1, 5)
