"""The printable complaint: one document version as frozen, in a reader's language, rendered and sealed once."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from flask_babel import force_locale, get_locale
from sqlalchemy import select

from cabinet import operator as operators
from cabinet.audit.labels import filesize
from cabinet.complaints import versions
from cabinet.complaints.labels import STATUSES, STEPS
from cabinet.complaints.models import ComplaintRendering, ComplaintVersion
from cabinet.complaints.verification import code
from cabinet.dates import written
from cabinet.documents import lazy
from cabinet.documents.intact import checked
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.messages import ngettext

if TYPE_CHECKING:
    from cabinet.documents.layout import Page


def _document(number: str, version: int) -> Page:
    title = _("%(number)s, document version %(version)s", number=number, version=version)
    return lazy.layout().Page(title, checkable=True)


def _files(pdf: Page, step: dict) -> None:
    for i, file in enumerate(step["attachments"], 1):
        pdf.line_of(f"{i}. {file['name']} ({filesize(file['size'])})", size=9.5)
        pdf.line_of(f"SHA-256: {file['sha256']}", size=8.5, gap=1)


def full_name(person: dict) -> str:
    return " ".join(p for p in (person["surname"], person["given_name"], person["patronymic"]) if p)


def _operator_contacts(pdf: Page, operator: dict, locale: str) -> None:
    """Where the operator is reached, as the version froze it (none on a version made before contacts were)."""
    found = operators.lines(operator, locale)
    for i, line in enumerate(found, 1):
        pdf.line_of(line, size=9, height=4.6, gap=2 if i == len(found) else 0)


def _header(pdf: Page, frozen: dict, locale: str) -> None:
    operator, person = frozen["operator"], frozen["complainant"]
    pdf.line_of(_("To: %(operator)s, BIN %(bin)s", operator=operator["name_ru" if locale == "ru" else "name_kk"],
                  bin=operator["bin"]))
    _operator_contacts(pdf, operator, locale)
    pdf.line_of(_("From: %(name)s", name=full_name(person)))
    contacts = ", ".join(c for c in (person["email"], person["phone"]) if c)
    pdf.line_of(_("Contacts: %(contacts)s", contacts=contacts), gap=4)
    pdf.line_of(_("Written pre-court complaint (privacy policy, clause 5.2)"), size=14, bold=True, height=7.5)
    pdf.line_of(_("Registration number %(number)s", number=frozen["number"]), size=12, bold=True, height=7, gap=2)
    pdf.line_of(_("Received: %(when)s", when=written(frozen["received_at"])))
    pdf.line_of(ngettext("Answer due by: %(date)s (%(num)d working day from receipt)",
                         "Answer due by: %(date)s (%(num)d working days from receipt)", frozen["answer_working_days"],
                         date=written(frozen["due_on"])))
    pdf.line_of(_("Status: %(status)s", status=STATUSES.get(frozen["status"], frozen["status"])))
    if frozen["policy_version"]:
        pdf.line_of(_("Privacy policy in force at receipt: version %(label)s",
                      label=frozen["policy_version"]["label"]), size=9)


def render(version: ComplaintVersion) -> bytes:
    """The version as a PDF in the current language: only what its snapshot holds, nothing read live."""
    frozen = versions.load(version)
    locale = str(get_locale())
    pdf = _document(frozen["number"], frozen["version"])
    pdf.set_title(_("Complaint %(number)s", number=frozen["number"]))
    pdf.set_author(full_name(frozen["complainant"]))
    pdf.set_creator(frozen["operator"]["name_ru" if locale == "ru" else "name_kk"])
    pdf.set_creation_date(version.made_at)
    pdf.add_page()
    _header(pdf, frozen, locale)

    steps = frozen["steps"]
    pdf.heading(_("Subject"))
    pdf.line_of(frozen["subject"])
    pdf.heading(_("Text of the complaint"))
    pdf.line_of(frozen["body"])
    if frozen["desired_outcome"]:
        pdf.heading(_("What the complainant asks the operator to do"))
        pdf.line_of(frozen["desired_outcome"])
    if steps and steps[0]["attachments"]:
        pdf.heading(_("Attachments"))
        _files(pdf, steps[0])
    for step in steps:
        if step["kind"] == "supplement":
            pdf.heading(_("Supplement of %(when)s", when=written(step["at"])))
            pdf.line_of(step["text"] or "")
            _files(pdf, step)
        elif step["kind"] == "answered":
            pdf.heading(_("The operator's answer of %(when)s", when=written(step["at"])))
            pdf.line_of(step["text"] or "")
            _files(pdf, step)

    pdf.heading(_("Timeline"))
    for step in steps:
        pdf.line_of(f"{written(step['at'])} — "
                    f"{STEPS.get(step['kind'], step['kind'])}")

    pdf.heading(_("Verification code: %(code)s", code=code(version)))
    pdf.line_of(_("Anyone can check that this copy is genuine and unaltered from its registration number and "
                  "this code at %(url)s.", url=lazy.layout().verify_url()), size=9)
    pdf.line_of(_("Document version %(version)s of %(when)s.", version=frozen["version"],
                  when=written(frozen["made_at"])), size=9)
    if frozen["reconstructed_at"]:
        pdf.line_of(_("The filing part of this document was reconstructed on %(when)s from the data as then "
                      "stored: the complaint was filed before documents were frozen at filing.",
                      when=written(frozen["reconstructed_at"])), size=9)
    return bytes(pdf.output())


def stored(version: ComplaintVersion, locale: str) -> ComplaintRendering:
    """The version's PDF in this language: rendered and sealed on the first request, the same bytes ever after,
    checked against their stored hash each time they are served (cabinet.documents.intact)."""
    query = select(ComplaintRendering).where(ComplaintRendering.version_id == version.id,
                                             ComplaintRendering.locale == locale)
    found = db.session.scalar(query)
    if found is not None:
        return checked(found, f"complaint version {version.id}")
    versions.lock(version.complaint_id)  # a download at the same moment waits, then finds this one's bytes
    found = db.session.scalar(query)
    if found is not None:
        return checked(found, f"complaint version {version.id}")
    with force_locale(locale):
        title = _("Complaint %(number)s", number=versions.load(version)["number"])
        data = lazy.seal(render(version), title=title, locale=locale)
    found = ComplaintRendering(version_id=version.id, locale=locale, pdf=data, sha256=hashlib.sha256(data).hexdigest())
    db.session.add(found)
    db.session.flush()
    return found
