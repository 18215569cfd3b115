"""The public policy pages' data, kept per process: a published version never changes, so it is read and its
Markdown rendered once per version and language. The list of versions in effect is read again when the day
changes, when this process publishes (service.publish), or after service.CURRENT_ID_TTL seconds (another worker
may have published), like the version in effect that the cabinet's pages ask for.
"""
import time
from dataclasses import dataclass
from datetime import date

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from cabinet.extensions import db
from cabinet.policies import service
from cabinet.policies.models import PolicyText, PolicyVersion

TEXTS_KEY = "cabinet.policy_texts"


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
