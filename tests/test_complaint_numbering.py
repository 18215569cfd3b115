"""Registration numbers and due dates: per year of receipt in Almaty, Kazakhstan working days, concurrency."""

import secrets
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from cabinet.extensions import db
from tests.helpers import file_at


@pytest.mark.parametrize(("received_local", "due"), [
    # Fri 6 Mar 2026. Off: 7-8 Mar weekend, 9 Mar (8 Mar on a Sunday, moved), 14-15, 21-25 Mar Nauryz (with the
    # weekend days moved to 24-25), 28-29, Apr weekends. Counting: 10-13 Mar (4), 16-20 (9), 26-27 (11),
    # 30 Mar-3 Apr (16), 6-10 (21), 13-17 (26), 20-23 Apr (30).
    (date(2026, 3, 6), date(2026, 4, 23)),
    # Tue 15 Dec 2026. Off: 16 Dec Independence Day, weekends, 1-2 Jan (2 Jan a Saturday, moved to Mon 4 Jan),
    # 7 Jan Orthodox Christmas. Counting: 17-18 Dec (2), 21-25 (7), 28-31 (11), 5-6 Jan (13), 8 Jan (14),
    # 11-15 (19), 18-22 (24), 25-29 (29), Mon 1 Feb 2027 (30): across the year end.
    (date(2026, 12, 15), date(2027, 2, 1)),
    # Thu 2 Jan 2025, itself a holiday. Fri 3 Jan off by decree, Sun 5 Jan worked instead (1), 6 Jan (2),
    # 7 Jan off, 8-10 (5), 13-17 (10), 20-24 (15), 27-31 (20), 3-7 Feb (25), 10-14 Feb (30).
    (date(2025, 1, 2), date(2025, 2, 14)),
])
def test_due_date_is_thirty_kazakhstan_working_days(app, create_user, monkeypatch, received_local, due):
    from cabinet.workdays.service import calendar

    user = create_user()
    # noon in Almaty (UTC+5) on the day of receipt
    moment = datetime(received_local.year, received_local.month, received_local.day, 7, 0, tzinfo=UTC)
    number, due_on = file_at(app, user.id, moment, monkeypatch)
    assert due_on == due
    with app.app_context():
        assert calendar().add_working_days(received_local, 30) == due
        assert calendar().working_days_between(received_local, due) == 30
    assert number == f"BE-{received_local.year}-000001"


def test_year_and_day_of_receipt_are_those_of_almaty(app, create_user, monkeypatch):
    user = create_user()
    # 23:59 on 31 December in Almaty
    late, _ = file_at(app, user.id, datetime(2026, 12, 31, 18, 59, tzinfo=UTC), monkeypatch)
    # 00:30 on 1 January in Almaty, still 31 December in UTC
    early, due = file_at(app, user.id, datetime(2026, 12, 31, 19, 30, tzinfo=UTC), monkeypatch)
    assert late == "BE-2026-000001"
    assert early == "BE-2027-000001"
    # counted from Fri 1 Jan 2027 (a holiday): 5-6 Jan (2), 8 Jan (3), 11-15 (8), 18-22 (13), 25-29 (18),
    # 1-5 Feb (23), 8-12 Feb (28), 15-16 Feb (30)
    assert due == date(2027, 2, 16)


def test_each_year_counts_from_one_and_numbers_are_never_reused(app, create_user, monkeypatch):
    user = create_user()
    numbers = [file_at(app, user.id, datetime(2026, 5, d, 6, tzinfo=UTC), monkeypatch)[0] for d in (4, 5, 6)]
    numbers += [file_at(app, user.id, datetime(2027, 5, 4, 6, tzinfo=UTC), monkeypatch)[0]]
    numbers += [file_at(app, user.id, datetime(2026, 5, 7, 6, tzinfo=UTC), monkeypatch)[0]]
    assert numbers == ["BE-2026-000001", "BE-2026-000002", "BE-2026-000003", "BE-2027-000001", "BE-2026-000004"]


def test_prefix_comes_from_the_configuration(app, create_user, monkeypatch):
    user = create_user()
    app.config["COMPLAINT_PREFIX"] = "XQ"
    number, _ = file_at(app, user.id, datetime(2026, 5, 4, 6, tzinfo=UTC), monkeypatch)
    assert number == "XQ-2026-000001"


def test_an_override_moves_new_deadlines_but_never_one_already_set(app, create_user, monkeypatch):
    from cabinet.complaints.models import Complaint
    from cabinet.workdays.models import DayOverride

    user = create_user()
    first, due = file_at(app, user.id, datetime(2026, 3, 6, 7, tzinfo=UTC), monkeypatch)
    assert due == date(2026, 4, 23)
    with app.app_context():
        db.session.add(DayOverride(day=date(2026, 4, 10), is_working=False, note="test decree"))
        db.session.commit()
    _, moved = file_at(app, user.id, datetime(2026, 3, 6, 8, tzinfo=UTC), monkeypatch)
    assert moved == date(2026, 4, 24)
    with app.app_context():
        assert db.session.scalar(select(Complaint.due_on).where(Complaint.number == first)) == date(2026, 4, 23)


def test_a_rolled_back_filing_gives_its_number_back(app, create_user, monkeypatch):
    from cabinet.accounts.models import User
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations

    user = create_user()
    monkeypatch.setattr(complaint_operations, "utcnow", lambda: datetime(2026, 5, 4, 6, tzinfo=UTC))
    with app.app_context():
        subject = db.session.get(User, user.id)
        complaint_operations.file(Actor(subject), subject, subject_line="x", body="x", desired_outcome="",
                                  scans=[], token=secrets.token_urlsafe(24))
        db.session.rollback()
    assert file_at(app, user.id, datetime(2026, 5, 4, 7, tzinfo=UTC))[0] == "BE-2026-000001"


def test_concurrent_filing_gives_distinct_contiguous_numbers(app, create_user, monkeypatch):
    """8 threads, each with its own app context and session, file 5 complaints each on the same database."""
    from cabinet.complaints import operations as complaint_operations

    users = [create_user(email=f"t{i}@example.kz") for i in range(8)]
    monkeypatch.setattr(complaint_operations, "utcnow", lambda: datetime.now(UTC).replace(year=2026, month=6, day=1))
    numbers, errors, start = [], [], threading.Barrier(len(users))

    def work(user_id):
        try:
            start.wait()
            for _ in range(5):
                numbers.append(file_at(app, user_id, None)[0])
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=work, args=(u.id,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"BE-2026-{i:06d}" for i in range(1, 41)]
