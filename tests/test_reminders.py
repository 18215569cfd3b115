"""Daily deadline reminders: support hears of what falls due within 3 working days, the admins of what is overdue,
each in their own language, once a day however often the job runs (issue 14)."""

from datetime import date

import pytest
from sqlalchemy import delete, select, update

from cabinet.accounts.models import User
from cabinet.audit.models import AuditEvent
from cabinet.complaints.models import Complaint
from cabinet.extensions import db
from cabinet.queue import JobLease
from cabinet.staff.models import DeadlineReminder
from tests.helpers import login_as

#: a Monday with no holiday near it: Wednesday is 2 working days away, the Thursday before is 2 days overdue
TODAY = date(2026, 11, 23)


@pytest.fixture
def people(create_user):
    return {"support_kk": create_user(email="s-kk@example.kz", roles=("support",), locale="kk"),
            "support_ru": create_user(email="s-ru@example.kz", roles=("support",), locale="ru"),
            "admin": create_user(email="admin@example.kz", roles=("admin",), locale="ru"),
            "subject": create_user(email="subject@example.kz")}


@pytest.fixture
def matters(app, people):
    """Complaint A due Wednesday (2 working days), B due last Thursday (overdue), C due next month; a name
    correction due tomorrow."""
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.profile import service as profile

    due = {"A": date(2026, 11, 25), "B": date(2026, 11, 19), "C": date(2026, 12, 28)}
    numbers = {}
    with app.test_request_context():
        subject = db.session.get(User, people["subject"].id)
        for name, due_on in due.items():
            complaint, _ = complaint_operations.file(Actor(subject), subject, subject_line=f"Шағым {name}",
                                                     body="Мәтін", desired_outcome="", scans=[],
                                                     token=f"reminder-{name}" + "x" * 20)
            db.session.execute(update(Complaint).where(Complaint.id == complaint.id).values(due_on=due_on))
            numbers[name] = complaint.number
        request, _ = profile.request_name_correction(subject, {"surname": "Жаңа"}, "Неке", [], actor=subject,
                                                     token="reminder-correction" + "x" * 20,
                                                     due_on=date(2026, 11, 24))
        db.session.commit()
        return {**numbers, "correction": request.id}


def remind(app, today=TODAY):
    from cabinet.staff.reminders import remind

    with app.app_context():  # as the worker runs it: no request
        mailed = remind(today)
        db.session.commit()
    return mailed


def mails(outbox, address):
    return [m for m in outbox() if m["To"] == address]


def test_support_is_told_in_its_language_what_falls_due_within_3_working_days(app, people, matters, outbox):
    assert remind(app) == {"support": 2, "admins": 1}
    [kk] = mails(outbox, "s-kk@example.kz")
    [ru] = mails(outbox, "s-ru@example.kz")
    assert (kk["Content-Language"], ru["Content-Language"]) == ("kk", "ru")
    for mail in (kk, ru):
        body = mail.get_content()
        assert matters["A"] in body and f"http://cabinet.test/staff/complaints/{matters['A']}" in body
        assert f"№ {matters['correction']}" in body and "http://cabinet.test/staff/corrections" in body
        assert matters["B"] not in body and matters["C"] not in body  # overdue goes to the admins; C is far off
    assert "2 жұмыс күні қалды" in kk.get_content() and "осталось 2 рабочих дня" in ru.get_content()
    assert "25 ноября 2026" in ru.get_content()


def test_what_is_overdue_is_escalated_to_the_admins(app, people, matters, outbox):
    remind(app)
    [escalated] = mails(outbox, "admin@example.kz")
    body = escalated.get_content()
    assert escalated["Content-Language"] == "ru" and "Просрочено" in escalated["Subject"]
    assert matters["B"] in body and "на 2 рабочих дня" in body
    assert matters["A"] not in body


def test_one_reminder_a_day_however_often_the_job_runs(app, people, matters, outbox):
    remind(app)
    sent = len(outbox())
    assert remind(app) == {"support": 0, "admins": 0}
    assert len(outbox()) == sent
    with app.app_context():
        rows = db.session.scalars(select(DeadlineReminder).order_by(DeadlineReminder.id)).all()
        assert [(r.day, r.audience, r.recipients, len(r.items)) for r in rows] == \
            [(TODAY, "support", 2, 2), (TODAY, "admins", 1, 1)]
    remind(app, date(2026, 11, 24))  # the next day: told again (A is still open)
    assert len(mails(outbox, "s-kk@example.kz")) == 2


def test_nothing_due_sends_nothing(app, people, outbox):
    assert remind(app) == {"support": 0, "admins": 0}
    assert outbox() == []


def test_the_command_names_its_job_and_the_page_shows_the_last_reminder(app, people, matters, runner, outbox,
                                                                       monkeypatch):
    from cabinet import i18n

    monkeypatch.setattr(i18n, "local_today", lambda: TODAY)
    result = runner.invoke(args=["deadlines", "remind"])
    assert result.exit_code == 0, result.output
    assert "2 due soon mailed to support, 1 overdue mailed to the admins" in result.output
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deadlines.reminded")).all()
    assert {e.details["audience"] for e in events} == {"support", "admins"}
    assert all(e.details["job"]["name"] == "deadlines remind" for e in events)
    staff = login_as(app, people["support_ru"])
    staff.get("/lang/ru")
    page = staff.get("/staff").text
    assert "Напоминания" in page and "2 вопроса" in page and "1 вопрос" in page


def test_the_worker_reminds_once_a_day_as_the_named_job(app, people, matters, outbox, monkeypatch):
    from cabinet import i18n
    from cabinet.scheduled import deadline_reminders

    monkeypatch.setattr(i18n, "local_today", lambda: TODAY)
    with app.app_context():
        assert deadline_reminders.call_local() == {"support": 2, "admins": 1}
        assert deadline_reminders.call_local() is None  # another worker's run in the same hour: skipped
        db.session.execute(delete(JobLease))  # the next hour
        db.session.commit()
        assert deadline_reminders.call_local() == {"support": 0, "admins": 0}  # the day's reminders are made
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deadlines.reminded")).all()
    assert [e.details["job"]["name"] for e in events] == ["deadlines remind"] * 2
    assert len(mails(outbox, "s-kk@example.kz")) == 1
