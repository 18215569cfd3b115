"""The export as a person reads it: the collected facts in words and written dates, in the reader's language."""

from datetime import date, datetime

from markupsafe import Markup
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.audit.labels import ACTIONS, label
from cabinet.consents.purposes import BY_CODE, PURPOSES
from cabinet.disclosures.service import BASES
from cabinet.documents import issued
from cabinet.extensions import db
from cabinet.i18n import time_tag
from cabinet.messages import gettext as _
from cabinet.messages import lazy_pgettext, pgettext

WITHDRAWAL_STATUSES = {
    "scheduled": lazy_pgettext("withdrawal", "Scheduled: processing has stopped"),
    "done": lazy_pgettext("withdrawal", "Carried out: the data was destroyed"),
    "refused": lazy_pgettext("withdrawal", "Refused"),
}


def when(value: str | None) -> Markup:
    """An ISO 8601 day or moment from the export, written as the reader writes it inside <time>."""
    if not value:
        return Markup("—")
    return time_tag(date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value))


def _people(data: dict, subject) -> dict[int, str]:
    """The names of the people a consent or a complaint step names by id, in one query."""
    ids = {e["actor_id"] for e in data["consents"]["history"] if not e["who"]}
    ids |= {s["actor_id"] for c in data["complaints"] for s in c["timeline"]}
    ids -= {None, subject.id}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.given_name, User.surname).where(User.id.in_(ids)))
    return {id_: f"{given} {surname}".strip() for id_, given, surname in rows}


def _consent_rows(data: dict, subject, people: dict) -> list[dict]:
    return [{**e, "title": _purpose(e["purpose"]), "decision": label(ACTIONS, "consent." + e["action"]),
             "by": e["who"] or (_("You") if e["actor_id"] == subject.id else people.get(e["actor_id"], "—"))}
            for e in data["consents"]["history"]]


def _purpose(code: str) -> str:
    purpose = BY_CODE.get(code)
    return str(purpose.title) if purpose else code


def _steps(complaint: dict, subject, people: dict) -> list[dict]:
    return [{**s, "by": pgettext("complaint step by", "by the complainant") if s["actor_id"] == subject.id
             else people.get(s["actor_id"])} for s in complaint["timeline"]]


def _issued_title(document: dict) -> str:
    kind = issued.KINDS.get(document["kind"])
    return kind.title(document["content"]) if kind else _("Document")


def context(data: dict, subject, files: dict[int, dict]) -> dict:
    """What templates/overview/export.html needs: the export's facts with their words; `files` are the scans as
    the archive holds them (document id → its path in the archive and whether its SHA-256 matched)."""
    people = _people(data, subject)
    current = data["consents"]["current"]
    return {
        "data": data, "profile": data["profile"], "files": files, "when": when,
        "purposes": [{"title": p.title, "clause": p.clause, **current[p.code]} for p in PURPOSES],
        "consent_rows": _consent_rows(data, subject, people),
        "complaints": [{**c, "steps": _steps(c, subject, people)} for c in data["complaints"]],
        "disclosure_basis": lambda code: BASES.get(code, code),
        "withdrawal_status": lambda status: WITHDRAWAL_STATUSES.get(status, status),
        "issued_title": _issued_title,
        "reason_of": lambda details: (details or {}).get("reason") or ((details or {}).get("on_behalf") or {})
        .get("reason"),
    }
