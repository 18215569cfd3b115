"""Publishing versions and recording acceptances."""

import time
from datetime import date

from flask import current_app, has_request_context, request
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from cabinet.audit import labels, trail
from cabinet.dates import written_date
from cabinet.domain import DomainError
from cabinet.extensions import db
from cabinet.messages import LazyText
from cabinet.messages import lazy_gettext as _l
from cabinet.policies.models import PolicyAcceptance, PolicyText, PolicyVersion

labels.register_actions({
    "policy.accepted": _l("Privacy policy accepted"),
})

#: CommonMark with raw HTML disabled: policy texts are rendered safely
_markdown = MarkdownIt("commonmark", {"html": False})


#: the refusal of a label another version has (found first, or by the database when two publish it at once)
LABEL_TAKEN = _l("A version with this label exists; a published version never changes.")


class PolicyError(DomainError):
    """A publication that cannot be made: the message says why, `field` names the input it is about."""

    def __init__(self, message, *, code: str, field: str):
        super().__init__(message, code=code)
        self.field = field


def render_markdown(text: str) -> Markup:
    return Markup(_markdown.render(text))


def current_version(today: date | None = None) -> PolicyVersion | None:
    """The newest version whose effective date has come."""
    query = select(PolicyVersion).order_by(PolicyVersion.effective_from.desc(), PolicyVersion.id.desc())
    if today is not None:
        query = query.where(PolicyVersion.effective_from <= today)
    return db.session.scalars(query.limit(1)).first()


#: how long a process trusts its knowledge of the version in effect (another worker may publish one)
CURRENT_ID_TTL = 30
#: where policies.published keeps the list of versions in effect the public pages show, for as long
PUBLIC_VERSIONS_KEY = "cabinet.policy_versions"


def current_version_id(today: date) -> int | None:
    """The id of the version in effect, remembered per app for CURRENT_ID_TTL seconds: every cabinet page asks."""
    cached = current_app.extensions.get("cabinet.current_policy")
    now = time.monotonic()
    if cached is None or cached[0] != today or cached[1] < now:
        version = current_version(today)
        cached = current_app.extensions["cabinet.current_policy"] = (today, now + CURRENT_ID_TTL,
                                                                      version.id if version else None)
    return cached[2]


def get_version(label: str) -> PolicyVersion | None:
    return db.session.scalar(select(PolicyVersion).where(PolicyVersion.label == label))


def check(label: str, effective_from: date, texts: dict[str, str], *, earliest: date | None = None) -> None:
    """Refuse what cannot be published (raising PolicyError): a label taken or out of shape, a day before
    `earliest` (today, for a version posted from the browser: clause 5.5, in effect when posted) or before the
    newest version's, a language without its text. Lazy messages: each reader sees them in their language."""
    label = label.strip()
    if not label or len(label) > 32:
        raise PolicyError(_l("The version label must be 1 to 32 characters."), code="label", field="label")
    if get_version(label) is not None:
        raise PolicyError(LABEL_TAKEN, code="label_exists", field="label")
    if earliest is not None and effective_from < earliest:
        raise PolicyError(_l("A new version takes effect when it is posted: choose today or a later day."),
                          code="past", field="effective_from")
    latest = current_version()
    if latest is not None and effective_from < latest.effective_from:
        raise PolicyError(_l("Version %(label)s takes effect on %(day)s; a new version cannot take effect before it.",
                             label=latest.label, day=LazyText(written_date, latest.effective_from)),
                          code="before_latest", field="effective_from")
    for locale in ("kk", "ru"):
        if not (texts.get(locale) or "").strip():
            raise PolicyError(_l("The text is missing: a version is published in Kazakh and in Russian."),
                              code="text_missing", field=f"text_{locale}")


def publish(label: str, effective_from: date, texts: dict[str, str], summaries: dict[str, str] | None = None,
            *, actor=None, earliest: date | None = None) -> PolicyVersion:
    """Publish an immutable version with a text in every language, its trail event and the caches told; refused
    (PolicyError, nothing written) for what `check` refuses. actor: an Actor, or None for set-up."""
    check(label, effective_from, texts, earliest=earliest)
    label = label.strip()
    version = PolicyVersion(label=label, effective_from=effective_from,
                            published_by_id=getattr(actor, "id", None))
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError as error:  # published by another request since the check: the caller rolls back
        raise PolicyError(LABEL_TAKEN, code="label_exists", field="label") from error
    for locale, body in texts.items():
        db.session.add(PolicyText(version_id=version.id, locale=locale, body=body.strip() + "\n",
                                  summary=(summaries or {}).get(locale, "")))
    trail.record("policy.published", actor=actor, obj=version,
                 details={"label": label, "effective_from": effective_from.isoformat()})
    current_app.extensions.pop("cabinet.current_policy", None)  # this process sees it at once, others within the TTL
    current_app.extensions.pop(PUBLIC_VERSIONS_KEY, None)
    return version


def record_acceptance(version: PolicyVersion, *, actor, subject, method: str, locale: str) -> PolicyAcceptance:
    """Record that the subject acknowledged this version, with the evidence of how."""
    ip = request.remote_addr if has_request_context() else None
    agent = request.user_agent.string[:300] if has_request_context() else None
    acceptance = PolicyAcceptance(user_id=subject.id, version_id=version.id, method=method,
                                  locale=locale, ip=ip, user_agent=agent, actor_id=actor.id)
    db.session.add(acceptance)
    db.session.flush()
    trail.record("policy.accepted", actor=actor, subject=subject, obj=acceptance,
                 details={"version": version.label, "method": method, "locale": locale})
    return acceptance


def accepted(subject, version: PolicyVersion) -> bool:
    return db.session.scalar(select(PolicyAcceptance.id).where(
        PolicyAcceptance.user_id == subject.id, PolicyAcceptance.version_id == version.id).limit(1)) is not None


def version_to_review(subject, today: date) -> PolicyVersion | None:
    """The version in effect, when the subject has not acknowledged it yet; one query, as every cabinet page asks."""
    acknowledged = exists().where(PolicyAcceptance.user_id == subject.id,
                                  PolicyAcceptance.version_id == PolicyVersion.id)
    row = db.session.execute(select(PolicyVersion.id, acknowledged).where(PolicyVersion.effective_from <= today)
                             .order_by(PolicyVersion.effective_from.desc(), PolicyVersion.id.desc()).limit(1)).first()
    # columns, not the entity: on nearly every page the answer is "nothing to review"
    return db.session.get(PolicyVersion, row[0]) if row is not None and not row[1] else None


def last_accepted(subject) -> PolicyVersion | None:
    return db.session.scalar(select(PolicyVersion).join(PolicyAcceptance).where(PolicyAcceptance.user_id == subject.id)
                             .order_by(PolicyVersion.effective_from.desc(), PolicyVersion.id.desc()).limit(1))
