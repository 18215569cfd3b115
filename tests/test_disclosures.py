"""The disclosures register (policy 3.4–3.5): staff record each transfer with its legal basis, a transfer to third
parties needs the subject's consent and stops with the withdrawal of all consent, and the subject sees it all."""

import json
import re

import pytest
from sqlalchemy import select

from cabinet.audit.models import AuditEvent
from cabinet.disclosures.models import Disclosure
from cabinet.extensions import db
from tests.helpers import PASSWORD, login_as, written

NEW = "/staff/disclosures/new"


def disclosure(person, **changes):
    data = {"subject_id": str(person), "recipient": "ҚР ІІМ / МВД РК, Алматы қ. ПД", "basis": "3.4.1",
            "categories": "Тегі, аты, телефон нөмірі", "disclosed_on": "2026-03-02",
            "reference": "Хат №12-34/567, 2026-02-27"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def subject(create_user):
    return create_user(email="subject@example.kz")


@pytest.fixture
def staff(app, create_user):
    return login_as(app, create_user(email="support@example.kz", roles=("support",), surname="Ахметов",
                                     given_name="Болат"))


@pytest.fixture
def browser(app, subject):
    """The subject's own browser."""
    return login_as(app, subject)


def recorded(app) -> list[Disclosure]:
    with app.app_context():
        found = db.session.scalars(select(Disclosure).order_by(Disclosure.id)).all()
        db.session.expunge_all()
        return found


def record(staff, person, **changes):
    return staff.post(NEW, data=disclosure(person, **changes))


def accepted(response) -> bool:
    """Recorded: back to an empty form; refused: the form again, with the message beside a field."""
    if response.status_code == 302:
        assert response.headers["Location"].endswith(NEW)
        return True
    assert response.status_code == 200 and 'class="error"' in response.text, response.status_code
    return False


def consent(browser, action, purpose="third_party"):
    response = browser.post("/cabinet/consents", data={"purpose": purpose, "action": action, "confirm": "yes"})
    assert response.status_code == 302


def withdraw_all(browser):
    response = browser.post("/cabinet/consents/withdraw-all", data={"confirm": "y", "current_password": PASSWORD})
    assert response.status_code == 302


# --- legal bases ------------------------------------------------------------------------------------

@pytest.mark.parametrize("basis", ["3.4.1", "3.4.2"])
def test_a_state_bodys_request_is_always_recorded(app, staff, subject, browser, basis):
    """Clause 3.4: by law, with no consent asked, and even after all consent is withdrawn."""
    assert accepted(record(staff, subject.id, basis=basis))
    withdraw_all(browser)
    assert accepted(record(staff, subject.id, basis=basis))
    first, second = recorded(app)
    assert (first.user_id, first.basis, first.recipient) == (subject.id, basis, "ҚР ІІМ / МВД РК, Алматы қ. ПД")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure.recorded")).all()
        assert [(e.subject_id, e.details["basis"]) for e in events] == [(subject.id, basis)] * 2
        assert all(e.actor_id == first.recorded_by_id for e in events)


def test_a_transfer_to_third_parties_needs_the_subjects_current_consent(app, staff, subject, browser):
    before = written(app)
    refused = record(staff, subject.id, basis="3.5.1")
    assert not accepted(refused)
    assert written(app) == before

    consent(browser, "grant")
    assert accepted(record(staff, subject.id, basis="3.5.1"))
    assert [d.basis for d in recorded(app)] == ["3.5.1"]

    consent(browser, "withdraw")
    before = written(app)
    assert not accepted(record(staff, subject.id, basis="3.5.1"))
    assert written(app) == before


@pytest.mark.parametrize("basis", ["3.5.1", "3.5.2"])
def test_transfers_to_third_parties_stop_once_all_consent_is_withdrawn(app, staff, subject, browser, basis):
    consent(browser, "grant")
    assert accepted(record(staff, subject.id, basis=basis))
    withdraw_all(browser)
    before = written(app)
    assert not accepted(record(staff, subject.id, basis=basis))
    assert written(app) == before


# --- what the subject sees --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_subject_sees_each_disclosure_in_their_cabinet(app, staff, subject, browser, create_user, lang):
    record(staff, subject.id)
    browser.get(f"/lang/{lang}")
    page = browser.get("/cabinet/disclosures")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    for value in ("ҚР ІІМ / МВД РК, Алматы қ. ПД", "Тегі, аты, телефон нөмірі", "Хат №12-34/567, 2026-02-27",
                  '<time datetime="2026-03-02">'):
        assert value in page.text
    stranger = login_as(app, create_user(email="stranger@example.kz"))
    assert "Хат №12-34/567" not in stranger.get("/cabinet/disclosures").text


def test_the_export_lists_the_disclosures(staff, subject, browser):
    record(staff, subject.id)
    record(staff, subject.id, basis="3.4.2", disclosed_on="2026-03-05", reference="Сот ұйғарымы №8")
    data = json.loads(browser.get("/cabinet/export").data)
    assert [(d["basis"], d["disclosed_on"], d["reference"]) for d in data["disclosures"]] == [
        ("3.4.1", "2026-03-02", "Хат №12-34/567, 2026-02-27"), ("3.4.2", "2026-03-05", "Сот ұйғарымы №8")]
    assert data["disclosures"][0]["recipient"] == "ҚР ІІМ / МВД РК, Алматы қ. ПД"


def test_the_form_comes_prefilled_from_the_subjects_record(staff, subject):
    page = staff.get(f"{NEW}?subject_id={subject.id}")
    assert page.status_code == 200
    assert re.search(rf'name="subject_id"[^>]*value="{subject.id}"', page.text)


# --- bad input --------------------------------------------------------------------------------------

BAD = {
    "unknown basis": {"basis": "3.6"},
    "no basis": {"basis": ""},
    "unknown subject": {"subject_id": "987654"},
    "subject id zero": {"subject_id": "0"},
    "negative subject id": {"subject_id": "-5"},
    "huge subject id": {"subject_id": "99999999999999999999"},
    "subject id not a number": {"subject_id": "Сейітова"},
    "10,000-character recipient": {"recipient": "Ж" * 10_000},
    "10,000-character categories": {"categories": "x" * 10_000},
    "10,000-character reference": {"reference": "№" * 10_000},
    "NUL in the recipient": {"recipient": "ІІМ\x00"},
    "NUL in the categories": {"categories": "аты\x00тегі"},
    "NUL in the reference": {"reference": "\x00"},
    "no recipient": {"recipient": None},
    "blank recipient": {"recipient": "   "},
    "no date": {"disclosed_on": ""},
    "impossible date": {"disclosed_on": "2026-02-30"},
    "date in another format": {"disclosed_on": "02.03.2026"},
}


@pytest.mark.parametrize("changes", BAD.values(), ids=BAD.keys())
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(app, staff, subject, changes):
    before = written(app)
    response = record(staff, subject.id, **changes)
    assert not accepted(response)
    assert written(app) == before


def test_a_staff_account_is_not_a_subject_whose_data_is_disclosed(app, staff, create_user):
    other_staff = create_user(email="admin@example.kz", roles=("admin",))
    before = written(app)
    assert not accepted(record(staff, other_staff.id))
    assert written(app) == before


@pytest.mark.parametrize("role", ["subject", "translator"])
def test_only_staff_record_disclosures(app, create_user, subject, role):
    browser = login_as(app, create_user(email=f"{role}-2@example.kz", roles=(role,)))
    before = written(app)
    assert browser.post(NEW, data=disclosure(subject.id)).status_code == 403
    assert written(app) == before
