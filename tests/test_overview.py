"""The overview is a status page: every open matter with its state and date, and answers since the last visit
(issue 15)."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from cabinet.accounts.models import User
from cabinet.extensions import db
from tests.helpers import file_complaint, login_as


@pytest.fixture
def subject(create_user, login):
    user = create_user(surname="Сейітова", given_name="Әйгерім")
    login(user)
    return user


def matters(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for kind, text in re.findall(r'<li data-matter="(\w+)">(.*?)</li>', html, re.S):
        found.setdefault(kind, []).append(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip())
    return found


@pytest.mark.parametrize(("lang", "nothing"), [("kk", "Ашық мәселе жоқ"), ("ru", "Открытых вопросов нет")])
def test_nothing_open_says_so(client, subject, lang, nothing):
    client.get(f"/lang/{lang}")
    page = client.get("/cabinet").text
    assert nothing in page and not matters(page)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_open_complaints_a_correction_and_a_scheduled_withdrawal_are_listed_with_their_dates(
        app, client, subject, lang):
    from cabinet.consents.models import Withdrawal
    from cabinet.profile.models import CorrectionRequest

    client.get(f"/lang/{lang}")
    number = file_complaint(client)
    with app.app_context():
        db.session.add(CorrectionRequest(user_id=subject.id, changes={"surname": "Жаңа"}, reason="Неке",
                                         due_on=date(2026, 12, 8), submission_token="overview-correction"))
        db.session.add(Withdrawal(user_id=subject.id, status="scheduled", due_on=date(2026, 12, 25)))
        db.session.commit()
    found = matters(client.get("/cabinet").text)
    [complaint] = found["complaint"]
    assert number in complaint and "Деректерім рұқсатсыз берілді" in complaint
    assert {"kk": "жұмыс күні қалды", "ru": "рабочих дн"}[lang] in complaint
    assert "2026-12-08" in client.get("/cabinet").text and "2026-12-25" in client.get("/cabinet").text
    assert len(found["correction"]) == 1 and len(found["withdrawal"]) == 1


def test_an_answer_since_the_last_visit_is_shown_first(app, client, subject, create_user):
    number = file_complaint(client)
    staff = login_as(app, create_user(email="support@example.kz", roles=("support",)))
    staff.post(f"/staff/complaints/{number}", data={"answer": "Жауап.", "submission_token": "overview-answer-0001"})
    with app.app_context():  # the subject's previous visit was before the answer
        db.session.execute(update(User).where(User.id == subject.id)
                           .values(previous_login_at=datetime(2026, 1, 1, tzinfo=UTC)))
        db.session.commit()
    found = matters(client.get("/cabinet").text)
    assert number in found["answered"][0] and "complaint" not in found  # answered: no longer open


def test_only_the_latest_withdrawal_and_a_pending_correction_count(app, client, subject):
    """The overview asks for its other matters in one statement: a withdrawal refused after a scheduled one is the
    latest (nothing scheduled to show), and a decided correction is no longer open."""
    from cabinet.consents.models import Withdrawal
    from cabinet.profile.models import CorrectionRequest

    with app.app_context():
        db.session.add(Withdrawal(user_id=subject.id, status="scheduled", due_on=date(2026, 12, 25)))
        db.session.add(CorrectionRequest(user_id=subject.id, changes={"surname": "Жаңа"}, reason="Неке",
                                         status="rejected", due_on=date(2026, 12, 8),
                                         submission_token="overview-decided"))
        db.session.commit()
        db.session.add(Withdrawal(user_id=subject.id, status="refused"))
        db.session.commit()
    page = client.get("/cabinet").text
    assert not matters(page) and "2026-12-25" not in page and "2026-12-08" not in page
