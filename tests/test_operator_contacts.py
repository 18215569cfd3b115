"""Who to call: the operator's address, phone, e-mail for personal-data requests, the person responsible for the
processing (law art. 25) and its BIN, on every page and on the documents it issues; production starts only with
real ones."""

import re
import subprocess

import pytest
from sqlalchemy import select

from cabinet import operator as operators
from cabinet.app import create_app
from cabinet.config import DEVELOPMENT_OPERATOR, PLACEHOLDER_BIN, bin_is_valid
from cabinet.consents.models import ConsentEvent
from cabinet.extensions import db
from cabinet.profile.models import CorrectionRequest
from tests.helpers import OPERATOR, PRODUCTION, decide, file_complaint, login_as, pdftotext, rename, rows

LANGS = ("kk", "ru")
ADDRESS = {"kk": OPERATOR["OPERATOR_ADDRESS"], "ru": OPERATOR["OPERATOR_ADDRESS_RU"]}
RESPONSIBLE = {"kk": OPERATOR["OPERATOR_RESPONSIBLE"], "ru": OPERATOR["OPERATOR_RESPONSIBLE_RU"]}


@pytest.fixture
def app_config(app_config):
    return {**app_config, **OPERATOR}


@pytest.fixture
def subject(create_user):
    return create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім")


@pytest.fixture
def mine(app, subject):
    return login_as(app, subject)


def footer(html: str) -> str:
    return re.search(r"<footer.*?</footer>", html, re.S).group(0)


def block(html: str) -> str:
    return re.search(r'<section[^>]*data-block="operator-contact".*?</section>', html, re.S).group(0)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          timeout=60).stdout


def grant_marketing(client):
    return client.post("/cabinet/consents", data={"purpose": "marketing", "action": "grant", "confirm": "yes"})


def latest_event(app, subject, purpose) -> int:
    with app.app_context():
        return db.session.scalar(select(ConsentEvent.id).where(ConsentEvent.user_id == subject.id,
                                                               ConsentEvent.purpose == purpose)
                                 .order_by(ConsentEvent.id.desc()).limit(1))


def approve_surname(app, mine, staff, surname):
    assert rename(mine, surname=surname, reason="Неке / брак").status_code == 302
    [pending] = rows(app, CorrectionRequest, CorrectionRequest.status == "pending")
    assert decide(staff, pending.id, "approve").status_code == 302
    return pending.id


def flat(text: str) -> str:
    """pdftotext's layout spacing made single, so a value broken over spaces still reads as one."""
    return re.sub(r"\s+", " ", text)


# --- pages -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_every_page_ends_with_how_to_reach_the_operator(app, client, mine, lang):
    client.get(f"/lang/{lang}")
    mine.get(f"/lang/{lang}")
    pages = [client.get(url) for url in ("/", "/policy", "/login", "/register", "/nowhere")]
    pages += [mine.get(url) for url in ("/cabinet", "/cabinet/consents", "/cabinet/profile", "/cabinet/complaints")]
    for page in pages:
        assert f'<html lang="{lang}">' in page.text
        foot = footer(page.text)
        assert "<address" in foot and ADDRESS[lang] in foot
        assert '<a href="tel:+77112554433" class="nowrap">+7 (7112) 55-44-33</a>' in foot
        assert '<a href="mailto:dpo@example.kz">dpo@example.kz</a>' in foot
        assert OPERATOR["OPERATOR_BIN"] in foot
        assert ("Обращения по персональным данным" if lang == "ru" else "Дербес деректер жөніндегі өтініштер") in foot


@pytest.mark.parametrize("lang", LANGS)
def test_the_overview_says_whom_to_contact(app, mine, lang):
    mine.get(f"/lang/{lang}")
    contact = block(mine.get("/cabinet").text)
    assert ("Контакты оператора" if lang == "ru" else "Оператордың байланыс деректері") in contact
    for value in (ADDRESS[lang], RESPONSIBLE[lang], 'href="tel:+77112554433"', 'href="mailto:dpo@example.kz"',
                  OPERATOR["OPERATOR_BIN"], 'href="/cabinet/complaints/new"'):
        assert value in contact
    assert "<address>" in contact


def test_the_kept_footer_and_contact_block_follow_a_changed_contact(app, mine, monkeypatch):
    """The footer and the overview's contact block are rendered once per contact and language and kept: a changed
    contact is shown at once, escaped."""
    before = mine.get("/cabinet").text
    assert "+7 (7112) 55-44-33" in footer(before) and "+7 (7112) 55-44-33" in block(before)
    monkeypatch.setitem(app.config, "OPERATOR_PHONE", "+7 (7112) 99-88-77")
    monkeypatch.setitem(app.config, "OPERATOR_RESPONSIBLE", "<b>Бас заңгер</b>")
    after = mine.get("/cabinet").text
    for part in (footer(after), block(after)):
        assert "+7 (7112) 99-88-77" in part and "55-44-33" not in part
    assert "&lt;b&gt;Бас заңгер&lt;/b&gt;" in block(after) and "<b>" not in after


def test_development_fills_in_invented_contacts_and_the_placeholder_bin(app_config):
    plain = {k: v for k, v in app_config.items() if not k.startswith("OPERATOR_")}
    made = create_app(plain)
    for name, value in DEVELOPMENT_OPERATOR.items():
        assert made.config[name] == value
    assert made.config["OPERATOR_BIN"] == PLACEHOLDER_BIN
    with made.test_request_context():
        assert made.test_client().get("/").status_code == 200


# --- documents ---------------------------------------------------------------------------------------------

@pdftotext
@pytest.mark.parametrize("lang", LANGS)
def test_a_consent_receipt_states_the_operators_contacts(app, mine, subject, lang, tmp_path):
    mine.get(f"/lang/{lang}")
    assert grant_marketing(mine).status_code == 302
    event_id = latest_event(app, subject, "marketing")
    page = mine.get(f"/cabinet/consents/receipts/{event_id}").text
    receipt = re.search(r'<dl class="facts">.*?</dl>', page, re.S).group(0)
    for value in (ADDRESS[lang], RESPONSIBLE[lang], 'href="tel:+77112554433"', "dpo@example.kz",
                  OPERATOR["OPERATOR_BIN"]):
        assert value in receipt
    text = flat(pdf_text(mine.get(f"/cabinet/consents/receipts/{event_id}.pdf").data, tmp_path))
    for value in (OPERATOR["OPERATOR_BIN"], "+7 (7112) 55-44-33", "dpo@example.kz", ADDRESS[lang],
                  RESPONSIBLE[lang]):
        assert value in text


@pdftotext
@pytest.mark.parametrize("lang", LANGS)
def test_a_complaint_pdf_is_addressed_with_the_operators_contacts(app, mine, lang, tmp_path):
    mine.get(f"/lang/{lang}")
    number = file_complaint(mine)
    text = flat(pdf_text(mine.get(f"/cabinet/complaints/{number}.pdf").data, tmp_path))
    for value in (OPERATOR["OPERATOR_BIN"], "+7 (7112) 55-44-33", "dpo@example.kz", ADDRESS[lang]):
        assert value in text
    assert text.index(OPERATOR["OPERATOR_BIN"]) < text.index("+7 (7112) 55-44-33") < text.index("Сейітова")


@pdftotext
@pytest.mark.parametrize("lang", LANGS)
def test_a_correction_decision_comes_from_the_operators_address(app, create_user, mine, lang, tmp_path):
    staff = login_as(app, create_user(email="support@example.kz", roles=("support",), surname="Оспанов",
                                      given_name="Ерлан"))
    mine.get(f"/lang/{lang}")
    request_id = approve_surname(app, mine, staff, "Жаңаева")
    text = flat(pdf_text(mine.get(f"/cabinet/profile/corrections/{request_id}/decision.pdf").data, tmp_path))
    for value in (OPERATOR["OPERATOR_BIN"], "+7 (7112) 55-44-33", "dpo@example.kz", ADDRESS[lang],
                  RESPONSIBLE[lang]):
        assert value in text


@pdftotext
def test_a_document_keeps_the_contacts_it_was_issued_with(app, mine, subject, tmp_path):
    assert grant_marketing(mine).status_code == 302
    event_id = latest_event(app, subject, "marketing")
    number = file_complaint(mine)
    app.config["OPERATOR_PHONE"] = "+7 (7112) 99-88-77"
    assert 'href="tel:+77112998877"' in footer(mine.get("/cabinet").text)  # pages say what is true now
    receipt = mine.get(f"/cabinet/consents/receipts/{event_id}").text
    assert "55-44-33" in receipt and "99-88-77" not in re.sub(r"<footer.*?</footer>", "", receipt, flags=re.S)
    for url in (f"/cabinet/consents/receipts/{event_id}.pdf", f"/cabinet/complaints/{number}.pdf"):
        text = flat(pdf_text(mine.get(url).data, tmp_path))
        assert "+7 (7112) 55-44-33" in text and "99-88-77" not in text


@pdftotext
def test_a_document_issued_before_contacts_were_frozen_shows_what_it_has(app, mine, subject, monkeypatch, tmp_path):
    """Snapshots made before this change hold only the operator's names and BIN."""
    older = {"name_kk": app.config["OPERATOR_NAME"], "name_ru": app.config["OPERATOR_NAME_RU"],
             "bin": OPERATOR["OPERATOR_BIN"]}
    monkeypatch.setattr(operators, "frozen", lambda: dict(older))
    assert grant_marketing(mine).status_code == 302
    event_id = latest_event(app, subject, "marketing")
    number = file_complaint(mine)
    monkeypatch.undo()
    for lang in LANGS:
        mine.get(f"/lang/{lang}")
        page = mine.get(f"/cabinet/consents/receipts/{event_id}")
        assert page.status_code == 200
        receipt = re.search(r'<dl class="facts">.*?</dl>', page.text, re.S).group(0)
        assert OPERATOR["OPERATOR_BIN"] in receipt and "tel:" not in receipt and ADDRESS[lang] not in receipt
        for url in (f"/cabinet/consents/receipts/{event_id}.pdf", f"/cabinet/complaints/{number}.pdf"):
            response = mine.get(url)
            assert response.status_code == 200
            text = flat(pdf_text(response.data, tmp_path))
            assert OPERATOR["OPERATOR_BIN"] in text and "55-44-33" not in text and ADDRESS[lang] not in text


# --- production --------------------------------------------------------------------------------------------

def test_the_bin_check_digit():
    assert bin_is_valid(OPERATOR["OPERATOR_BIN"])
    assert not bin_is_valid("260140001232")  # one digit off
    assert not bin_is_valid("26014000123")  # eleven digits
    assert not bin_is_valid("26014000123a")


@pytest.mark.parametrize(("changes", "message"), [
    ({"OPERATOR_BIN": PLACEHOLDER_BIN}, "CABINET_OPERATOR_BIN must be set"),
    ({"OPERATOR_BIN": ""}, "CABINET_OPERATOR_BIN must be set"),
    ({"OPERATOR_BIN": "260140001232"}, "not a valid BIN"),
    ({"OPERATOR_BIN": "2601400012"}, "not a valid BIN"),
    ({"OPERATOR_BIN": "БСН 260140001231"}, "not a valid BIN"),
    *[({name: None}, f"CABINET_{name} must be set") for name in DEVELOPMENT_OPERATOR],
    ({"OPERATOR_ADDRESS": "   "}, "CABINET_OPERATOR_ADDRESS must be set"),
    ({"OPERATOR_EMAIL": "dpo at example.kz"}, "CABINET_OPERATOR_EMAIL must be an e-mail"),
    ({"OPERATOR_PHONE": "55-44-33"}, "CABINET_OPERATOR_PHONE must be a phone number"),
], ids=lambda value: value if isinstance(value, str) else ",".join(value))
def test_production_refuses_to_start_without_the_operators_real_contacts(app_config, monkeypatch, changes,
                                                                          message):
    for name in OPERATOR:
        monkeypatch.delenv(f"CABINET_{name}", raising=False)
    settings = {**app_config, **PRODUCTION, **OPERATOR, **changes}
    with pytest.raises(RuntimeError, match=message):
        create_app({k: v for k, v in settings.items() if v is not None})


def test_production_starts_with_them_and_reads_a_bin_from_the_environment_as_text(app_config, monkeypatch):
    monkeypatch.setenv("CABINET_OPERATOR_BIN", "260140001231")  # JSON to Flask: a number
    made = create_app({**app_config, **PRODUCTION, **{k: v for k, v in OPERATOR.items() if k != "OPERATOR_BIN"}})
    assert made.config["OPERATOR_BIN"] == "260140001231"
    page = made.test_client().get("/", base_url="https://cabinet.test").text
    assert "260140001231" in footer(page) and ADDRESS["kk"] in footer(page)

