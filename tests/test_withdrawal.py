"""Withdrawing all consent (law art. 8): refused with reasons while an obligation is open; otherwise processing
stops at once and the data is destroyed within 15 working days, keeping only what the law requires."""

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cabinet.accounts.models import User
from cabinet.audit.models import AuditEvent
from cabinet.consents.models import ConsentEvent, Withdrawal
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.profile.models import ProfileChange
from tests.helpers import (
    PASSWORD,
    PDF,
    destroy_due,
    due_in_15_working_days,
    file_complaint,
    login_as,
    rename,
    rows,
    upload,
)

PAGE = "/cabinet/consents/withdraw-all"


@pytest.fixture
def subject(create_user):
    return create_user(email="subject@example.kz", surname="Сейітова", given_name="Айгерім",
                       patronymic="Нұрланқызы", phone="+77017654321")


@pytest.fixture
def browser(app, subject):
    return login_as(app, subject)


@pytest.fixture
def staff(app, create_user):
    return login_as(app, create_user(email="support@example.kz", roles=("support",), surname="Ахметов",
                                     given_name="Болат"))


def withdraw(browser, confirm="y", password=PASSWORD):
    data = {"confirm": confirm, "current_password": password}
    return browser.post(PAGE, data={k: v for k, v in data.items() if v is not None})


def consent(browser, purpose, action):
    return browser.post("/cabinet/consents", data={"purpose": purpose, "action": action, "confirm": "yes"})


def counts(app) -> dict:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Withdrawal, ConsentEvent, AuditEvent, ProfileChange, Document)}


def mails_to(outbox, address):
    return [m for m in outbox() if m["To"] == address]


def current_states(app, user_id) -> dict:
    states = {}
    for event in rows(app, ConsentEvent, ConsentEvent.user_id == user_id):
        states[event.purpose] = event.action
    return states


# --- a request that is not carried out --------------------------------------------------------------

@pytest.mark.parametrize("confirm, password", [(None, PASSWORD), ("y", "wrong-password"), ("y", None),
                                               (None, None), ("y", "x" * 2000)],
                         ids=["no confirmation", "wrong password", "no password", "empty", "overlong password"])
def test_without_confirmation_and_the_password_nothing_is_written(app, browser, subject, outbox, confirm, password):
    before = counts(app)
    response = withdraw(browser, confirm, password)
    assert response.status_code == 200 and 'class="error"' in response.text
    assert counts(app) == before
    assert not mails_to(outbox, subject.email)


def test_an_open_complaint_refuses_it_with_a_recorded_reason(app, browser, subject, outbox):
    number = file_complaint(browser)
    response = withdraw(browser)
    assert response.headers["Location"].endswith(PAGE)
    [refused] = rows(app, Withdrawal)
    assert (refused.status, refused.reasons, refused.due_on) == ("refused", [{"kind": "complaint",
                                                                              "reference": number}], None)
    [event] = rows(app, AuditEvent, AuditEvent.action == "consent.withdraw_all_refused")
    assert (event.actor_id, event.subject_id, event.details["reasons"]) == (subject.id, subject.id, refused.reasons)
    page = browser.get(PAGE).text
    assert number in page
    assert current_states(app, subject.id)["service"] == "grant"  # nothing withdrawn
    assert not [m for m in mails_to(outbox, subject.email) if number not in m.get_content()]  # only the receipt
    assert consent(browser, "marketing", "grant").status_code == 302
    assert current_states(app, subject.id)["marketing"] == "grant"  # processing goes on


def test_a_pending_name_correction_refuses_it_with_a_recorded_reason(app, browser, subject):
    assert rename(browser, surname="Жаңаева").status_code == 302
    withdraw(browser)
    [refused] = rows(app, Withdrawal)
    assert refused.status == "refused" and [r["kind"] for r in refused.reasons] == ["correction"]
    assert rows(app, AuditEvent, AuditEvent.action == "consent.withdraw_all_refused")
    assert 'href="/cabinet/profile/history"' in browser.get(PAGE).text


# --- a request carried out --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_withdrawing_stops_every_consent_and_schedules_destruction(app, browser, subject, outbox, lang):
    browser.post(f"/lang/{lang}")  # the switcher's form: the account's language, so its mail's
    consent(browser, "marketing", "grant")
    consent(browser, "third_party", "grant")
    response = withdraw(browser)
    assert response.headers["Location"].endswith(PAGE)

    withdrawn = rows(app, ConsentEvent, ConsentEvent.action == "withdraw")
    assert sorted(e.purpose for e in withdrawn) == ["identification", "interaction", "marketing", "service",
                                                    "third_party"]
    assert {(e.actor_id, e.channel) for e in withdrawn} == {(subject.id, "cabinet")}
    assert current_states(app, subject.id)["research"] == "decline"  # never given, nothing to withdraw
    [scheduled] = rows(app, Withdrawal)
    due = due_in_15_working_days(app)
    assert (scheduled.status, scheduled.due_on) == ("scheduled", due)
    [event] = rows(app, AuditEvent, AuditEvent.action == "consent.withdraw_all")
    assert event.details["due_on"] == due.isoformat()
    [mail] = mails_to(outbox, subject.email)
    assert mail["Content-Language"] == lang
    assert str(due.year) in mail.get_content() and str(due.day) in mail.get_content()  # the deadline, as written

    page = browser.get(PAGE)
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert f'<time datetime="{due.isoformat()}">' in page.text
    assert 'name="confirm"' not in page.text  # nothing left to withdraw


def test_consent_cannot_be_given_again_once_all_is_withdrawn(app, browser, subject):
    withdraw(browser)
    before = counts(app)
    for purpose in ("marketing", "research", "third_party"):
        assert consent(browser, purpose, "grant").status_code == 302
    assert counts(app) == before
    assert "flash-error" in browser.get("/cabinet/consents").text


def test_withdrawing_twice_records_one_withdrawal(app, browser):
    withdraw(browser)
    before = counts(app)
    withdraw(browser)
    assert counts(app) == before


def test_marketing_mail_skips_a_subject_who_withdrew_all(app, runner, browser, subject, create_user, outbox,
                                                         tmp_path):
    other = create_user(email="other@example.kz")
    consent(login_as(app, other), "marketing", "grant")
    consent(browser, "marketing", "grant")
    withdraw(browser)
    news = tmp_path / "news.txt"
    news.write_text("Жаңалықтар\nМәтін.", encoding="utf-8")
    result = runner.invoke(args=["mail", "marketing", "--kk", str(news), "--ru", str(news)])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in outbox() if m["Subject"] == "Жаңалықтар"] == [other.email]


# --- destruction ------------------------------------------------------------------------------------


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def test_nothing_is_destroyed_before_the_deadline(app, runner, browser, subject, monkeypatch):
    from datetime import timedelta

    withdraw(browser)
    due = due_in_15_working_days(app)
    before = (counts(app), stored_files(app))
    assert "0 " in destroy_due(runner, monkeypatch, due - timedelta(days=1))
    assert (counts(app), stored_files(app)) == before
    assert rows(app, User, User.id == subject.id)[0].surname == "Сейітова"


def test_at_the_deadline_the_personal_data_is_destroyed_and_the_trail_still_verifies(app, runner, client, browser,
                                                                                    subject, monkeypatch):
    withdraw(browser)
    assert len(stored_files(app)) == 1  # the registration scan
    assert "1 " in destroy_due(runner, monkeypatch, due_in_15_working_days(app))

    [user] = rows(app, User, User.id == subject.id)
    assert (user.surname, user.given_name, user.patronymic, user.phone) == ("", "", None, None)
    assert subject.email != user.email
    assert not rows(app, Document, Document.owner_id == subject.id) and not stored_files(app)
    history = rows(app, ProfileChange, ProfileChange.user_id == subject.id)
    assert history and all(c.old_value is None and c.new_value is None for c in history)
    [done] = rows(app, Withdrawal)
    assert done.status == "done" and done.completed_at is not None

    [destroyed] = rows(app, AuditEvent, AuditEvent.action == "account.destroyed")
    assert (destroyed.actor_id, destroyed.subject_id) == (None, subject.id)
    said = json.dumps(destroyed.details, ensure_ascii=False)
    assert "Сейітова" not in said and subject.email not in said and "7654321" not in said
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output

    assert client.post("/login", data={"email": subject.email, "password": PASSWORD}).status_code == 200
    assert browser.get("/cabinet").status_code == 302  # the open session ended too
    assert runner.invoke(args=["consents", "destroy-due"]).output.startswith("0 ")


def test_destruction_after_staff_acted_for_the_subject(app, runner, browser, staff, subject, monkeypatch):
    """The basis of an act is one of the subject's documents: it goes with the rest."""
    assert staff.post(f"/staff/subjects/{subject.id}/act", data={"reason": "Өтініш бойынша", "basis": upload()},
                      content_type="multipart/form-data").status_code == 302
    staff.post("/staff/act/stop")
    withdraw(browser)
    assert "1 " in destroy_due(runner, monkeypatch, due_in_15_working_days(app))
    assert not rows(app, Document, Document.owner_id == subject.id) and not stored_files(app)
    assert rows(app, AuditEvent, AuditEvent.action == "staff.acting_started")  # the trail keeps the act
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_destruction_while_staff_act_for_the_subject_ends_the_act(app, runner, browser, staff, subject,
                                                                  monkeypatch):
    staff.post(f"/staff/subjects/{subject.id}/act", data={"reason": "Өтініш бойынша", "basis": upload()},
               content_type="multipart/form-data")
    withdraw(browser)
    destroy_due(runner, monkeypatch, due_in_15_working_days(app))
    assert staff.get("/cabinet").status_code == 403


# --- staff decisions --------------------------------------------------------------------------------

@pytest.fixture
def scheduled(app, browser):
    withdraw(browser)
    [withdrawal] = rows(app, Withdrawal)
    return withdrawal


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_staff_refusal_with_a_reason_is_shown_to_the_subject(app, browser, staff, subject, scheduled, lang):
    staff.get(f"/lang/{lang}")
    page = staff.get("/staff/withdrawals")
    assert page.status_code == 200 and f'action="/staff/withdrawals/{scheduled.id}"' in page.text
    response = staff.post(f"/staff/withdrawals/{scheduled.id}",
                          data={"decision": "refuse", "reason": "Шарт бойынша міндеттеме / обязательство по договору"})
    assert response.headers["Location"].endswith("/staff/withdrawals")
    [refused] = rows(app, Withdrawal)
    assert refused.status == "refused"
    [event] = rows(app, AuditEvent, AuditEvent.action == "consent.withdraw_all_refused")
    assert event.details["reason"] == "Шарт бойынша міндеттеме / обязательство по договору"
    browser.get(f"/lang/{lang}")
    assert "обязательство по договору" in browser.get(PAGE).text


@pytest.mark.parametrize("data", [{"decision": "refuse"}, {"decision": "refuse", "reason": "  "}, {},
                                  {"decision": "destroy"}, {"decision": "refuse", "reason": "x\x00"}])
def test_a_refusal_needs_a_reason_and_a_decision_a_known_one(app, staff, scheduled, data):
    before = counts(app)
    staff.post(f"/staff/withdrawals/{scheduled.id}", data=data)
    assert rows(app, Withdrawal)[0].status == "scheduled"
    assert counts(app) == before
    assert "flash-error" in staff.get("/staff/withdrawals").text


def test_staff_may_carry_out_the_destruction_before_the_deadline(app, runner, staff, subject, scheduled):
    staff.post(f"/staff/withdrawals/{scheduled.id}", data={"decision": "carry_out"})
    assert rows(app, Withdrawal)[0].status == "done"
    assert rows(app, User, User.id == subject.id)[0].surname == ""
    assert not stored_files(app)
    again = staff.post(f"/staff/withdrawals/{scheduled.id}", data={"decision": "refuse", "reason": "Кеш қалды"})
    assert again.status_code == 302 and rows(app, Withdrawal)[0].status == "done"
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_staff_acting_for_the_subject_can_withdraw_all_for_them(app, staff, subject):
    """Channel "staff", the staff member's own password, and the act's reason on each event."""
    staff.post(f"/staff/subjects/{subject.id}/act", data={"reason": "Жазбаша өтініш", "basis": upload(PDF)},
               content_type="multipart/form-data")
    response = withdraw(staff)
    assert response.headers["Location"].endswith(PAGE)
    [scheduled] = rows(app, Withdrawal)
    assert scheduled.status == "scheduled" and scheduled.user_id == subject.id
    withdrawn = rows(app, ConsentEvent, ConsentEvent.action == "withdraw")
    assert withdrawn and {e.channel for e in withdrawn} == {"staff"}
    [event] = rows(app, AuditEvent, AuditEvent.action == "consent.withdraw_all")
    assert event.details["on_behalf"]["reason"] == "Жазбаша өтініш"


def test_a_destroyed_account_gets_no_more_mail(app, runner, browser, subject, monkeypatch, outbox, policy):
    """Its address is gone (an @invalid placeholder): a policy notice to it would be refused by any mail server."""
    from datetime import date

    withdraw(browser)
    destroy_due(runner, monkeypatch, due_in_15_working_days(app))
    monkeypatch.undo()
    policy("2", date(2026, 2, 1), "# Саясат\n\n**1.1.** Жаңа.", "# Политика\n\n**1.1.** Новый.")
    sent = len(outbox())
    assert runner.invoke(args=["policy", "notify"]).exit_code == 0
    assert [m["To"] for m in outbox()[sent:]] == []


def test_a_destroyed_account_is_no_longer_found_by_staff(app, runner, browser, staff, subject, monkeypatch):
    withdraw(browser)
    destroy_due(runner, monkeypatch, due_in_15_working_days(app))
    assert f'href="/staff/subjects/{subject.id}"' not in staff.get(f"/staff/subjects?q={subject.id}").text
    assert staff.get(f"/staff/subjects/{subject.id}").status_code == 404


def test_the_staff_see_whether_the_subject_was_told_of_the_destruction_date(app, staff, scheduled):
    page = staff.get("/staff/withdrawals").text
    assert page.count('data-mail-state="sent" data-attempts="1"') == 1  # the notice of the scheduled destruction


# --- what blocks it, said before anything is asked ---------------------------------------------------

def before_the_password(page: str, text: str) -> bool:
    return text in page and page.index(text) < page.index('name="current_password"')


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_blocked_request_says_what_blocks_it_before_asking_for_the_password(app, browser, lang):
    browser.post(f"/lang/{lang}")
    number = file_complaint(browser)
    page = browser.get(PAGE).text
    assert f'<html lang="{lang}">' in page and 'data-blocked="1"' in page
    assert before_the_password(page, f'<a href="/cabinet/complaints/{number}">')
    assert before_the_password(page, '<time datetime="')  # the answer's due date
    assert before_the_password(page, 'href="/cabinet/consents"')  # what can be done meanwhile
    # asking anyway is offered last, folded, and not as the danger button
    assert re.search(r'<details class="anyway">\s*<summary>[^<]+</summary>.*name="current_password"', page, re.S)
    assert 'class="danger"' not in page
    assert "Withdraw" not in page and "refus" not in page  # no English


def test_a_refusal_is_said_once_with_what_blocks_it(app, browser, subject):
    number = file_complaint(browser)
    assert withdraw(browser).headers["Location"].endswith(PAGE)
    page = browser.get(PAGE).text
    assert page.count('data-outcome="refused"') == 1 and "flash-error" not in page
    assert page.index('data-outcome="refused"') < page.index(f'href="/cabinet/complaints/{number}"')
    assert [w.status for w in rows(app, Withdrawal)] == ["refused"]


def test_a_wrong_password_when_blocked_opens_the_form_with_its_error(app, browser):
    file_complaint(browser)
    before = counts(app)
    page = withdraw(browser, password="wrong-password").text
    assert '<details class="anyway" open>' in page and 'class="error"' in page
    assert counts(app) == before


def test_once_the_matter_is_closed_the_page_asks_again_as_before(app, browser):
    number = file_complaint(browser)
    withdraw(browser)
    assert browser.post(f"/cabinet/complaints/{number}/withdraw", data={"confirm": "y"}).status_code == 302
    page = browser.get(PAGE).text
    assert "data-blocked" not in page
    assert 'data-outcome="refused"' in page and '<details class="anyway"' not in page and 'class="danger"' in page
    assert withdraw(browser).headers["Location"].endswith(PAGE)
    assert [w.status for w in rows(app, Withdrawal)] == ["refused", "scheduled"]


def test_nothing_blocks_it_the_form_is_the_page(browser):
    page = browser.get(PAGE).text
    assert "data-blocked" not in page and '<details class="anyway"' not in page and "data-outcome" not in page
    assert 'name="confirm"' in page and 'name="current_password"' in page and 'class="danger"' in page
