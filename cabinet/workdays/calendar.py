"""Kazakhstan working-day calendar: weekends, public holidays, decreed transfers, admin edits.

Layers, later ones win:
1. Saturday and Sunday are days off.
2. Public holidays from the ``holidays`` library (``observed=True``): a holiday falling on a
   weekend moves to the next working day, except Orthodox Christmas (7 January) and the first
   day of Kurban Ait, which the library correctly leaves unmoved.
3. ``DEFAULT_OVERRIDES``: facts the library cannot know (decreed transfers, corrections).
4. The ``overrides`` argument: administrator edits stored in the database.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

import holidays

# (is_working_day, note). Checked against holidays 0.109:
# * 2025: the library has the decreed day off on Fri 3 Jan but not the matching working Sunday.
# * 2026: no transfer decree; Kurban Ait is 27 May (library estimate is right); Constitution Day
#   (30 Aug, a Sunday) is abolished from 2026 and the library no longer lists it or its Monday.
#   With no overrides the library yields the official 247 working days.
# * 2027: Constitution Day on 15 March is already in the library; no transfer decree and no
#   confirmed Kurban Ait date are known yet, so nothing is overridden.
DEFAULT_OVERRIDES: dict[date, tuple[bool, str]] = {
    date(2025, 1, 5): (
        True,
        "Government decree: day off moved from Sun 5 Jan 2025 to Fri 3 Jan; 5 Jan is worked",
    ),
}

_LIBRARY_LANGUAGES = {"kk": "kk"}  # anything else falls back to English


@lru_cache(maxsize=64)
def _library_holidays(year: int, language: str) -> holidays.HolidayBase:
    """One year of the library's holidays, built once per process: construction is slow, the rules fixed."""
    return holidays.country_holidays("KZ", years=year, observed=True, language=language, expand=False)


class WorkCalendar:
    """Kazakhstan five-day-week calendar answering "is this a working day" and date arithmetic."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = {d: v for d, (v, _) in DEFAULT_OVERRIDES.items()}
        self._overrides.update(overrides or {})
        #: per year, 1 January's ordinal and the running count of working days from it (`_running_in`)
        self._running: dict[int, tuple[int, list[int]]] = {}

    def _holidays(self, year: int, language: str = "en_US") -> holidays.HolidayBase:
        return _library_holidays(year, language)

    def _is_library_holiday(self, day: date) -> bool:
        """Whether the library lists the day, so reasons and names can tell holidays apart."""
        return day in self._holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        """Whether staff work on ``day``; every deadline computation rests on this."""
        if day in self._overrides:
            return self._overrides[day]
        return day.weekday() < 5 and not self._is_library_holiday(day)

    def _running_in(self, year: int) -> tuple[int, list[int]]:
        """The ordinal of 1 January and the year's running count of working days (element i counts those up to
        day i from 0), built on first use: what makes date arithmetic lookups rather than walks."""
        found = self._running.get(year)
        if found is None:
            count, counts = 0, []
            for day in _days(year):
                count += self.is_working_day(day)
                counts.append(count)
            found = self._running[year] = (date(year, 1, 1).toordinal(), counts)
        return found

    def _counted_to(self, day: date) -> int:
        """Working days from 1 January of the day's year to the day, inclusive."""
        first, counts = self._running_in(day.year)
        return counts[day.toordinal() - first]

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (not counted), for "answer within N days"."""
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return start
        year, wanted = start.year, self._counted_to(start) + n
        first, counts = self._running_in(year)
        while wanted > counts[-1]:  # not in this year: carry on into the next
            wanted -= counts[-1]
            year += 1
            first, counts = self._running_in(year)
        return date.fromordinal(first + bisect_left(counts, wanted))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (negated if reversed), for "N days left"."""
        if end < start:
            return -self.working_days_between(end, start)
        whole_years = sum(self._running_in(year)[1][-1] for year in range(start.year, end.year))
        return whole_years + self._counted_to(end) - self._counted_to(start)

    def identity(self, start: date, end: date) -> dict:
        """What a deadline computed on this calendar rests on: the rules' source and version, a digest of the
        overrides, and the non-working weekdays between start (not counted) and end, so it can be re-checked."""
        overrides = sorted((d.isoformat(), v) for d, v in self._overrides.items())
        digest = hashlib.sha256(json.dumps(overrides, separators=(",", ":")).encode()).hexdigest()
        days = (end - start).days
        days_off = [(start + timedelta(days=i)).isoformat() for i in range(1, days + 1)
                    if (start + timedelta(days=i)).weekday() < 5 and not self.is_working_day(start + timedelta(days=i))]
        return {"rules": f"KZ five-day week, holidays {holidays.__version__}", "overrides_sha256": digest,
                "weekdays_off": days_off}

    def working_days_in(self, year: int, month: int | None = None) -> list[date]:
        """All working days of a year or month, for production-calendar style summaries."""
        return [d for d in _days(year, month) if self.is_working_day(d)]

    def days_off_in(self, year: int) -> list[tuple[date, str]]:
        """Days off of a year with reason "override", "holiday" or "weekend", for the admin page."""
        result: list[tuple[date, str]] = []
        for day in _days(year):
            if self.is_working_day(day):
                continue
            if day in self._overrides:
                reason = "override"
            elif self._is_library_holiday(day):
                reason = "holiday"
            else:
                reason = "weekend"
            result.append((day, reason))
        return result

    def holiday_name(self, day: date, language: str) -> str | None:
        """Library holiday name in Kazakh ("kk") or English, to label days off for users."""
        lang = _LIBRARY_LANGUAGES.get(language, "en_US")
        return self._holidays(day.year, lang).get(day)


def _days(year: int, month: int | None = None) -> list[date]:
    """Every calendar day of a year, or of one month of it."""
    first = date(year, month or 1, 1)
    if month is None or month == 12:
        last = date(year, 12, 31)
    else:
        last = date(year, month + 1, 1) - timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
