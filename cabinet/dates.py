"""A date or a moment as a reader writes it, one form per language on pages, mails and PDFs.

Kazakh «2026 жылғы 5 желтоқсан», Russian «5 декабря 2026 г.»; a moment adds the time and names the operator's
zone in words («14:30 (Астана уақыты)», «14:30 (время Астаны)»), never "+0500".
"""

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import get_month_names
from flask import current_app, has_app_context
from flask_babel import get_locale

#: the zone named in words, per configured zone and language (Kazakhstan has used one zone, UTC+5, since 2024)
ZONE_NAMES = {
    "Asia/Almaty": {"kk": "Астана уақыты", "ru": "время Астаны", "en": "Astana time"},
    "Asia/Qostanay": {"kk": "Астана уақыты", "ru": "время Астаны", "en": "Astana time"},
    "Asia/Aqtobe": {"kk": "Ақтөбе уақыты", "ru": "время Актобе", "en": "Aqtobe time"},
    "UTC": {"kk": "UTC", "ru": "UTC", "en": "UTC"},
}
#: the characters that end a sentence: a date ending in one («г.») takes no second full stop
SENTENCE_ENDS = ".!?…"


def _locale(locale: str | None) -> str:
    return locale or str(get_locale() or "kk")


def zone() -> ZoneInfo:
    """The operator's configured zone (Asia/Almaty by default)."""
    return _zone(current_app.config["TIMEZONE"] if has_app_context() else "Asia/Almaty")


@cache
def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


@cache
def month_names(locale: str, context: str = "format") -> dict[int, str]:
    """A language's month names, read from Babel's data once: a page of dates asked Babel (parsing the locale) for
    each date."""
    return dict(get_month_names("wide", context, locale))


def zone_name(locale: str | None = None) -> str:
    """The configured zone in words; an unknown zone by its UTC offset ("UTC+5")."""
    locale = _locale(locale)
    name = zone().key
    if name in ZONE_NAMES:
        return ZONE_NAMES[name].get(locale, ZONE_NAMES[name]["en"])
    offset = datetime.now(zone()).utcoffset()
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    return f"UTC{hours:+d}" + (f":{rest:02d}" if rest else "")


def local(value: datetime) -> datetime:
    """A moment in the operator's zone; a naive one is taken as UTC (as the database stores it)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone())


def written_date(value: date | datetime, locale: str | None = None) -> str:
    """A day as a person writes it: «2026 жылғы 5 желтоқсан», «5 декабря 2026 г.»."""
    locale = _locale(locale)
    if isinstance(value, datetime):
        value = local(value).date()
    if locale == "kk":
        return f"{value.year} жылғы {value.day} {month_names('kk')[value.month]}"
    if locale == "ru":
        return f"{value.day} {month_names('ru')[value.month]} {value.year} г."
    return babel_date(value, "long", locale=locale)


def written_moment(value: datetime, locale: str | None = None) -> str:
    """A moment: its day, the time and the zone in words («5 декабря 2026 г., 14:30 (время Астаны)»)."""
    locale = _locale(locale)
    moment = local(value)
    return f"{written_date(moment.date(), locale)}, {moment:%H:%M} ({zone_name(locale)})"


def written(value: date | datetime | str | None, locale: str | None = None) -> str:
    """A date or a moment (or an ISO 8601 string of either, as frozen snapshots keep them) for the reader."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    return written_moment(value, locale) if isinstance(value, datetime) else written_date(value, locale)


def sentence(text: str) -> str:
    """Close a sentence with a full stop unless it already ends with one («… 2026 г.» stays as it is)."""
    text = str(text).rstrip()
    return text if text.endswith(tuple(SENTENCE_ENDS)) else text + "."


def written_month(year: int, month: int, locale: str | None = None) -> str:
    """A month of a year on its own, as a table row names it: «2026 жылғы желтоқсан», «декабрь 2026 г.»."""
    locale = _locale(locale)
    if locale == "kk":
        return f"{year} жылғы {month_names('kk')[month]}"
    if locale == "ru":
        return f"{month_names('ru', 'stand-alone')[month]} {year} г."
    return babel_date(date(year, month, 1), "LLLL y", locale=locale)
