"""The public policy pages' data, kept per process: a published version never changes, so it is read and its
Markdown rendered once per version and language. The list of versions in effect is read again when the day
changes, when this process publishes (service.publish), or after service.CURRENT_ID_TTL seconds (another worker
may have published), like the version in effect that the cabinet's pages ask for.
"""
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Response, current_app, make_response, request, session
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select

from cabinet import operator as operators
from cabinet.extensions import db
from cabinet.policies import service
from cabinet.policies.models import PolicyText, PolicyVersion

TEXTS_KEY, PAGES_KEY, RELEASE_KEY = "cabinet.policy_texts", "cabinet.policy_pages", "cabinet.templates_release"
#: anonymous pages kept at most (versions × languages × catalog saves): past it, the store starts afresh
MAX_PAGES = 64


@dataclass(frozen=True)
class VersionLine:
    """What the pages show of a version besides its text."""

    id: int
    label: str
    effective_from: date


@dataclass(frozen=True)
class RenderedText:
    """A version's text in one language, its Markdown rendered (raw HTML escaped, as service.render_markdown does)."""

    locale: str
    body: Markup


def versions_in_effect(today: date) -> tuple[VersionLine, ...]:
    """Every version whose effective date has come, oldest first: the last one is in effect."""
    cached = current_app.extensions.get(service.PUBLIC_VERSIONS_KEY)
    now = time.monotonic()
    if cached is None or cached[0] != today or cached[1] < now:
        rows = db.session.execute(select(PolicyVersion.id, PolicyVersion.label, PolicyVersion.effective_from)
                                  .where(PolicyVersion.effective_from <= today)
                                  .order_by(PolicyVersion.effective_from, PolicyVersion.id))
        cached = current_app.extensions[service.PUBLIC_VERSIONS_KEY] = (today, now + service.CURRENT_ID_TTL,
                                                          tuple(VersionLine(*row) for row in rows))
    return cached[2]


def text_of(version_id: int, locale: str) -> RenderedText | None:
    """The version's text in the language, or in the first language it has (as PolicyVersion.text chooses)."""
    texts = current_app.extensions.setdefault(TEXTS_KEY, {})
    rendered = texts.get(version_id)
    if rendered is None:
        rows = db.session.execute(select(PolicyText.locale, PolicyText.body).where(PolicyText.version_id == version_id)
                                  .order_by(PolicyText.locale)).all()
        rendered = texts[version_id] = {row.locale: RenderedText(row.locale, service.render_markdown(row.body))
                                        for row in rows}
    return rendered.get(locale) or next(iter(rendered.values()), None)


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
    no CSRF token, no flashed message), and the validator covers all it shows."""
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
    if "_user_id" in session or "_flashes" in session:
        return render()
    locale = str(get_locale())
    tag = etag(*parts, locale, operators.current(locale), request.full_path)
    if tag in request.if_none_match:
        response = Response(status=304)
    else:
        response = make_response(anonymous_page(tag, render) if not request.query_string else render())
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response
