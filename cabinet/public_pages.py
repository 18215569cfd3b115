"""Public pages kept whole: what an anonymous visitor sees of a page that shows nothing personal is rendered once per
what it shows (its parts, the language, the operator's contact, the address, the catalogs, the templates deployed)
and served from memory afterwards, with a validator (ETag, 304). A page with a form (the sign-in) is kept with a
placeholder where the form's CSRF token goes, and each visitor's own token is put in when it is served.
"""

import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from cabinet import operator as operators

PAGES_KEY, RELEASE_KEY = "cabinet.public_pages", "cabinet.templates_release"
#: anonymous pages kept at most (versions × languages × catalog saves × pages): past it, the store starts afresh
MAX_PAGES = 64
#: what a kept form page holds where the visitor's CSRF token goes (no token looks like it: those are base64 and ".")
TOKEN_PLACEHOLDER = "{cabinet:csrf-token}"


def etag(*parts) -> str:
    """A validator for what a public page shows: the parts given, the catalogs its labels come from, the templates
    deployed."""
    stamp = current_app.jinja_env.catalog_stamp, templates_release()
    return hashlib.sha256(repr((parts, stamp)).encode()).hexdigest()[:32]


def templates_release() -> int:
    """The newest template file's time, read once per process: a deployment that changes a page changes it."""
    release = current_app.extensions.get(RELEASE_KEY)
    if release is None:
        folder = Path(current_app.root_path, current_app.template_folder)
        release = current_app.extensions[RELEASE_KEY] = max(
            (path.stat().st_mtime_ns for path in folder.rglob("*.html")), default=0)
    return release


def anonymous_page(tag: str, render: Callable[[], str]) -> str:
    """The page an anonymous visitor sees under the validator, rendered once: nothing on it is personal (no name,
    no flashed message, no visitor's CSRF token: a form page holds the placeholder), and the validator covers all it
    shows."""
    pages = current_app.extensions.setdefault(PAGES_KEY, {})
    html = pages.get(tag)
    if html is None:
        if len(pages) >= MAX_PAGES:
            pages.clear()
        html = pages[tag] = render()
    return html


def public_page(parts: tuple, render: Callable[[], str]) -> Response | str:
    """A page anyone may read. To an anonymous visitor with nothing one-off pending (no flashed message) the page for
    the same parts, language, operator contact and address is rendered once and kept (a query string's page is
    rendered each time, not kept), with a validator, and answered 304 when the browser holds it already; asked about
    again each time (no-cache), so a new version or a saved catalog shows at once. Signed in, rendered each time."""
    if not anonymous():
        return render()
    tag = etag(*parts, *_shown_to_all())
    if tag in request.if_none_match:
        response = Response(status=304)
    else:
        response = make_response(anonymous_page(tag, render) if not request.query_string else render())
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def form_page(parts: tuple, render: Callable[[], str]) -> str:
    """A public page holding a form (the sign-in): to an anonymous visitor without a query string, kept with a
    placeholder for the CSRF token and served with the visitor's own (which also starts their session, as rendering
    did). No validator: the token differs each time. Otherwise rendered each time."""
    if not anonymous() or request.query_string or "csrf_token" in g:
        return render()  # a token made before the page (a form built outside render) could be in it: not kept
    try:
        html = anonymous_page(etag("form", *parts, *_shown_to_all()), lambda: _with_placeholder(render))
    except _TokenNotPlaced:
        return render()  # this visitor's own token, never kept
    return html.replace(TOKEN_PLACEHOLDER, generate_csrf())


class _TokenNotPlaced(Exception):
    """The form took its CSRF token some other way than Flask-WTF's per-request one: the page cannot be kept."""


def _with_placeholder(render: Callable[[], str]) -> str:
    g.csrf_token = TOKEN_PLACEHOLDER  # Flask-WTF's token for this request, under its field name
    try:
        html = render()
    finally:
        del g.csrf_token
    if TOKEN_PLACEHOLDER not in html and current_app.config.get("WTF_CSRF_ENABLED", True):
        raise _TokenNotPlaced
    return html


def anonymous() -> bool:
    """Nothing personal or one-off on the page: no one signed in, no flashed message waiting."""
    return "_user_id" not in session and "_flashes" not in session


def _shown_to_all() -> tuple:
    locale = str(get_locale())
    return locale, operators.current(locale), request.full_path
