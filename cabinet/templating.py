"""Templates compiled once per language, with their constant strings already translated.

A page holds dozens of `_("…")` calls; translating each while rendering costs more than the rest of the
page. So every language has its own copy of the environment (an overlay: same loader, globals and filters,
its own compiled templates), and FoldedTranslations puts the translation of each `_("constant")`, escaped as
cabinet.messages escapes it at render time, into the compiled template. Strings with variables and plurals
(`_("…", n=…)`, `{% trans %}`, `ngettext`) are still translated while rendering. A saved catalog changes the
compiled copies: i18n drops them (follow_catalogs).
"""

import re

from flask import has_app_context, has_request_context, request
from flask.templating import Environment as FlaskEnvironment
from flask_babel import force_locale, get_translations
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup

from cabinet.messages import current_locale, formatted

#: the size of each language's cache of compiled templates (Jinja's default)
CACHE_SIZE = 400


class Environment(FlaskEnvironment):
    """Flask's environment, whose templates are loaded from the current language's overlay."""

    #: the overlay's language; None in the environment Flask creates, which only hands out overlays
    language: str | None = None
    #: the compiled catalogs the overlays' translations came from (i18n._catalog_stamp)
    catalog_stamp: tuple | None = None

    def __init__(self, app, **options):
        super().__init__(app, **options)
        self.languages: dict[str, Environment] = {}
        self.fragments: dict[tuple, Markup] = {}
        self.globals = Globals(self, self.globals)

    def make_globals(self, d):
        """A template's globals as a plain dict, not Jinja's ChainMap over ours: every render copies them and
        every `{% from … import %}` compares their keys, through ChainMap's Python methods (about 200 calls a
        page). A copy is safe because the globals are set up before any template loads (Jinja asks as much),
        and a later change drops every compiled template anyway (Globals)."""
        return {**self.globals, **(d or {})}

    def drop_compiled(self) -> None:
        """Forget every compiled template, here and in the languages' overlays."""
        if self.cache is not None:
            self.cache.clear()
        self.languages = {}

    def in_language(self, code: str) -> "Environment":
        overlay = self.languages.get(code)
        if overlay is None:
            overlay = self.overlay(cache_size=CACHE_SIZE)
            overlay.language, overlay.fragments = code, {}  # its own: an overlay starts with a copy of our attributes
            self.languages[code] = overlay
        return overlay

    def kept(self, name: str, **values) -> Markup:
        """A fragment rendered once per its values, the language and the script root, then kept (the layout's
        section links: a dozen links a page). Its template must read nothing but these values, url_for and
        constant strings; the values must be hashable. Kept in the language's overlay, so a changed catalog
        drops them with it (follow_catalogs)."""
        overlay = self if self.language is not None else self._current()
        if not has_request_context():
            return Markup(overlay.get_template(name).render(values))
        key = (name, request.script_root, *sorted(values.items()))
        html = overlay.fragments.get(key)
        if html is None:
            if len(overlay.fragments) >= KeptPaths.LIMIT:
                overlay.fragments = {}
            html = overlay.fragments[key] = Markup(overlay.get_template(name).render(values))
        return html

    def follow_catalogs(self, stamp: tuple) -> None:
        """Changed catalogs: drop the overlays (a fresh dict, so a request rendering with one finishes with it)."""
        if stamp != self.catalog_stamp:
            self.languages, self.catalog_stamp = {}, stamp

    def _current(self) -> "Environment":
        """The overlay of the request's language, found once a request and locale: a page asks for it for each
        template, import and kept fragment, and naming the locale (Flask-Babel's look-up, str() of a Babel locale)
        cost about 20 calls each time. Found again for another locale (a mail forced into its reader's) or when the
        overlays were dropped meanwhile."""
        locale = current_locale()
        if not has_request_context():
            return self.in_language(str(locale or self.app.config["BABEL_DEFAULT_LOCALE"]))
        here = request._get_current_object()
        kept = getattr(here, "cabinet_overlay", None)
        if kept is None or kept[0] is not locale or kept[2] is not self.languages:
            overlay = self.in_language(str(locale or self.app.config["BABEL_DEFAULT_LOCALE"]))
            kept = here.cabinet_overlay = (locale, overlay, self.languages)
        return kept[1]

    def get_template(self, name, parent=None, globals=None):
        if self.language is None:
            return self._current().get_template(name, parent, globals)
        return super().get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        if self.language is None:
            return self._current().select_template(names, parent, globals)
        return super().select_template(names, parent, globals)


class Globals(dict):
    """The environment's globals: a change drops the compiled templates, whose globals are copies of these."""

    def __init__(self, environment: Environment, values):
        super().__init__(values)
        self.environment = environment

    def _changed(self) -> None:
        self.environment.drop_compiled()  # the overlays share this dict; the base environment holds them

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._changed()

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key, default=None):
        value = super().setdefault(key, default)
        self._changed()
        return value

    def pop(self, *args):
        value = super().pop(*args)
        self._changed()
        return value

    def popitem(self):
        item = super().popitem()
        self._changed()
        return item

    def clear(self):
        super().clear()
        self._changed()

    def __ior__(self, other):
        self.update(other)
        return self


class FoldedTranslations(Extension):
    """`_("constant")` becomes `("its translation"|safe)` when an overlay compiles the template.

    The same value the template gettext of cabinet.messages gives while rendering: in a template that escapes,
    the translation escaped (markup only as the source has it), formatted with no variables (so "%%" reads "%"),
    or the source string when the translation cannot be formatted.
    """

    def filter_stream(self, stream):
        language = getattr(self.environment, "language", None)
        if language is None or not has_app_context():
            return stream
        with force_locale(language):
            translations = get_translations()
        autoescape = self.environment.autoescape
        html = bool(autoescape(stream.name) if callable(autoescape) else autoescape)
        return self._fold(list(stream), translations, html)

    @staticmethod
    def _fold(tokens: list[Token], translations, html: bool):
        index = 0
        while index < len(tokens):
            token = tokens[index]
            call = tokens[index:index + 4]
            if (token.test("name:_") and [t.type for t in call] == ["name", "lparen", "string", "rparen"]
                    and not (index and tokens[index - 1].type == "dot")):
                source = call[2].value
                text = str(formatted(source, translations.ugettext(source), {}, html))
                line = token.lineno
                yield from (Token(line, "lparen", "("), Token(line, "string", text), Token(line, "pipe", "|"),
                            Token(line, "name", "safe"), Token(line, "rparen", ")"))
                index += 4
                continue
            yield token
            index += 1


class KeptPaths:
    """Templates' url_for, keeping the path of each endpoint and values asked (a page's two dozen links).

    Built by Flask's own url_for the first time; kept per endpoint, values (with their types: True and 1 build
    different paths) and the request's script root, the only part of the request such a relative path depends on
    (no host matching or subdomains here, no url_defaults). A relative endpoint (".x"), url_for's own arguments
    (_external, _anchor, _method, _scheme), a value that cannot be a key or a call outside a request go to Flask's
    url_for as before.
    """

    #: endpoints and values times script roots; a flood of odd values or script roots only empties it
    LIMIT = 1024
    OWN = frozenset({"_external", "_anchor", "_method", "_scheme"})
    #: what a person typed or a row's sort key (a surname in a search's cursor) is never kept in the process's
    #: memory: such links, and texts other than codes, numbers, file names and plain paths, are built each time
    TYPED = frozenset({"q", "after", "before"})
    CODE = re.compile(r"[A-Za-z0-9_.\-/]{1,64}")

    def __init__(self, url_for):
        self.url_for, self.kept = url_for, {}

    def __call__(self, endpoint: str, **values) -> str:
        if endpoint[:1] == "." or not self.OWN.isdisjoint(values) or not self._keepable(values):
            return self.url_for(endpoint, **values)
        try:
            key = (endpoint, request.script_root, *[(name, type(value), value) for name, value in values.items()])
            path = self.kept.get(key)
        except (RuntimeError, TypeError):  # outside a request; a value that is no key (a list)
            return self.url_for(endpoint, **values)
        if path is None:
            path = self.url_for(endpoint, **values)
            if len(self.kept) >= self.LIMIT:
                self.kept = {}
            self.kept[key] = path
        return path


    def _keepable(self, values: dict) -> bool:
        return self.TYPED.isdisjoint(values) and all(
            not isinstance(value, str) or self.CODE.fullmatch(value) for value in values.values())


def init_app(app):
    """Before anything touches app.jinja_env, which Flask creates on first use from app.jinja_environment."""
    app.jinja_environment = Environment
    app.jinja_env.add_extension(FoldedTranslations)
    app.jinja_env.globals["url_for"] = KeptPaths(app.url_for)
    app.jinja_env.globals["kept_fragment"] = app.jinja_env.kept
