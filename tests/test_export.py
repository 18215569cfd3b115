"""The right to know (law art. 24): "all my data" as JSON, and the access log of who touched it."""

import hashlib
import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.audit import trail
from cabinet.audit.models import AuditEvent
from cabinet.consents.purposes import PURPOSES
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from tests.helpers import PNG

CONTRACT_KEYS = {"profile", "profile_history", "documents", "consents", "policy_acceptances", "complaints",
                 "corrections", "access_log", "disclosures"}
B_SCAN = PNG + b"only-b's-bytes"
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:00$")


@pytest.fixture
def people(app, create_user):
    """Subject A with data of every kind, subject B with distinguishable data, and a support worker."""
    a = create_user(email="a@example.kz", phone="+77011111111", surname="Әлиева")
    b = create_user(email="b@example.kz", phone="+77017777777", surname="Басқабаев", given_name="Бекзат")
    staff = create_user(email="staff@example.kz", roles=("support",), surname="Қызметкерова", given_name="Ерлан")
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.consents import service as consents
    from cabinet.disclosures import service as disclosures
    from cabinet.profile import service as profile

    with app.test_request_context():
        subject_a, subject_b, worker = (db.session.get(User, u.id) for u in (a, b, staff))
        profile.change_phone(subject_a, "+77012222222", actor=subject_a)
        consents.change(subject_a, "marketing", "grant", actor=Actor(subject_a), channel="cabinet")
        profile.request_name_correction(subject_a, {"surname": "Жаңабаева"}, "Marriage certificate", [],
                                        actor=subject_a, token="a" * 32, due_on=date(2026, 3, 3))
        disclosures.record(subject_a, actor=worker, recipient="Прокуратура", basis="3.4.1",
                           categories="ФИО, телефон", disclosed_on=date(2026, 2, 2), reference="№ 12/345")
        trail.record("staff.subject_viewed", actor=worker, subject=subject_a, obj=subject_a,
                     details={"reason": "Phone call about a-case"})
        profile.change_phone(subject_b, "+77018888888", actor=subject_b)
        consents.change(subject_b, "research", "grant", actor=Actor(subject_b), channel="cabinet")
        profile.request_name_correction(subject_b, {"surname": "Бөтенов"}, "B's reason", [],
                                        actor=subject_b, token="b" * 32, due_on=date(2026, 3, 3))
        disclosures.record(subject_b, actor=worker, recipient="B-only recipient", basis="3.4.2",
                           categories="B-only categories", disclosed_on=date(2026, 2, 3), reference="B-ref")
        storage.store(storage.CheckedFile("b-secret.png", "image/png", B_SCAN, hashlib.sha256(B_SCAN).hexdigest()),
                      actor=subject_b, subject=subject_b, kind="registration")
        complaint_operations.file(Actor(subject_a), subject_a, subject_line="Wrong bill", body="A's complaint text",
                                  desired_outcome="Recalculate", scans=[], token="export-a-" + "x" * 20)
        complaint_operations.file(Actor(subject_b), subject_b, subject_line="B-only complaint", body="B-only text",
                                  desired_outcome="", scans=[], token="export-b-" + "x" * 20)
        db.session.commit()
    return {"a": a, "b": b, "staff": staff}


def export(client):
    response = client.get("/cabinet/export")
    assert response.status_code == 200
    return response, json.loads(response.data.decode("utf-8"))


def test_export_is_a_json_attachment_with_every_contract_key(client, login, people):
    login(people["a"])
    response, data = export(client)
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and ".json" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert CONTRACT_KEYS <= set(data)
    assert {"current", "history"} <= set(data["consents"])
    for key in CONTRACT_KEYS - {"profile", "consents"}:
        assert isinstance(data[key], list), key
    for complaint in data["complaints"]:
        assert {"number", "filed_at", "due_on", "status"} <= set(complaint)
    assert "Әлиева" in response.data.decode("utf-8")  # readable, not \u-escaped


def test_export_holds_the_subjects_real_data(app, client, login, people):
    a = people["a"]
    login(a)
    _response, data = export(client)

    assert data["profile"]["email"] == "a@example.kz"
    assert data["profile"]["surname"] == "Әлиева"
    assert data["profile"]["phone"] == "+77012222222"
    assert data["profile"]["registered_at"]

    assert ("+77011111111", "+77012222222", "self") in [
        (c["old_value"], c["new_value"], c["basis"]) for c in data["profile_history"] if c["field"] == "phone"]

    with app.app_context():
        documents = db.session.scalars(select(Document).where(Document.owner_id == a.id).order_by(Document.id)).all()
        own_events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_id == a.id)
                                        .order_by(AuditEvent.seq)).all()
    assert [(d["id"], d["sha256"], d["name"]) for d in data["documents"]] == \
        [(d.id, d.sha256, d.original_name) for d in documents]

    current = data["consents"]["current"]
    assert set(current) == {p.code for p in PURPOSES}
    assert current["marketing"]["granted"] is True
    assert current["research"]["granted"] is False and current["service"]["granted"] is True
    assert ("marketing", "grant", "cabinet") in [(e["purpose"], e["action"], e["channel"])
                                                for e in data["consents"]["history"]]
    assert len(data["consents"]["history"]) == len(PURPOSES) + 1

    assert [(p["version"], p["method"]) for p in data["policy_acceptances"]] == [("1", "registration")]
    assert [(c["changes"], c["reason"], c["status"], c["due_on"]) for c in data["corrections"]] == \
        [({"surname": "Жаңабаева"}, "Marriage certificate", "pending", "2026-03-03")]
    assert [(d["recipient"], d["basis"], d["disclosed_on"], d["reference"]) for d in data["disclosures"]] == \
        [("Прокуратура", "3.4.1", "2026-02-02", "№ 12/345")]
    with app.app_context():
        from cabinet.complaints.models import Complaint

        complaint = db.session.scalar(select(Complaint).where(Complaint.user_id == a.id))
    assert [(c["number"], c["status"], c["due_on"], c["body"]) for c in data["complaints"]] == \
        [(complaint.number, complaint.status, complaint.due_on.isoformat(), "A's complaint text")]
    assert data["complaints"][0]["filed_at"]

    # the access log in the export is the whole trail about A (before this download), own actions included
    logged = [(e["action"], e["actor_id"]) for e in data["access_log"]]
    assert logged == [(e.action, e.actor_id) for e in own_events if e.action != "export.downloaded"]
    assert ("staff.subject_viewed", people["staff"].id) in logged
    assert ("account.signed_in", a.id) in logged


def test_export_holds_nothing_of_another_subject(client, login, people):
    login(people["a"])
    response, data = export(client)
    text = response.data.decode("utf-8")
    for secret in ("b@example.kz", "+77017777777", "+77018888888", "Басқабаев", "Бекзат", "Бөтенов", "B's reason",
                   "B-only", "b-secret.png", hashlib.sha256(B_SCAN).hexdigest()):
        assert secret not in text, secret
    b_id = people["b"].id
    assert all(c["actor_id"] != b_id for c in data["profile_history"])
    assert all(e["actor_id"] != b_id for e in data["access_log"])
    assert all(e["object"] != ["user", str(b_id)] for e in data["access_log"])


def test_export_download_is_audited(app, client, login, people):
    a = people["a"]
    login(a)
    export(client)
    export(client)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all()
        assert [(e.actor_id, e.subject_id) for e in events] == [(a.id, a.id)] * 2
        assert trail.verify().ok


# --- the access log page --------------------------------------------------------------------

ROW = re.compile(r'<tr data-action="([^"]+)">(.*?)</tr>', re.S)


def log_rows(client, url="/cabinet/access-log"):
    response = client.get(url)
    assert response.status_code == 200
    return response, ROW.findall(response.text)


def actions(rows) -> list[str]:
    return [action for action, _html in rows]


def test_access_log_shows_sign_ins_and_failed_sign_ins(client, create_user, login):
    user = create_user()
    login(user)
    client.post("/logout")
    login(user, password="wrong-password-1")
    login(user, password="wrong-password-2")
    login(user)
    _response, rows = log_rows(client)
    assert actions(rows).count("account.signed_in") == 2
    assert actions(rows).count("account.sign_in_failed") == 2
    assert actions(rows)[:3] == ["account.signed_in", "account.sign_in_failed", "account.sign_in_failed"]


def test_access_log_hides_the_subjects_own_other_actions(app, client, create_user, login):
    user = create_user()
    login(user)
    client.get("/cabinet/export")
    with app.app_context():
        document = db.session.scalar(select(Document.id).where(Document.owner_id == user.id))
    client.get(f"/cabinet/documents/{document}")
    client.post("/cabinet/consents", data={"purpose": "marketing", "action": "grant", "confirm": "yes"})
    _response, rows = log_rows(client)
    assert set(actions(rows)) == {"account.signed_in"}


def test_access_log_shows_what_others_did_with_the_subjects_data(app, client, create_user, login):
    user, other = create_user(), create_user(email="other@example.kz")
    staff = create_user(roles=("support",), surname="Қызметкерова", given_name="Ерлан")
    with app.test_request_context():
        trail.record("staff.subject_viewed", actor=staff.id, subject=user.id, obj=None,
                     details={"reason": "Written request no. 77"})
        trail.record("staff.subject_viewed", actor=staff.id, subject=other.id, details={"reason": "not-for-user"})
        db.session.commit()
    login(other)  # another subject's sign-in is not in the user's log
    client.post("/logout")
    login(user)
    _response, rows = log_rows(client)
    assert actions(rows) == ["account.signed_in", "staff.subject_viewed"]
    staff_row = rows[1][1]
    assert "Ерлан Қызметкерова" in staff_row
    assert "Written request no. 77" in staff_row
    assert "not-for-user" not in _response.text


def test_access_log_paginates_with_an_older_link(app, client, create_user, login):
    user = create_user()
    staff = create_user(roles=("support",))
    with app.test_request_context():
        for i in range(120):
            trail.record("staff.subject_viewed", actor=staff.id, subject=user.id, details={"reason": f"evt-{i:03d}"})
        db.session.commit()
    login(user)
    seen, url, pages = [], "/cabinet/access-log", 0
    while url:
        response, rows = log_rows(client, url)
        pages += 1
        assert len(rows) <= 50
        seen += [re.search(r"evt-(\d{3})", html).group(1) if "evt-" in html else action for action, html in rows]
        older = re.search(r'href="(/cabinet/access-log\?before=\d+)"', response.text)
        url = older.group(1) if older else None
        if url:
            assert len(rows) == 50
    assert pages == 3
    assert seen == ["account.signed_in"] + [f"{i:03d}" for i in reversed(range(120))]


def test_no_older_link_when_the_last_page_is_exactly_full(app, client, create_user, login):
    user = create_user()
    staff = create_user(roles=("support",))
    with app.test_request_context():
        for i in range(49):
            trail.record("staff.subject_viewed", actor=staff.id, subject=user.id, details={"reason": f"evt-{i}"})
        db.session.commit()
    login(user)  # the 50th entry
    response, rows = log_rows(client)
    assert len(rows) == 50
    assert "?before=" not in response.text


@pytest.mark.parametrize("before", ["abc", "-5", "0", "2147483648", "99999999999", "1e9", ""])
def test_odd_before_values_do_not_break_the_page(client, create_user, login, before):
    login(create_user())
    response = client.get(f"/cabinet/access-log?before={before}")
    assert response.status_code == 200


def test_every_access_log_date_is_a_machine_readable_almaty_moment(app, client, create_user, login):
    user = create_user()
    staff = create_user(roles=("support",))
    with app.test_request_context():
        event = trail.record("staff.subject_viewed", actor=staff.id, subject=user.id, details={"reason": "x"})
        db.session.commit()
        occurred = event.occurred_at
    login(user)
    _response, rows = log_rows(client)
    stamps = [re.findall(r'<time datetime="([^"]+)">', html) for _action, html in rows]
    assert all(len(found) == 1 for found in stamps)
    stamps = [found[0] for found in stamps]
    assert all(ISO_MOMENT.match(s) for s in stamps), stamps
    expected = occurred.astimezone(ZoneInfo("Asia/Almaty")).isoformat(timespec="seconds")
    assert expected in stamps
    assert datetime.fromisoformat(expected) == occurred.replace(microsecond=0)


def test_the_export_holds_the_whole_history_however_many_pages_the_cabinet_shows_it_in(app, client, create_user,
                                                                                        login):
    from cabinet.audit.actor import Actor
    from cabinet.consents import service as consents
    from cabinet.paging import PAGE_SIZE
    from cabinet.profile import service as profile

    user = create_user()
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        for i in range(2 * PAGE_SIZE):
            consents.change(subject, "marketing", "grant" if i % 2 == 0 else "withdraw", actor=Actor(subject),
                            channel="cabinet")
            profile.change_phone(subject, f"+7701{i:07d}", actor=subject)
        db.session.commit()
    login(user)
    assert 'rel="next"' in client.get("/cabinet/consents").text  # the cabinet pages them
    data = json.loads(client.get("/cabinet/export").data)
    assert len(data["consents"]["history"]) == len(PURPOSES) + 2 * PAGE_SIZE
    phones = [c["new_value"] for c in data["profile_history"] if c["field"] == "phone"]
    assert phones[-2 * PAGE_SIZE:] == [f"+7701{i:07d}" for i in range(2 * PAGE_SIZE)]
