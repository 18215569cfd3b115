"""Locale and time zone: this browser's choice (cookie), then the account's, then the browser's; Kazakh by default."""

import os
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import flask
from babel import support
from flask import current_app, has_request_context, request
from flask_babel import get_babel, get_locale
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.utils import cached_property
from wtforms.i18n import messages_path

from cabinet import messages
from cabinet import operator as operators
from cabinet.dates import ZONE_NAMES, sentence, written_date, written_moment, zone
from cabinet.extensions import babel

LANG_COOKIE = "cabinet_lang"

def lang_cookie() -> str:
    """The language cookie's name: in production __Host-, so only this https host can set it (ASVS V3.3.1)."""
    return ("__Host-" if current_app.config["ENV"] == "production" else "") + LANG_COOKIE


def select_locale() -> str:
    """This browser's last choice first (the cookie a language link sets, even while signed in), then the account's
    language (a new device), then the browser's; outside a request (the CLI, a job) the default language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    cookie = request.cookies.get(lang_cookie())
    if cookie in languages:
        return cookie
    user = current_user._get_current_object()
    if user is not None and user.is_authenticated and user.locale in languages:
        return user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    """Today's date in the operator's zone: deadlines are counted from it."""
    return datetime.now(local_zone()).date()


def time_tag(value, kind: str = "datetime", fmt: str = "medium") -> Markup:
    """A moment or a date inside <time datetime=…>, written as the reader writes it (cabinet.dates); fmt is kept
    for old callers and no longer changes the form."""
    if value is None:
        return Markup("")
    here = zone()
    if here.key not in ZONE_NAMES:  # a zone named by its offset today: not kept, the offset may change
        return _time_markup.__wrapped__(value, type(value), kind, str(messages.current_locale() or "kk"), here)
    return _time_markup(value, type(value), kind, str(messages.current_locale() or "kk"), here)


@lru_cache(maxsize=4096)
def _time_markup(value, kind_of_value: type, kind: str, locale: str, here: ZoneInfo) -> Markup:
    """The tag of a value, kept: a page shows the same dates on every request. Keyed by all the output depends on
    (the instant and its type, the form, the language, the zone), so a language never gets another's words."""
    if isinstance(value, datetime):
        machine = value.astimezone(here).isoformat(timespec="seconds")
        shown = written_date(value, locale) if kind == "date" else written_moment(value, locale)
    else:
        machine, shown = value.isoformat(), written_date(value, locale)
    return Markup(f'<time datetime="{escape(machine)}">{escape(shown)}</time>')


def iso_time_tag(value: str | None, kind: str = "datetime", fmt: str = "medium") -> Markup:
    """time_tag for a moment as a frozen snapshot writes it (ISO 8601, UTC)."""
    if not value:
        return Markup("")
    moment = datetime.fromisoformat(value)
    return time_tag(moment if moment.tzinfo else moment.replace(tzinfo=UTC), kind, fmt)


def operator_name() -> str:
    """The operator as its registration names it in the current language."""
    return current_app.config["OPERATOR_NAME_RU"] if str(get_locale()) == "ru" else current_app.config["OPERATOR_NAME"]


def _catalog_stamp(app) -> tuple:
    """The compiled catalogs' identity on disk: a save (in any worker) replaces a file and changes it."""
    stamp = []
    for path in _catalog_paths(app):
        try:
            found = os.stat(path)
        except OSError:
            stamp.append((path, None))
        else:
            stamp.append((path, found.st_ino, found.st_mtime_ns, found.st_size))
    return tuple(stamp)


def _catalog_paths(app) -> tuple[str, ...]:
    """Where the compiled catalogs live, worked out once per app: only their stat() is per request."""
    paths = app.extensions.get("cabinet.catalog_paths")
    if paths is None:
        paths = app.extensions["cabinet.catalog_paths"] = tuple(
            os.path.join(directory, locale, "LC_MESSAGES", "messages.mo")
            for directory in get_babel(app).translation_directories for locale in app.config["LANGUAGES"])
    return paths


def reload_changed_catalogs() -> None:
    """Before each request, a few stat() calls: drop Flask-Babel's cached translations if a .mo file changed.

    The cache belongs to the process (shared by every app in it), so the stamp it was filled under is kept beside
    it; a fresh dict rather than clear(), so a request still reading the old one cannot put stale text back.
    """
    app = current_app._get_current_object()  # once: each look through the proxy costs as much as a stat()
    domain = get_babel(app).instance.domain_instance
    stamp = _catalog_stamp(app)
    if getattr(domain, "cabinet_stamp", None) != stamp:
        domain.cache = {}
        domain.cabinet_stamp = stamp
    app.jinja_env.follow_catalogs(stamp)  # each app's templates hold translations folded in


class Request(flask.Request):
    """Flask's request, handing Flask-WTF the built-in WTForms messages (a form's own words, as "Invalid CSRF
    token") from a copy kept per language: Flask-WTF read and parsed WTForms' .mo file again on every request that
    built a form (0.3-0.4 ms). Looked up once per request, in the request's language, as Flask-WTF does."""

    @cached_property
    def wtforms_translations(self):
        return _wtforms_translations(str(get_locale()))


@lru_cache(maxsize=16)
def _wtforms_translations(locale: str):
    """WTForms' own catalog for a language: part of the installed package, it never changes while running."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _template_context():
    locale = str(messages.current_locale() or "kk")
    return {"current_locale": locale, "languages": current_app.config["LANGUAGES"],
            "operator_name": operator_name(), "operator_contact": operators.current(locale)}


def init_app(app):
    app.request_class = Request
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.before_request(reload_changed_catalogs)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.newstyle_gettext = True  # {% trans %} passes its variables to gettext, which formats them
    app.jinja_env.globals.update(messages.TEMPLATE_CALLABLES)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters["time"] = time_tag
    app.jinja_env.filters["iso_time"] = iso_time_tag
    app.jinja_env.filters["dateformat"] = lambda value, fmt=None: written_date(value) if value else ""
    app.jinja_env.filters["datetimeformat"] = lambda value, fmt=None: written_moment(value) if value else ""
    app.jinja_env.filters["sentence"] = sentence
    app.jinja_env.filters["grouped"] = messages.GroupedNumber
    app.context_processor(_template_context)
