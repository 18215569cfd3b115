"""Every translated string of the cabinet, in Python and in templates, comes from here.

A translation is text typed by a person with a low-privilege role (a translator), so it is treated as
untrusted input: in HTML it is escaped, and markup survives only where the source string itself has
markup, and then only the source's own tags with the source's own attribute values (an nh3 allow-list
built from the source). Formatting that fails (a stray `%`, a placeholder the source does not have, a
wrong type) shows the source string instead, logged once: no catalog content can break a page.
"""

import logging
from functools import lru_cache, partial
from html.parser import HTMLParser

import flask_babel
import nh3
from babel.numbers import format_decimal
from flask import g, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup, escape

from cabinet.dates import SENTENCE_ENDS

log = logging.getLogger(__name__)

#: what `text % variables` raises for a format string that does not fit its variables
FORMAT_ERRORS = (TypeError, ValueError, KeyError, IndexError, OverflowError)
#: elements that have no end tag
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})
#: characters that reorder or hide the text around them (bidirectional controls, separators, BOM): never shown
HIDDEN = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff")
_UNSHOWN = str.maketrans(dict.fromkeys(map(ord, HIDDEN)))
#: translations already reported as broken, so a page rendered a thousand times logs once
_reported: set[tuple] = set()
_REPORTED_MAX = 10_000


def current_locale():
    """Flask-Babel's get_locale(), read where it keeps the request's locale once chosen (or forced): its own
    lookup walks the request globals twice, 3-4 µs, and a page asks for the locale dozens of times."""
    try:
        found = g._get_current_object()._flask_babel.babel_locale  # the proxy once, not per attribute
    except (AttributeError, RuntimeError):  # not chosen yet; outside an app context
        found = None
    return found if found is not None else get_locale()


def catalog():
    """The request's translations, found once per locale.

    A page translates dozens of strings, and Flask-Babel's own lookup walks several context proxies for each.
    A forced locale (mail in the recipient's language) is another locale, so it gets its own; the next request
    starts afresh, after i18n.reload_changed_catalogs.
    """
    if not has_request_context():
        return get_translations()
    here = request._get_current_object()  # the proxy once: a page asks for its catalog dozens of times
    locale, cached = current_locale(), getattr(here, "cabinet_translations", None)
    if cached is None or cached[0] is not locale:
        cached = here.cabinet_translations = (locale, get_translations())
    return cached[1]


# -- Python code: plain text, escaped by the template it lands in ------------------------------------------------

def gettext(string: str, **variables) -> str:
    return formatted(string, catalog().ugettext(string), variables)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return formatted(singular if num == 1 else plural, catalog().ungettext(singular, plural, num), variables)


def pgettext(context: str, string: str, **variables) -> str:
    return formatted(string, catalog().upgettext(context, string), variables)


def npgettext(context: str, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return formatted(singular if num == 1 else plural, catalog().unpgettext(context, singular, plural, num),
                     variables)


class LazyText(LazyString):
    """Flask-Babel's lazy string, as text: its own __html__ hands the translation to Jinja as safe HTML."""

    def __html__(self) -> Markup:
        """Kept per catalog for the messages' own functions without variables (a table shows the same label on every
        row): the words depend on nothing else, and a reloaded catalog is another object."""
        if self._func not in _CATALOG_ONLY or self._kwargs:
            return escape(str(self))
        translations, kept = catalog(), self.__dict__.setdefault("_kept", {})
        found = kept.get(id(translations))
        if found is None or found[0] is not translations:
            if len(kept) >= _KEPT_CATALOGS:
                kept.clear()
            found = kept[id(translations)] = (translations, escape(str(self)))
        return found[1]

    def __mod__(self, variables):
        """`lazy % {...}` formats through gettext, so a bad translation still falls back to the source."""
        if isinstance(variables, dict):
            return self._func(*self._args, **{**self._kwargs, **variables})
        return str(self) % variables


#: the functions whose words are those of the request's catalog alone (LazyText.__html__ keeps them per catalog)
_CATALOG_ONLY = (gettext, ngettext, pgettext)
#: catalogs a lazy string keeps its words for: both languages, and a reload's new ones in turn
_KEPT_CATALOGS = 4


def lazy_gettext(string: str, **variables) -> LazyText:
    """For strings made at import time (form labels): translated each time they are shown."""
    return LazyText(gettext, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables) -> LazyText:
    return LazyText(ngettext, singular, plural, num, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyText:
    return LazyText(pgettext, context, string, **variables)


# -- templates: Markup when the template escapes, as Jinja's newstyle gettext gives ------------------------------

@pass_context
def template_gettext(context, string: str, **variables):
    return formatted(string, catalog().ugettext(string), variables, context.eval_ctx.autoescape)


@pass_context
def template_ngettext(context, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    return formatted(singular if num == 1 else plural, catalog().ungettext(singular, plural, num), variables,
                     context.eval_ctx.autoescape)


@pass_context
def template_pgettext(context, msgctxt: str, string: str, **variables):
    return formatted(string, catalog().upgettext(msgctxt, string), variables, context.eval_ctx.autoescape)


@pass_context
def template_npgettext(context, msgctxt: str, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    return formatted(singular if num == 1 else plural, catalog().unpgettext(msgctxt, singular, plural, num),
                     variables, context.eval_ctx.autoescape)


TEMPLATE_CALLABLES = {"gettext": template_gettext, "ngettext": template_ngettext, "pgettext": template_pgettext,
                      "npgettext": template_npgettext}


# -- the two guarantees ------------------------------------------------------------------------------------------

def formatted(source: str, text: str, variables: dict, html: bool = False):
    """`text % variables`, as HTML when asked; the source string instead when the translation cannot be formatted."""
    if variables:
        return _formatted(source, text, variables, html)[0]
    # without variables (labels, titles: most strings) the result is the same every time: kept, keyed by the source,
    # its translation, the kind of output and their types (Markup, already safe, is never taken for an equal str
    # that must still be escaped); one that cannot be formatted is not kept, so it is reported as before
    key = (source, text, html, type(source), type(text))
    found = _constants.get(key)
    if found is None:
        found, fits = _formatted(source, text, variables, html)
        if fits:
            if len(_constants) >= _CONSTANTS_MAX:
                _constants.clear()
            _constants[key] = found
    return found


#: formatted strings without variables (formatted)
_constants: dict[tuple, str] = {}
_CONSTANTS_MAX = 4096


def _formatted(source: str, text: str, variables: dict, html: bool) -> tuple:
    """The formatted string, and whether the translation itself could be formatted."""
    text, source = no_double_stop(text, variables), no_double_stop(source, variables)
    text = text.translate(_UNSHOWN)
    shown, fallback = (as_markup(source, text), as_markup(source, source)) if html else (text, source)
    try:
        return shown % variables, True
    except FORMAT_ERRORS as error:
        _report(source, text, error)
    try:
        return fallback % variables, False
    except FORMAT_ERRORS:  # the source itself is broken: a bug in the code, which `i18n check` reports
        return fallback, False


def _ends_sentence(value) -> bool:
    shown = value.striptags() if isinstance(value, Markup) else str(value)
    return shown.rstrip().endswith(tuple(SENTENCE_ENDS))


def decimal(number, pattern: str) -> str:
    """Flask-Babel's format_decimal(number, pattern) in the request's language, kept: Babel parses the pattern and
    walks the locale's symbols on each call (~25 µs), and a page shows the same sizes on every request."""
    locale = current_locale()
    if locale is None:
        return flask_babel.format_decimal(number, pattern)
    return _decimal(number, pattern, str(locale))


@lru_cache(maxsize=1024, typed=True)
def _decimal(number, pattern: str, locale: str) -> str:
    return format_decimal(number, format=pattern, locale=locale)


class GroupedNumber(int):
    """A count a reader reads («10 000» in kk and ru), still an int for the plural choice; the `grouped` filter
    makes one where a template shows a limit ("%(count)d" still formats the plain number)."""

    def __str__(self) -> str:
        return format_decimal(int(self), locale=str(current_locale() or "kk"))


def no_double_stop(text: str, variables: dict) -> str:
    """A sentence's own full stop is dropped after a value that already ends with one (a Russian date's «г.»)."""
    if not isinstance(variables, dict) or "." not in text:
        return text
    for name, value in variables.items():
        if f"%({name})s." in text and _ends_sentence(value):
            text = text.replace(f"%({name})s.", f"%({name})s")
    return text


def as_markup(source: str, text: str) -> Markup:
    """The translation as HTML: text escaped; only the source's own tags and attribute values kept."""
    if "<" not in source:
        return escape(text)
    return Markup(_clean(source, text))


@lru_cache(maxsize=1024)
def _clean(source: str, text: str) -> str:
    allowed = allowed_markup(source)
    return nh3.clean(text, tags=set(allowed), attributes={tag: set(attrs) for tag, attrs in allowed.items()},
                     attribute_filter=partial(_known_value, allowed), link_rel=None, strip_comments=True)


def _known_value(allowed: dict, tag: str, attribute: str, value: str) -> str | None:
    return value if value in allowed.get(tag, {}).get(attribute, ()) else None


def allowed_markup(source: str) -> dict[str, dict[str, set[str]]]:
    """Each tag of the source, with each of its attributes and the values the source gives it."""
    allowed: dict[str, dict[str, set[str]]] = {}
    for kind, tag, attributes in markup_of(source).tags:
        if kind == "start":
            for name, value in attributes:
                allowed.setdefault(tag, {}).setdefault(name, set()).add(value or "")
            allowed.setdefault(tag, {})
    return allowed


class TagReader(HTMLParser):
    """The tags of a string as a browser would read them, and whatever is left over as '<' in the text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, str, tuple]] = []
        self.stray = False
        self.other = False  # comments, declarations, processing instructions
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(("start", tag, tuple(sorted(attrs, key=lambda a: a[0]))))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.tags.append(("end", tag, ()))

    def handle_endtag(self, tag):
        self.tags.append(("end", tag, ()))

    def handle_data(self, data):
        if "<" in data or ">" in data:
            self.stray = True

    def handle_comment(self, data):
        self.other = True

    handle_decl = handle_pi = unknown_decl = handle_comment


@lru_cache(maxsize=1024)
def markup_of(text: str) -> TagReader:
    return TagReader(text)


def _report(source: str, text: str, error: Exception) -> None:
    locale = str(get_locale() or "")
    key = (locale, source, str(text))
    if key in _reported:
        return
    if len(_reported) >= _REPORTED_MAX:
        _reported.clear()
    _reported.add(key)
    log.warning("the %s translation of %r cannot be formatted (%s: %s), so the source is shown; translation: %r",
                locale, str(source)[:200], type(error).__name__, error, str(text)[:200])
