"""Who to call: the operator's name, BIN and contacts, as pages show them now and as issued documents froze them.

A document keeps the operator as it stood when the document was issued (the snapshot's "operator"); documents
issued before the contacts were frozen hold only the name and the BIN, and show only those.
"""

import re
from dataclasses import dataclass

from flask import current_app

from cabinet.messages import gettext as _

LOCALES = ("kk", "ru")


@dataclass(frozen=True)
class Contact:
    """The operator in one language; a contact an older snapshot lacks is empty."""

    name: str
    bin: str
    address: str = ""
    phone: str = ""
    email: str = ""
    responsible: str = ""

    @property
    def tel(self) -> str:
        """The phone as a tel: link dials it: its digits, with the leading + of an international number."""
        digits = re.sub(r"\D", "", self.phone)
        return f"tel:{'+' if self.phone.lstrip().startswith('+') else ''}{digits}"

    @property
    def mailto(self) -> str:
        return f"mailto:{self.email}"


def frozen() -> dict:
    """The operator as a document issued now records it, in both languages."""
    config = current_app.config
    return {"name_kk": config["OPERATOR_NAME"], "name_ru": config["OPERATOR_NAME_RU"], "bin": config["OPERATOR_BIN"],
            "address_kk": config["OPERATOR_ADDRESS"], "address_ru": config["OPERATOR_ADDRESS_RU"],
            "phone": config["OPERATOR_PHONE"], "email": config["OPERATOR_EMAIL"],
            "responsible_kk": config["OPERATOR_RESPONSIBLE"], "responsible_ru": config["OPERATOR_RESPONSIBLE_RU"]}


def contact(operator: dict, locale: str) -> Contact:
    """One language's reading of a snapshot's operator, whatever contacts it holds."""
    locale = locale if locale in LOCALES else "kk"
    return Contact(name=operator[f"name_{locale}"], bin=operator["bin"],
                   address=operator.get(f"address_{locale}") or "", phone=operator.get("phone") or "",
                   email=operator.get("email") or "", responsible=operator.get(f"responsible_{locale}") or "")


def current(locale: str) -> Contact:
    """The operator as the configuration names it now: what pages show."""
    return contact(frozen(), locale)


def rows(operator: dict, locale: str) -> list[tuple[str, str]]:
    """The contacts a document states, label and value, in the current language: only those it holds."""
    found = contact(operator, locale)
    return [(label, value) for label, value in (
        (_("Legal address"), found.address), (_("Phone"), found.phone),
        (_("E-mail for personal-data requests"), found.email),
        (_("Responsible for organising personal-data processing"), found.responsible)) if value]


def lines(operator: dict, locale: str) -> list[str]:
    """The same contacts as lines of a letter's heading ("Phone: …")."""
    return [f"{label}: {value}" for label, value in rows(operator, locale)]
