"""Kazakhstan working-day calendar against the official production calendar."""

from datetime import date, timedelta

import pytest

from cabinet.workdays.calendar import DEFAULT_OVERRIDES, WorkCalendar

CAL = WorkCalendar()

# Official 2026 production calendar, five-day week: 247 working days.
MONTHS_2026 = [19, 20, 18, 22, 17, 22, 22, 21, 22, 21, 21, 22]


def test_2026_total_working_days():
    assert len(CAL.working_days_in(2026)) == 247
    assert len(CAL.days_off_in(2026)) == 365 - 247


@pytest.mark.parametrize("month, expected", list(enumerate(MONTHS_2026, start=1)))
def test_2026_working_days_per_month(month, expected):
    days = CAL.working_days_in(2026, month)
    assert len(days) == expected
    assert all(d.year == 2026 and d.month == month for d in days)


@pytest.mark.parametrize(
    "day, working",
    [
        # Constitution Day is abolished from 2026: Sun 30 Aug moves nothing to Mon 31 Aug.
        (date(2026, 8, 30), False),
        (date(2026, 8, 31), True),
        # ...whereas in 2025 Sat 30 Aug still moved to Mon 1 Sep.
        (date(2025, 9, 1), False),
        # Orthodox Christmas is not moved: Sat 7 Jan 2023 -> Mon 9 Jan works,
        # Sun 7 Jan 2024 -> Mon 8 Jan works; on a weekday it is a day off.
        (date(2023, 1, 9), True),
        (date(2024, 1, 8), True),
        (date(2026, 1, 7), False),
        (date(2027, 1, 7), False),
        # Kurban Ait is not moved either: Sat 4 Oct 2014 -> Mon 6 Oct works.
        (date(2014, 10, 6), True),
        (date(2026, 5, 27), False),
        # Nauryz 2026: Sat 21 and Sun 22 Mar move to Tue 24 and Wed 25; Thu 26 works.
        (date(2026, 3, 23), False),
        (date(2026, 3, 24), False),
        (date(2026, 3, 25), False),
        (date(2026, 3, 26), True),
        # Nauryz 2027: Sun 21 Mar moves to Wed 24 Mar; Thu 25 works.
        (date(2027, 3, 24), False),
        (date(2027, 3, 25), True),
        # New Constitution Day from 2027: Mon 15 Mar 2027 is off; Mon 16 Mar 2026 is not.
        (date(2027, 3, 15), False),
        (date(2026, 3, 16), True),
        # Decreed transfer (DEFAULT_OVERRIDES): Fri 3 Jan 2025 off, Sun 5 Jan 2025 worked.
        (date(2025, 1, 3), False),
        (date(2025, 1, 5), True),
        # Sat 2 Jan 2027 (New Year) moves to Mon 4 Jan 2027.
        (date(2027, 1, 4), False),
    ],
)
def test_is_working_day(day, working):
    assert CAL.is_working_day(day) is working


def test_default_overrides_have_notes():
    for day, (working, note) in DEFAULT_OVERRIDES.items():
        assert isinstance(day, date) and isinstance(working, bool) and note


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2026, 12, 15), 0, date(2026, 12, 15)),
        # Wed 16 Dec is Independence Day, so the first working day is Thu 17 Dec.
        (date(2026, 12, 15), 1, date(2026, 12, 17)),
        # Dec 17-18, 21-25, 28-31 = 11 days; Fri 1 Jan and Mon 4 Jan (Sat 2 Jan moved) are off:
        # Tue 5 Jan 2027 is the 12th.
        (date(2026, 12, 15), 12, date(2027, 1, 5)),
        # ...Jan 5-6 = 12-13, Thu 7 Jan off, Jan 8 = 14, Jan 11-29 = 15-29, Mon 1 Feb = 30.
        (date(2026, 12, 15), 30, date(2027, 2, 1)),
        # From Fri 6 Mar 2026: Mon 9 Mar off (8 Mar was Sunday); Mar 10-13 = 1-4,
        # Mar 16-20 = 5-9, Mar 23-25 off (Nauryz), Mar 26-27 = 10-11, Mar 30-31 = 12-13,
        # Apr 1-3 = 14-16, Apr 6-10 = 17-21, Apr 13-17 = 22-26, Apr 20-23 = 27-30.
        (date(2026, 3, 6), 30, date(2026, 4, 23)),
        # From Thu 30 Apr 2026: Fri 1 May off; May 4-6 = 1-3, Thu 7 May off, May 8 = 4,
        # Mon 11 May off (9 May was Saturday), Tue 12 May = 5.
        (date(2026, 4, 30), 5, date(2026, 5, 12)),
        # ...May 12-15 = 5-8, May 18-22 = 9-13, May 25-26 = 14-15, Wed 27 May off (Kurban Ait),
        # May 28-29 = 16-17, Jun 1-5 = 18-22, Jun 8-12 = 23-27, Jun 15-17 = 28-30.
        (date(2026, 4, 30), 30, date(2026, 6, 17)),
        # Starting on a day off: from Sat 21 Mar 2026 the first working day is Thu 26 Mar.
        (date(2026, 3, 21), 1, date(2026, 3, 26)),
    ],
)
def test_add_working_days(start, n, expected):
    assert CAL.add_working_days(start, n) == expected


def test_add_working_days_rejects_negative():
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 5), -1)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (date(2026, 5, 5), date(2026, 5, 5), 0),
        (date(2026, 12, 15), date(2027, 2, 1), 30),
        # Only Thu 26 Mar counts: Sat-Sun and the three Nauryz days off lie in between.
        (date(2026, 3, 20), date(2026, 3, 26), 1),
        (date(2026, 3, 21), date(2026, 3, 25), 0),
        # start itself is excluded, end included.
        (date(2026, 3, 26), date(2026, 3, 27), 1),
        (date(2026, 1, 1), date(2026, 12, 31), 247),
    ],
)
def test_working_days_between_is_antisymmetric(start, end, expected):
    assert CAL.working_days_between(start, end) == expected
    assert CAL.working_days_between(end, start) == -expected


@pytest.mark.parametrize("n", [1, 5, 30])
def test_between_inverts_add_over_2026(n):
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert CAL.working_days_between(day, CAL.add_working_days(day, n)) == n
        day += timedelta(days=1)


def test_overrides_argument_changes_results():
    saturday, friday = date(2026, 3, 28), date(2026, 3, 27)
    cal = WorkCalendar({saturday: True, friday: False})
    assert cal.is_working_day(saturday) and not cal.is_working_day(friday)
    # One day gained and one lost within March: the count stays, the dates do not.
    march = cal.working_days_in(2026, 3)
    assert len(march) == 18 and saturday in march and friday not in march
    assert CAL.add_working_days(date(2026, 3, 26), 1) == friday
    assert cal.add_working_days(date(2026, 3, 26), 1) == saturday
    assert cal.add_working_days(date(2026, 3, 26), 2) == date(2026, 3, 30)
    assert cal.working_days_between(date(2026, 3, 26), date(2026, 3, 29)) == 1
    assert (friday, "override") in cal.days_off_in(2026)
    assert saturday not in dict(cal.days_off_in(2026))


def test_overrides_argument_beats_defaults_and_library():
    cal = WorkCalendar({date(2025, 1, 5): False, date(2026, 12, 16): True})
    assert not cal.is_working_day(date(2025, 1, 5))
    assert cal.is_working_day(date(2026, 12, 16))
    assert len(cal.working_days_in(2026)) == 248


def test_days_off_reasons():
    reasons = dict(CAL.days_off_in(2026))
    assert reasons[date(2026, 1, 1)] == "holiday"
    assert reasons[date(2026, 1, 3)] == "weekend"
    assert reasons[date(2026, 3, 8)] == "holiday"  # a holiday on a Sunday
    assert reasons[date(2026, 3, 9)] == "holiday"  # its observed Monday
    assert date(2026, 8, 31) not in reasons
    assert set(reasons.values()) == {"holiday", "weekend"}
    assert date(2025, 1, 5) not in dict(CAL.days_off_in(2025))


@pytest.mark.parametrize(
    "day, language, expected",
    [
        (date(2026, 3, 22), "en", "Nowruz Holiday"),
        (date(2026, 3, 22), "kk", "Наурыз мейрамы"),
        (date(2026, 3, 24), "ru", "Nowruz Holiday (observed)"),
        (date(2027, 3, 15), "en", "Constitution Day"),
        (date(2026, 8, 30), "en", None),
        (date(2026, 3, 16), "kk", None),
    ],
)
def test_holiday_name(day, language, expected):
    assert CAL.holiday_name(day, language) == expected
