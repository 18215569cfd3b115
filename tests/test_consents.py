"""Consent per purpose: a confirmation step, the history with who and how, the receipt, and refusals."""

import pytest
from sqlalchemy import func, select

from cabinet.consents.models import ConsentEvent
from cabinet.extensions import db


def _events(app, user_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.user_id == user_id))


def test_a_change_asks_for_confirmation_first(app, client, create_user, login):
    user = create_user()
    login(user)
    before = _events(app, user.id)
    page = client.post("/cabinet/consents", data={"purpose": "marketing", "action": "grant"})
    assert page.status_code == 200
    assert 'name="confirm" value="yes"' in page.text
    assert _events(app, user.id) == before  # nothing changes before the subject confirms
    done = client.post("/cabinet/consents", data={"purpose": "marketing", "action": "grant", "confirm": "yes"})
    assert done.status_code == 302
    assert _events(app, user.id) == before + 1


def test_optional_consent_can_be_withdrawn_and_given_again(app, client, create_user, login):
    user = create_user()
    login(user)
    for action in ("grant", "withdraw", "grant"):
        client.post("/cabinet/consents", data={"purpose": "research", "action": action, "confirm": "yes"})
    with app.app_context():
        actions = db.session.scalars(select(ConsentEvent.action).where(
            ConsentEvent.user_id == user.id, ConsentEvent.purpose == "research").order_by(ConsentEvent.id)).all()
        channels = db.session.scalars(select(ConsentEvent.channel).where(
            ConsentEvent.user_id == user.id, ConsentEvent.purpose == "research").order_by(ConsentEvent.id)).all()
    assert actions == ["decline", "grant", "withdraw", "grant"]
    assert channels == ["registration", "cabinet", "cabinet", "cabinet"]


@pytest.mark.parametrize("data", [
    {"purpose": "service", "action": "withdraw"},  # needed for the service: only withdraw-all ends it
    {"purpose": "nonsense", "action": "grant"},
    {"purpose": "marketing", "action": "delete"},
    {"purpose": "marketing", "action": "withdraw"},  # never given: nothing to withdraw
])
def test_bad_or_forged_changes_write_nothing(app, client, create_user, login, data):
    user = create_user()
    login(user)
    before = _events(app, user.id)
    response = client.post("/cabinet/consents", data={**data, "confirm": "yes"}, follow_redirects=True)
    assert response.status_code == 200
    assert 'class="flash flash-error"' in response.text
    assert _events(app, user.id) == before


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_receipt_states_what_the_law_asks(client, create_user, login, lang):
    user = create_user(surname="Сейітова", given_name="Айгерім")
    login(user)
    client.get(f"/lang/{lang}")
    receipt = client.get("/cabinet/consents/service/receipt")
    assert receipt.status_code == 200
    assert "Сейітова Айгерім" in receipt.text
    assert "000000000000" in receipt.text  # the operator's BIN from configuration
    assert "2.2.1" in receipt.text
    heading = {"kk": "Дербес деректерді жинауға, өңдеуге келісім",
               "ru": "Согласие на сбор и обработку персональных данных"}
    assert heading[lang] in receipt.text  # as the law words it
    data = {"kk": "тегі, аты, әкесінің аты", "ru": "фамилия, имя, отчество"}
    assert data[lang] in receipt.text  # the data list in lower case, inside a sentence
    assert "<time datetime=" in receipt.text
    assert client.get("/cabinet/consents/nonsense/receipt").status_code == 404


def test_history_names_who_changed_it(app, client, create_user, login):
    from cabinet.accounts.models import User
    from cabinet.audit.actor import Actor
    from cabinet.consents import service

    user = create_user()
    staff = create_user(roles=("support",), surname="Оспанов", given_name="Ерлан")
    with app.test_request_context():
        service.change(db.session.get(User, user.id), "marketing", "grant",
                       actor=Actor(db.session.get(User, staff.id)), channel="staff")
        db.session.commit()
    login(user)
    page = client.get("/cabinet/consents").text
    assert "Ерлан Оспанов" in page
