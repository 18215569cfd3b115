"""Consent receipts and correction decisions: frozen with the decision, the same signed bytes on every download,
and never rewritten by what happens afterwards (issue 13)."""

import json
import re
import subprocess

import pytest
from pyhanko.sign.validation.status import SignatureCoverageLevel
from sqlalchemy import text

from cabinet.documents.models import IssuedDocument
from cabinet.extensions import db
from cabinet.profile.models import CorrectionRequest
from tests.helpers import (
    DEV_SIGNER,
    PDF,
    act,
    decide,
    grant_marketing,
    latest_event,
    login_as,
    pdftotext,
    rename,
    rows,
    upload,
    validated,
)


@pytest.fixture
def subject(create_user):
    return create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім")


@pytest.fixture
def support(create_user):
    return create_user(email="support@example.kz", roles=("support",), surname="Ахметов", given_name="Болат")


@pytest.fixture
def staff(app, support):
    return login_as(app, support)


@pytest.fixture
def mine(app, subject):
    return login_as(app, subject)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          timeout=60).stdout


def approve_surname(app, mine, staff, surname):
    assert rename(mine, surname=surname, reason="Неке / брак").status_code == 302
    [pending] = rows(app, CorrectionRequest, CorrectionRequest.status == "pending")
    assert decide(staff, pending.id, "approve").status_code == 302
    return pending.id


@pdftotext
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_consent_receipt_reads_as_issued_after_the_name_changes(app, mine, staff, subject, trust, lang,
                                                                  tmp_path):
    mine.get(f"/lang/{lang}")
    assert grant_marketing(mine).status_code == 302
    event_id = latest_event(app, subject, "marketing")
    first = mine.get(f"/cabinet/consents/receipts/{event_id}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    status = validated(first.data, trust)
    assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == DEV_SIGNER

    approve_surname(app, mine, staff, "Жаңаева")
    again = mine.get(f"/cabinet/consents/receipts/{event_id}.pdf")
    assert again.data == first.data  # the same bytes, not a re-render
    words = pdf_text(again.data, tmp_path)
    assert "Сейітова Айгерім" in words and "Жаңаева" not in words
    assert f"K-{event_id:06d}" in words
    page = mine.get("/cabinet/consents/marketing/receipt").text
    receipt = re.search(r'<article class="receipt">.*</article>', page, re.S).group(0)
    assert "Сейітова Айгерім" in receipt and "Жаңаева" not in receipt


def test_a_receipt_is_frozen_in_the_transaction_of_each_decision(app, mine, subject):
    before = len(rows(app, IssuedDocument))
    grant_marketing(mine)
    mine.post("/cabinet/consents", data={"purpose": "marketing", "action": "withdraw", "confirm": "yes"})
    documents = rows(app, IssuedDocument)[before:]
    assert [d.kind for d in documents] == ["consent_receipt", "consent_receipt"]
    assert not any(d.reconstructed for d in documents)
    history = mine.get("/cabinet/consents").text
    for document in documents:
        assert f'href="/cabinet/consents/receipts/{document.ref_id}"' in history


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_consent_recorded_by_staff_acting_names_them_and_the_basis(app, staff, subject, lang):
    act(staff, subject.id, basis=upload(PDF, "өтініш.pdf"))
    assert grant_marketing(staff).status_code == 302
    staff.post("/staff/act/stop")
    mine = login_as(app, subject)
    mine.get(f"/lang/{lang}")
    said = {"kk": "Сіздің атыңыздан енгізген: Болат Ахметов", "ru": "Внесено от вашего имени: Болат Ахметов"}[lang]
    history = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", mine.get("/cabinet/consents").text))
    assert said in history and "«өтініш.pdf»" in history
    receipt = mine.get(f"/cabinet/consents/receipts/{latest_event(app, subject, 'marketing')}").text
    assert said in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", receipt))


@pdftotext
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_correction_decision_keeps_the_old_name_and_is_signed(app, mine, staff, subject, trust, lang, tmp_path):
    mine.get(f"/lang/{lang}")
    first_id = approve_surname(app, mine, staff, "Жаңаева")
    history = mine.get("/cabinet/profile/history").text
    assert f'href="/cabinet/profile/corrections/{first_id}/decision.pdf"' in history
    assert 'data-mail-state="sent"' in history  # the decision's mail, with where it is
    decision = mine.get(f"/cabinet/profile/corrections/{first_id}/decision.pdf")
    assert decision.status_code == 200
    assert validated(decision.data, trust).bottom_line

    approve_surname(app, mine, staff, "Үшінші")  # a second correction changes the name again
    again = mine.get(f"/cabinet/profile/corrections/{first_id}/decision.pdf")
    assert again.data == decision.data
    words = re.sub(r"\s+", " ", pdf_text(again.data, tmp_path))
    assert "Сейітова → Жаңаева" in words and "Үшінші" not in words
    assert "Айгерім Сейітова" in words and "Айгерім Жаңаева" not in words  # who filed it, as they were named then
    assert "Болат Ахметов" in words or "Ахметов Болат" in words
    assert f"C-{first_id:06d}" in words


def test_a_decision_taken_before_freezing_is_reconstructed_once_and_says_so(app, mine, staff, subject):
    request_id = approve_surname(app, mine, staff, "Жаңаева")
    with app.app_context():  # as if decided before this revision: no document was made then
        db.session.execute(text("DELETE FROM issued_documents WHERE kind = 'correction_decision'"))
        db.session.commit()
    first = mine.get(f"/cabinet/profile/corrections/{request_id}/decision.pdf")
    assert first.status_code == 200
    [document] = rows(app, IssuedDocument, IssuedDocument.kind == "correction_decision")
    assert document.reconstructed
    frozen = json.loads(document.snapshot)
    assert frozen["changes"] == [{"field": "surname", "old": "Сейітова", "new": "Жаңаева"}]
    assert mine.get(f"/cabinet/profile/corrections/{request_id}/decision.pdf").data == first.data


def test_issued_documents_refuse_to_be_rewritten(app, mine, subject):
    grant_marketing(mine)
    mine.get(f"/cabinet/consents/receipts/{latest_event(app, subject, 'marketing')}.pdf")
    with app.app_context():
        for statement in ("UPDATE issued_documents SET snapshot = '{}'", "UPDATE issued_renderings SET pdf = NULL"):
            with pytest.raises(Exception, match="written once"):
                db.session.execute(text(statement))
            db.session.rollback()


def test_nobody_else_downloads_a_subjects_receipt_or_decision(app, mine, staff, subject, create_user):
    grant_marketing(mine)
    request_id = approve_surname(app, mine, staff, "Жаңаева")
    other = login_as(app, create_user(email="other@example.kz"))
    event_id = latest_event(app, subject, "marketing")
    assert other.get(f"/cabinet/consents/receipts/{event_id}.pdf").status_code == 404
    assert other.get(f"/cabinet/consents/receipts/{event_id}").status_code == 404
    assert other.get(f"/cabinet/profile/corrections/{request_id}/decision.pdf").status_code == 404


def test_the_export_carries_each_issued_document_and_who_decided(app, staff, subject):
    act(staff, subject.id, basis=upload(PDF, "өтініш.pdf"))
    grant_marketing(staff)
    staff.post("/staff/act/stop")
    data = json.loads(login_as(app, subject).get("/cabinet/export").data)
    receipts = [d for d in data["issued_documents"] if d["kind"] == "consent_receipt"]
    assert len(receipts) == len(data["consents"]["history"])
    [marketing] = [d for d in receipts if d["content"]["purpose"]["code"] == "marketing"
                   and d["content"]["action"] == "grant"]
    assert marketing["content"]["by"]["on_behalf"] and marketing["content"]["by"]["basis"]["name"] == "өтініш.pdf"
    assert marketing["content"]["subject"]["surname"] == "Сейітова" and len(marketing["sha256"]) == 64
    [granted] = [e for e in data["consents"]["history"] if e["purpose"] == "marketing" and e["action"] == "grant"]
    assert "Болат Ахметов" in granted["who"] and "«өтініш.pdf»" in granted["who"]
