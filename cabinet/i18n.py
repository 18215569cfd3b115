"""Locale and time zone: the user's choice, then the language cookie, then the browser; Kazakh by default."""

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, has_request_context, redirect, request, url_for
from flask_babel import format_date, format_datetime, get_babel, get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup, escape

from cabinet.extensions import babel, db
from cabinet.security import safe_next

LANG_COOKIE = "cabinet_lang"

bp = Blueprint("i18n", __name__)


def lang_cookie() -> str:
    """The language cookie's name: in production __Host-, so only this https host can set it (ASVS V3.3.1)."""
    return ("__Host-" if current_app.config["ENV"] == "production" else "") + LANG_COOKIE


def select_locale() -> str:
    """Outside a request (the CLI, a background job) there is no visitor: the default language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(lang_cookie())
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    """Today's date in the operator's zone: deadlines are counted from it."""
    return datetime.now(local_zone()).date()


@bp.route("/lang/<code>")
def switch(code):
    """Switch the language: saved on the account when signed in, in a cookie otherwise."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(url_for("overview.home")))
    response.set_cookie(lang_cookie(), code, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=current_app.config["ENV"] == "production")
    if current_user.is_authenticated and current_user.locale != code:
        from cabinet.accounts.service import set_locale

        set_locale(current_user._get_current_object(), code)
        db.session.commit()
    return response


def time_tag(value, kind: str = "datetime", fmt: str = "medium") -> Markup:
    """A moment or a date inside <time datetime=…>, shown in the user's language and zone."""
    if value is None:
        return Markup("")
    if isinstance(value, datetime):
        machine = value.astimezone(local_zone()).isoformat(timespec="seconds")
        shown = format_date(value.astimezone(local_zone()), fmt) if kind == "date" else format_datetime(value, fmt)
    else:
        machine, shown = value.isoformat(), format_date(value, fmt)
    return Markup('<time datetime="{}">{}</time>').format(machine, escape(shown))


def operator_name() -> str:
    """The operator as its registration names it in the current language."""
    return current_app.config["OPERATOR_NAME_RU"] if str(get_locale()) == "ru" else current_app.config["OPERATOR_NAME"]


def _catalog_stamp(app) -> tuple:
    """The compiled catalogs' identity on disk: a save (in any worker) replaces a file and changes it."""
    stamp = []
    for directory in get_babel(app).translation_directories:
        for locale in app.config["LANGUAGES"]:
            path = os.path.join(directory, locale, "LC_MESSAGES", "messages.mo")
            try:
                found = os.stat(path)
            except OSError:
                stamp.append((path, None))
            else:
                stamp.append((path, found.st_ino, found.st_mtime_ns, found.st_size))
    return tuple(stamp)


def reload_changed_catalogs() -> None:
    """Before each request, a few stat() calls: drop Flask-Babel's cached translations if a .mo file changed.

    The cache belongs to the process (shared by every app in it), so the stamp it was filled under is kept beside
    it; a fresh dict rather than clear(), so a request still reading the old one cannot put stale text back.
    """
    domain = get_babel().instance.domain_instance
    stamp = _catalog_stamp(current_app)
    if getattr(domain, "cabinet_stamp", None) != stamp:
        domain.cache = {}
        domain.cabinet_stamp = stamp
    current_app.jinja_env.follow_catalogs(stamp)  # each app's templates hold translations folded in


def _template_context():
    return {"current_locale": str(get_locale() or "kk"), "languages": current_app.config["LANGUAGES"],
            "operator_name": operator_name()}


def _translations():
    """The request's translations, found once per locale: a page translates dozens of strings, and Flask-Babel's
    own lookup walks several context proxies for each. A forced locale (mail in the recipient's language) is
    another locale, so it gets its own; the next request starts afresh, after reload_changed_catalogs."""
    if not has_request_context():
        return get_translations()
    locale, cached = get_locale(), getattr(request, "cabinet_translations", None)
    if cached is None or cached[0] is not locale:
        cached = request.cabinet_translations = (locale, get_translations())
    return cached[1]


def init_app(app):
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.before_request(reload_changed_catalogs)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s), ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n), newstyle=True)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters["time"] = time_tag
    app.context_processor(_template_context)
    app.register_blueprint(bp)
