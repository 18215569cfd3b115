"""The consent receipt (law art. 8 p.4): frozen with each consent decision, printable and signed by the operator.

The snapshot holds everything the receipt shows as it stood when the decision was taken — the subject's name,
the purpose's wording in both languages, who decided and on what basis — so a later change of name, of the
purposes' wording or of the catalogs never reaches a receipt already issued.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from cabinet import operator as operators
from cabinet.accounts.models import User
from cabinet.audit import who
from cabinet.audit.labels import ACTIONS, FIELDS, METHODS, label
from cabinet.audit.wording import by_whom, full_name
from cabinet.consents.models import ConsentEvent
from cabinet.consents.purposes import BY_CODE
from cabinet.documents import issued, lazy
from cabinet.extensions import db
from cabinet.messages import gettext as _

KIND = "consent_receipt"
SCHEMA = 1
LOCALES = ("kk", "ru")


def _worded(purpose) -> dict[str, dict]:
    """What the receipt words in both languages, as each reads it now (one switch of language each)."""
    words = {"title": {}, "description": {}, "data": {}}
    for locale in LOCALES:
        with force_locale(locale):
            words["title"][locale], words["description"][locale] = str(purpose.title), str(purpose.description)
            words["data"][locale] = [_in_a_sentence(str(label(FIELDS, f))) for f in FIELDS] + [
                _("scanned documents you gave")]
    return words


def _third_party_allowed(subject_id: int, upto_event_id: int) -> bool:
    """Whether transfer to third parties was consented to when the event was recorded."""
    latest = db.session.scalar(select(ConsentEvent.action).where(
        ConsentEvent.user_id == subject_id, ConsentEvent.purpose == "third_party", ConsentEvent.id <= upto_event_id)
        .order_by(ConsentEvent.id.desc()).limit(1))
    return latest == "grant"


def _snapshot(event: ConsentEvent, subject: User, by: dict, third_party: bool) -> dict:
    purpose = BY_CODE[event.purpose]
    version = event.policy_version
    words = _worded(purpose)
    return {
        "schema": SCHEMA, "event_id": event.id,
        "operator": operators.frozen(),
        "subject": {"surname": subject.surname, "given_name": subject.given_name,
                    "patronymic": subject.patronymic, "email": subject.email},
        "purpose": {"code": purpose.code, "clause": purpose.clause, "optional": purpose.optional,
                    "title": words["title"], "description": words["description"]},
        "data": words["data"],
        "action": event.action, "at": issued.iso(event.at), "channel": event.channel,
        "policy_version": {"label": version.label, "effective_from": issued.iso(version.effective_from)}
        if version else None,
        "third_party": third_party,
        "by": by,
    }


def _in_a_sentence(field_label: str) -> str:
    """A field's label inside a list: "Тегі" → "тегі" (its first letter only: "E-mail" → "e-mail")."""
    return field_label[:1].lower() + field_label[1:]


def freeze(event: ConsentEvent, subject: User, *, actor, third_party: bool):
    """The receipt, in the decision's transaction; third_party: whether transfer to third parties stood consented
    to with this decision taken (the caller has just read the subject's decisions)."""
    return issued.freeze(KIND, event.id, subject.id,
                         _snapshot(event, subject, who.frozen(actor, subject), third_party))


def _reconstruct(event: ConsentEvent):
    """A decision recorded before receipts were frozen: from the data as stored now (the trail has the rest)."""
    subject = db.session.get(User, event.user_id)
    actor = event.actor
    by = {"name": full_name(actor) if actor else None,
          "role": "subject" if actor is not None and actor.id == subject.id else
          who.staff_role(actor) if actor is not None else "job"}
    return lambda: _snapshot(event, subject, by, _third_party_allowed(subject.id, event.id))


def receipt(event: ConsentEvent):
    return issued.ensure(KIND, event.id, event.user_id, _reconstruct(event))


def receipts_of(events) -> dict[int, object]:
    """Event id → its receipt, for a history page (one query)."""
    return issued.find_many(KIND, (e.id for e in events))


# --- the PDF ------------------------------------------------------------------------------------------------

def number(frozen: dict) -> str:
    return f"K-{frozen['event_id']:06d}"


def title(frozen: dict) -> str:
    return _("Consent receipt %(number)s", number=number(frozen))


def render(frozen: dict) -> bytes:
    """The receipt in the current language, from its snapshot alone."""
    layout = lazy.layout()
    locale = layout.reader_locale()
    operator, person, purpose = frozen["operator"], frozen["subject"], frozen["purpose"]
    pdf = layout.issued_page(title(frozen), frozen)
    pdf.line_of(_("Consent to the collection and processing of personal data"), size=14, bold=True, height=7.5)
    pdf.line_of(_("Law of the Republic of Kazakhstan “On personal data and their protection”, article 8"), size=9,
                gap=2)
    pdf.line_of(_("Receipt %(number)s", number=number(frozen)), size=12, bold=True, height=7, gap=2)
    rows = [
        (_("Operator"), f"{operator[f'name_{locale}']}, {_('BIN')} {operator['bin']}"),
        *operators.rows(operator, locale),
        (_("Data subject"), " ".join(p for p in (person["surname"], person["given_name"], person["patronymic"]) if p)
         + f", {person['email']}"),
        (_("Purpose"), f"{purpose['title'][locale]} ({_('clause %(clause)s', clause=purpose['clause'])}) — "
                       f"{purpose['description'][locale]}"),
        (_("Decision"), f"{label(ACTIONS, 'consent.' + frozen['action'])}, {layout.when(frozen['at'])}"),
        (_("How"), str(label(METHODS, frozen["channel"]))),
        (_("By whom"), by_whom(frozen["by"])),
        (_("Policy version"), frozen["policy_version"]["label"] if frozen["policy_version"] else "—"),
        (_("Data processed"), ", ".join(frozen["data"][locale])),
        (_("Valid"), _("Until you withdraw it or the purpose is achieved.")),
        (_("Transfer to third parties"), _("allowed by your consent (clause 3.5.1)") if frozen["third_party"]
         else _("not allowed, except where the law requires it (clause 3.4)")),
        (_("Cross-border transfer"), _("Allowed by the policy: the operator may keep your data on servers outside "
                                       "Kazakhstan (clause 3.3).")),
        (_("How to withdraw"), _("On the consents page of your cabinet, or by a written request to the operator.")),
    ]
    for name, value in rows:
        pdf.line_of(name, size=9, bold=True, height=4.6)
        pdf.line_of(value, gap=1.5)
    return layout.issued_end(pdf, frozen)


issued.register(KIND, title=title, render=render)
