"""The decision on a name correction (law art. 25 p.2(8)): frozen when staff decide, printable and signed.

The snapshot keeps the names as they stood before the decision, what was asked and why, the scans' hashes,
the decision with its reason, and who took it — so the approved change itself never rewrites the document.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from cabinet import operator as operators
from cabinet.accounts.models import User
from cabinet.audit import who
from cabinet.audit.labels import FIELDS, STATUSES, filesize, label
from cabinet.audit.wording import by_whom, full_name
from cabinet.dates import written
from cabinet.documents import issued, lazy
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.profile.models import CorrectionRequest, ProfileChange

KIND = "correction_decision"
SCHEMA = 1
LOCALES = ("kk", "ru")


def _labels(fields) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        with force_locale(locale):
            result[locale] = {f: str(label(FIELDS, f)) for f in fields}
    return result


def _snapshot(request: CorrectionRequest, subject: User, before: dict, *, requested_by: dict, decided_by: dict):
    scans = db.session.scalars(select(Document).where(Document.kind == "correction",
                                                      Document.attached_id == request.id).order_by(Document.id))
    return {
        "schema": SCHEMA, "request_id": request.id,
        "operator": operators.frozen(),
        "subject": {**before, "email": subject.email},
        "filed_at": issued.iso(request.created_at), "due_on": issued.iso(request.due_on),
        "requested_by": requested_by, "reason": request.reason,
        "changes": [{"field": f, "old": before.get(f), "new": v} for f, v in sorted(request.changes.items())],
        "labels": _labels(sorted(request.changes)),
        "scans": [{"name": d.original_name, "size": d.size, "sha256": d.sha256} for d in scans],
        "decision": request.status, "decision_reason": request.decision_reason,
        "decided_at": issued.iso(request.decided_at), "decided_by": decided_by,
    }


def names_of(subject: User) -> dict:
    return {"surname": subject.surname, "given_name": subject.given_name, "patronymic": subject.patronymic}


def freeze(request: CorrectionRequest, subject: User, before: dict, *, actor):
    """The decision document, in the decision's transaction; `before` holds the names as they were."""
    requested_by = _requester(request, subject, before)
    return issued.freeze(KIND, request.id, subject.id, _snapshot(
        request, subject, before, requested_by=requested_by, decided_by=who.frozen(actor, subject)))


def _requester(request: CorrectionRequest, subject: User, before: dict) -> dict:
    """Who filed the request; the subject under the name they had then."""
    person = db.session.get(User, request.requested_by_id) if request.requested_by_id else None
    if person is None or person.id == subject.id:
        return {"name": f"{before['given_name']} {before['surname']}", "role": "subject"}
    return {"name": full_name(person), "role": who.staff_role(person)}


def _reconstruct(request: CorrectionRequest):
    """A decision taken before decisions were frozen: the old names from the history the approval wrote."""
    subject = db.session.get(User, request.user_id)
    before = names_of(subject)
    for change in db.session.scalars(select(ProfileChange).where(ProfileChange.correction_id == request.id)):
        before[change.field] = change.old_value
    decider = db.session.get(User, request.decided_by_id) if request.decided_by_id else None
    decided_by = {"name": full_name(decider) if decider else None,
                  "role": who.staff_role(decider) if decider else "support"}
    return lambda: _snapshot(request, subject, before, requested_by=_requester(request, subject, before),
                             decided_by=decided_by)


def decision(request: CorrectionRequest):
    """The decided request's document (None while it is under review)."""
    if request.status == "pending":
        return None
    return issued.ensure(KIND, request.id, request.user_id, _reconstruct(request))


# --- the PDF ------------------------------------------------------------------------------------------------

def number(frozen: dict) -> str:
    return f"C-{frozen['request_id']:06d}"


def title(frozen: dict) -> str:
    return _("Decision on name correction %(number)s", number=number(frozen))


def _full(person: dict) -> str:
    return " ".join(p for p in (person.get("surname"), person.get("given_name"), person.get("patronymic")) if p)


def render(frozen: dict) -> bytes:
    """The decision in the current language, from its snapshot alone."""
    layout = lazy.layout()
    locale = layout.reader_locale()
    operator, labels = frozen["operator"], frozen["labels"][locale]
    pdf = layout.issued_page(title(frozen), frozen)
    pdf.line_of(_("To: %(subject)s, %(email)s", subject=_full(frozen["subject"]), email=frozen["subject"]["email"]))
    pdf.line_of(_("From: %(operator)s, BIN %(bin)s", operator=operator[f"name_{locale}"], bin=operator["bin"]))
    for line in operators.lines(operator, locale):
        pdf.line_of(line, size=9, height=4.6)
    pdf.ln(4)
    pdf.line_of(title(frozen), size=14, bold=True, height=7.5)
    pdf.line_of(_("Law of the Republic of Kazakhstan “On personal data and their protection”, article 25"), size=9,
                gap=2)
    pdf.heading(_("The request"))
    pdf.line_of(_("Filed: %(when)s, by %(who)s", when=layout.when(frozen["filed_at"]),
                  who=by_whom(frozen["requested_by"])))
    pdf.line_of(_("Answer due by: %(date)s", date=written(frozen["due_on"])))
    for change in frozen["changes"]:
        pdf.line_of(_("%(field)s: %(old)s → %(new)s", field=labels.get(change["field"], change["field"]),
                      old=change["old"] or "—", new=change["new"] or "—"))
    pdf.line_of(_("Reason given: %(reason)s", reason=frozen["reason"]))
    if frozen["scans"]:
        pdf.heading(_("Supporting documents"))
        for i, scan in enumerate(frozen["scans"], 1):
            pdf.line_of(f"{i}. {scan['name']} ({filesize(scan['size'])})", size=9.5)
            pdf.line_of(f"SHA-256: {scan['sha256']}", size=8.5, gap=1)
    pdf.heading(_("Decision"))
    pdf.line_of(str(label(STATUSES, frozen["decision"])), size=12, bold=True, height=7)
    pdf.line_of(_("The data are corrected as requested; the old values stay in the history of changes.")
                if frozen["decision"] == "approved" else _("The data stay as they were."))
    if frozen["decision_reason"]:
        pdf.line_of(_("Reason: %(reason)s", reason=frozen["decision_reason"]))
    pdf.line_of(_("Decided: %(when)s, by %(who)s", when=layout.when(frozen["decided_at"]),
                  who=by_whom(frozen["decided_by"])))
    return layout.issued_end(pdf, frozen)


issued.register(KIND, title=title, render=render)
