"""Idempotent demo data: policy version 1, a demo subject, one account per staff role."""

import hashlib
import json
from datetime import date
from pathlib import Path

import click
from flask import current_app

from cabinet.accounts import service as accounts
from cabinet.consents.purposes import PURPOSES
from cabinet.database import utcnow
from cabinet.documents import storage
from cabinet.policies import service as policies
from cabinet.registration.service import enrol

TEXTS = Path(__file__).resolve().parent.parent / "policies" / "texts"
POLICY_EFFECTIVE = date(2026, 1, 1)

#: e-mail, password, roles, profile; printed by the command so people can sign in
ACCOUNTS = (
    ("demo@cabinet.kz", "demo-subject-2026", ("subject",),
     {"surname": "Сейітова", "given_name": "Айгерім", "patronymic": "Нұрланқызы", "phone": "+77011234567"}),
    ("support@cabinet.kz", "demo-support-2026", ("support",), {"surname": "Оспанов", "given_name": "Ерлан"}),
    ("translator@cabinet.kz", "demo-translator-2026", ("translator",), {"surname": "Ким", "given_name": "Алина"}),
    ("admin@cabinet.kz", "demo-admin-2026", ("admin",), {"surname": "Жұмабаев", "given_name": "Данияр"}),
)

#: a minimal valid one-page PDF, the demo subject's "scanned identity card"
DEMO_SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def ensure_policy():
    """Policy version 1: the operator's published Kazakh text and its Russian translation."""
    version = policies.get_version("1")
    if version is not None:
        return version, False
    summaries = json.loads((TEXTS / "v1.summary.json").read_text(encoding="utf-8"))
    texts = {locale: (TEXTS / f"v1.{locale}.md").read_text(encoding="utf-8") for locale in ("kk", "ru")}
    return policies.publish("1", POLICY_EFFECTIVE, texts, summaries), True


def _demo_subject(user, version):
    """What registration would have recorded for the demo subject (every optional purpose but transfer chosen)."""
    scan = storage.CheckedFile("id-card.pdf", "application/pdf", DEMO_SCAN, hashlib.sha256(DEMO_SCAN).hexdigest())
    chosen = {purpose.code for purpose in PURPOSES if purpose.optional and purpose.code != "third_party"}
    enrol(user, version, [scan], chosen, locale="kk")
    user.email_confirmed_at = utcnow()


def load() -> list[str]:
    """Create what is missing and return the lines to print."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("refusing to load the demo accounts in production: their passwords are public")
    version, created = ensure_policy()
    lines = [f"policy version {version.label}: {'published' if created else 'already there'}"]
    for email, password, roles, profile in ACCOUNTS:
        user = accounts.find_by_email(email)
        if user is None:
            user = accounts.create_user(email, password, roles=roles, **profile)
            if "subject" in roles:
                _demo_subject(user, version)
            else:
                user.email_confirmed_at = utcnow()
        lines.append(f"{'/'.join(roles):<11} {email:<24} {password}")
    return lines
