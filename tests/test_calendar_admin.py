"""The administrators' calendar page: a year's working days, overrides recorded, open deadlines never moved silently."""

from datetime import date

import pytest
from sqlalchemy import select

from cabinet.audit.models import AuditEvent
from cabinet.extensions import db
from cabinet.workdays.models import DayOverride


@pytest.fixture
def admin(create_user, login):
    user = create_user(roles=("admin",))
    login(user)
    return user


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_year_shows_the_official_totals(client, admin, lang):
    client.get(f"/lang/{lang}")
    page = client.get("/admin/calendar?year=2026")
    assert page.status_code == 200
    assert "<th>247</th>" in page.text  # the official 2026 production calendar
    assert '<time datetime="2026-03-25">' in page.text  # Nauryz moved from the weekend


def test_holiday_names_differ_between_languages(client, admin):
    client.get("/lang/kk")
    kk = client.get("/admin/calendar?year=2026").text
    client.get("/lang/ru")
    ru = client.get("/admin/calendar?year=2026").text
    assert "Victory Day" not in kk and "Victory Day" not in ru  # no English name reaches either page
    assert kk != ru


def test_checking_an_override_lists_the_deadlines_it_would_move_and_changes_nothing(app, client, admin, create_user):
    from cabinet.complaints.models import Complaint

    subject = create_user()
    with app.test_request_context():
        from cabinet.accounts.models import User
        from cabinet.audit.actor import Actor
        from cabinet.complaints import operations as complaint_operations

        user = db.session.get(User, subject.id)
        complaint_operations.file(Actor(user), user, subject_line="Тест", body="Мәтін", desired_outcome="", scans=[],
                               token="t" * 32)
        db.session.commit()
    with app.app_context():
        due = db.session.scalar(select(Complaint.due_on))
        number = db.session.scalar(select(Complaint.number))
    day = date(due.year, due.month, due.day)  # the due day itself made a day off moves the deadline by one
    page = client.post("/admin/calendar", data={"day": day.isoformat(), "is_working": "0", "note": "Decree",
                                                "check": "1"})
    assert page.status_code == 200
    from cabinet.workdays.calendar import WorkCalendar

    would_be = WorkCalendar({day: False}).add_working_days(day, 1)
    assert number in page.text
    assert f'<time datetime="{day.isoformat()}">' in page.text
    assert f'<time datetime="{would_be.isoformat()}">' in page.text
    with app.app_context():
        assert db.session.scalar(select(DayOverride)) is None
        assert db.session.scalar(select(Complaint.due_on)) == due


def test_saving_and_removing_an_override_is_recorded(app, client, admin):
    client.post("/admin/calendar", data={"day": "2026-12-19", "is_working": "1", "note": "Decree 1", "save": "1"})
    with app.app_context():
        override = db.session.get(DayOverride, date(2026, 12, 19))
        assert override.is_working and override.note == "Decree 1"
    assert "<th>248</th>" in client.get("/admin/calendar?year=2026").text
    client.post("/admin/calendar", data={"day": "2026-12-19", "is_working": "1", "note": "Decree 1", "remove": "1"})
    with app.app_context():
        assert db.session.get(DayOverride, date(2026, 12, 19)) is None
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("calendar.%"))
                                     .order_by(AuditEvent.seq)).all()
    assert actions == ["calendar.override_set", "calendar.override_removed"]


@pytest.mark.parametrize("data", [
    {"day": "not-a-date", "is_working": "1", "note": "x", "save": "1"},
    {"day": "2026-12-19", "is_working": "2", "note": "x", "save": "1"},
    {"day": "2026-12-19", "is_working": "1", "note": "", "save": "1"},
    {"day": "2026-12-19", "is_working": "1", "note": "x" * 500, "save": "1"},
])
def test_bad_input_writes_nothing(app, client, admin, data):
    page = client.post("/admin/calendar", data=data)
    assert page.status_code == 200 and 'class="error"' in page.text
    with app.app_context():
        assert db.session.scalar(select(DayOverride)) is None


def test_only_admins_see_the_calendar(client, create_user, login):
    login(create_user(roles=("support",)))
    assert client.get("/admin/calendar").status_code == 403
