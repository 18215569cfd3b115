"""The administrator verifies the audit trail in the browser: the worker walks every event and checkpoint, and the
page says, in the administrator's language, whether the trail is intact or where and how it was broken."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.audit import stretches, trail, verification
from cabinet.audit.models import AuditEvent, AuditVerification
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.scheduled import audit_checkpoint, audit_verify_daily
from tests.helpers import count, events, login_as, rows, sql

#: checkpoints only where a test takes them
MANUAL = {"AUDIT_CHECKPOINT_EVERY_EVENTS": 0, "AUDIT_CHECKPOINT_EVERY_SECONDS": 0}


@pytest.fixture
def app_config(app_config):
    return {**app_config, **MANUAL}


@pytest.fixture
def admin(app, create_user, history):
    """An administrator signed in, over a trail with a subject's history in it."""
    user = create_user(email="admin@example.kz", roles=("admin",))
    return user, login_as(app, user)


def finding(page: str) -> str:
    """The newest verification's finding, as the page shows it (tags dropped, spaces joined)."""
    row = re.search(r'<tr data-verification="\d+">(.*?)</tr>', page, re.S).group(1)
    cell = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2]
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def head(app) -> int:
    with app.app_context():
        return db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))


def ask(browser) -> str:
    answer = browser.post("/admin/audit/verify")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/audit")
    return browser.get("/admin/audit").text


def test_an_intact_trail_is_verified_and_the_verification_is_on_record(app, admin):
    user, browser = admin
    before = head(app)
    page = ask(browser)
    # the request's own event is verified too: the walk starts after it is committed
    assert "Бүтін: " in finding(page) and f"{before + 1} оқиға тексерілді" in finding(page)
    with app.app_context():
        name = db.session.get(User, user.id).full_name
    assert name in page and "Тексеру кезекке қойылды" in page
    done = rows(app, AuditVerification)[-1]
    assert done.problem is None and done.events == before + 1 and done.finished_at is not None
    asked = events(app, "audit.verification_requested")
    assert [(e.actor_id, e.object_id) for e in asked] == [(user.id, str(done.id))]
    verified = events(app, "audit.verified")[-1]
    assert verified.details["events"] == before + 1 and verified.details["problem"] is None
    browser.get("/lang/ru")
    page = browser.get("/admin/audit").text
    assert "Цел: " in finding(page) and "Журнал аудита" in page


def test_an_event_changed_in_the_database_is_found_and_named(app, admin):
    _, browser = admin
    middle = head(app) // 2
    sql(app, "UPDATE audit_events SET details = :details WHERE seq = :seq",
        details=json.dumps({"forged": True}), seq=middle)
    page = ask(browser)
    assert f"{middle}-оқиғада бұзылған" in finding(page), finding(page)
    assert "Оқиға жазылғаннан кейін өзгертілген" in finding(page)
    assert rows(app, AuditVerification)[-1].problem == "changed"
    browser.get("/lang/ru")
    shown = finding(browser.get("/admin/audit").text)
    assert f"Нарушен на событии {middle}" in shown and "изменено после записи" in shown


def test_an_event_removed_from_the_middle_is_found(app, admin):
    _, browser = admin
    middle = head(app) // 2
    sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=middle)
    ask(browser)
    found = rows(app, AuditVerification)[-1]
    assert (found.problem, found.position, found.events) == ("missing", middle, middle - 1)


def test_events_removed_from_the_end_after_a_checkpoint_are_found(app, admin, runner):
    _, browser = admin
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    last = head(app)
    sql(app, "DELETE FROM audit_events WHERE seq > :seq", seq=last - 3)
    with app.app_context():
        mac = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == last - 3))
    sql(app, "UPDATE audit_head SET seq = :seq, hash = :hash", seq=last - 3, hash=mac)
    page = ask(browser)
    found = rows(app, AuditVerification)[-1]
    assert found.problem == "truncated" and found.checkpoints == 1
    assert "Журналдың соңынан оқиғалар жойылған" in finding(page)


def test_an_edited_checkpoint_line_is_found(app, admin, runner):
    _, browser = admin
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    path = app.config["AUDIT_CHECKPOINT_FILE"]
    with open(path, encoding="utf-8") as file:
        line = json.loads(file.read())
    line["seq"] -= 2
    with open(path, "w", encoding="utf-8") as file:
        file.write(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n")
    page = ask(browser)
    found = rows(app, AuditVerification)[-1]
    assert (found.problem, found.position, found.checkpoints) == ("checkpoints", 1, 0)
    assert "Бақылау нүктелері файлының 1-жолында бұзылған" in finding(page)


def test_a_verification_waited_for_holds_back_the_next_and_a_stale_one_does_not(app, admin, monkeypatch):
    user, browser = admin
    monkeypatch.setattr(verification, "enqueue_on_commit", lambda task, *args: None)  # no worker picks it up
    page = ask(browser)
    assert "Фондық процесті күтуде" in finding(page)
    assert 'action="/admin/audit/verify"' not in page  # no second button while the first is waited for
    assert "әлі аяқталған жоқ" in browser.post("/admin/audit/verify", follow_redirects=True).text
    assert count(app, AuditVerification) == 1
    sql(app, "UPDATE audit_verifications SET requested_at = :at", at=(utcnow() - timedelta(minutes=20)).replace(
        tzinfo=None))
    page = ask(browser)
    assert count(app, AuditVerification) == 2
    assert "Аяқталмады: фондық процесс тоқтап қалған болуы мүмкін" in page


def test_the_worker_runs_a_verification_once(app, admin, monkeypatch):
    _, browser = admin
    monkeypatch.setattr(verification, "enqueue_on_commit", lambda task, *args: None)
    browser.post("/admin/audit/verify")
    asked = rows(app, AuditVerification)[-1].id
    with app.app_context():
        assert verification.run(asked).problem is None
        assert verification.run(asked) is None  # taken already: a second delivery of the task does nothing
    assert len(events(app, "audit.verified")) == 1


def test_a_verification_that_fails_says_so_and_leaves_the_next_free(app, admin, monkeypatch):
    _, browser = admin

    def broken(**_):
        raise OSError("disk gone")

    monkeypatch.setattr(trail, "verify", broken)
    page = ask(browser)
    assert "Тексеруді аяқтау мүмкін болмады" in finding(page)
    assert rows(app, AuditVerification)[-1].problem == "error"
    assert 'action="/admin/audit/verify"' in page


def test_only_administrators_see_or_ask(app, create_user, history):
    support = login_as(app, create_user(email="support@example.kz", roles=("support",)))
    subject = login_as(app, create_user(email="someone@example.kz"))
    for browser in (support, subject):
        assert browser.get("/admin/audit").status_code == 403
        assert browser.post("/admin/audit/verify").status_code == 403
    assert count(app, AuditVerification) == 0


class _Seal:
    """A MAC key whose every seal is "m": the rows below are sealed right unless a test says otherwise."""

    def mac(self, _data: bytes) -> str:
        return "m"


def _row(seq, prev, mac="m", key_id="k"):
    return (seq, "2026-12-07 10:00:00.000000", None, None, "a", None, None, None, "{}", prev, mac, key_id)


@pytest.mark.parametrize("rows, anchors, problem, position, reason", [
    ([_row(2, trail.GENESIS)], {}, "gap: expected position 1", 1, "missing"),
    ([_row(1, "x" * 64)], {}, "broken link to the previous event", 1, "link"),
    ([_row(1, trail.GENESIS, key_id="2026b")], {}, "key id '2026b' is not in the configured AUDIT_KEYS", 1, "key"),
    ([_row(1, trail.GENESIS, mac="forged")], {}, "content does not match its MAC", 1, "changed"),
    ([_row(1, trail.GENESIS), _row(2, "m", key_id=None)], {}, "an unkeyed (legacy) event after keyed ones: rewritten",
     2, "rewritten"),
    ([_row(1, trail.GENESIS)], {1: ("other", "checkpoint 2 of 2026-12-07")},
     "the event differs from checkpoint 2 of 2026-12-07: rewritten at or before it", 1, "rewritten"),
])
def test_each_break_the_verifier_names_has_words_for_the_administrator(rows, anchors, problem, position, reason):
    """The walk names the kind of each break beside its words; the page and the mail say it from that kind."""
    found = stretches.walk(iter(rows), 1, trail.GENESIS, False, {"k": _Seal()}, anchors, True)
    assert found.problem[1:] == (problem, position, reason)
    assert set(stretches.REASONS) | {"checkpoints", "error"} == set(verification.REASONS)


@pytest.mark.parametrize("case", ["an anchor beyond the end", "the head removed", "the head left behind"])
def test_the_end_of_the_chain_removed_is_named_truncated(app, admin, case):
    """The breaks only the end of a whole walk finds: the last event gone and a checkpoint beyond the end, the head
    row gone, or the head still naming the position removed."""
    last = head(app)
    sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=last)
    if case == "the head removed":
        sql(app, "DELETE FROM audit_head")
    with app.app_context():
        verdict = trail.verify(anchors={last: ("m", "checkpoint 1")} if case == "an anchor beyond the end" else None)
    assert (verdict.seq, verdict.reason) == (last, "truncated")
    assert verdict.problem == {
        "an anchor beyond the end": f"the chain ends at position {last - 1} but checkpoint 1 anchors position {last}: "
                                    "events removed from the end",
        "the head removed": "the chain head is missing: events at the end may have been removed",
        "the head left behind": "events missing at the end of the chain"}[case]


def test_an_intact_hourly_check_keeps_nothing_for_the_page(app, admin):
    with app.app_context():
        assert audit_checkpoint.call_local() is not None  # a checkpoint signed
    assert count(app, AuditVerification) == 0


def test_the_hourly_check_keeps_a_break_for_the_page_and_mails_it_once(app, admin, make_app, outbox):
    user, browser = admin
    sql(app, "UPDATE users SET locale = 'ru' WHERE id = :id", id=user.id)
    sql(app, "UPDATE audit_events SET action = 'account.nothing' WHERE seq = 2")
    with make_app(AUDIT_MAIL_TO="auditor@example.kz", AUDIT_MAIL_LOCALE="kk", **MANUAL).app_context():
        assert audit_checkpoint.call_local() is None
        sql(app, "UPDATE job_leases SET until = :past", past=(utcnow() - timedelta(hours=1)).replace(tzinfo=None))
        assert audit_checkpoint.call_local() is None  # the next hour: the same break, not kept or mailed again
    (found,) = rows(app, AuditVerification)
    assert (found.kind, found.problem, found.position) == ("hourly", "changed", 2)
    mails = {m["To"]: m for m in outbox() if m["To"] in (user.email, "auditor@example.kz")}
    assert len([m for m in outbox() if m["To"] == user.email]) == 1
    assert "Журнал аудита изменён на событии 2" in mails[user.email]["Subject"]
    assert "http://cabinet.test/admin/audit" in mails[user.email].get_content()
    assert "Аудит журналы 2-оқиғада өзгертілген" in mails["auditor@example.kz"]["Subject"]
    assert "Оқиға жазылғаннан кейін өзгертілген" in mails["auditor@example.kz"].get_content()
    page = browser.get("/admin/audit").text
    assert "Ежечасная проверка" in page and "Нарушен на событии 2" in finding(page)  # the admin reads Russian
    assert 'action="/admin/audit/verify"' in page  # a finding of the hourly check holds back no verification


def test_the_nightly_check_finds_what_the_hourly_one_cannot_and_mails_a_break_once(app, admin, make_app, runner,
                                                                                 outbox):
    user, browser = admin
    nightly = make_app(**MANUAL)
    with nightly.app_context():
        assert audit_verify_daily.call_local() is not None
    assert rows(app, AuditVerification)[-1].problem is None
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    sql(app, "UPDATE audit_events SET action = 'account.nothing' WHERE seq = 3")  # anchored by the checkpoint
    with nightly.app_context():
        assert audit_checkpoint.call_local() is None  # no event since the checkpoint: the hourly check walks none
    assert [v.kind for v in rows(app, AuditVerification)] == ["daily"]
    for _night in range(2):
        sql(app, "UPDATE job_leases SET until = :past", past=(utcnow() - timedelta(days=1)).replace(tzinfo=None))
        with nightly.app_context():
            assert audit_verify_daily.call_local() is not None
    assert [(v.kind, v.problem, v.position) for v in rows(app, AuditVerification)] == [
        ("daily", None, None), ("daily", "changed", 3), ("daily", "changed", 3)]
    (mail,) = [m for m in outbox() if m["To"] == user.email]  # the same break the next night: no second mail
    assert "Аудит журналы 3-оқиғада өзгертілген" in mail["Subject"]
    assert "бүкіл аудит журналын түнгі тексеру" in mail.get_content()
    page = browser.get("/admin/audit").text
    assert "Түнгі тексеру" in page and "3-оқиғада бұзылған" in finding(page)


def test_the_page_names_the_latest_signed_checkpoint(app, admin, runner):
    _, browser = admin
    assert 'data-checkpoint=""' in browser.get("/admin/audit").text and "әлі жоқ" in browser.get("/admin/audit").text
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    page = browser.get("/admin/audit").text
    assert f'data-checkpoint="{head(app)}"' in page and f"{head(app)}-оқиға, қол қойылды: " in page
