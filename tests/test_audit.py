"""The audit trail: every event chained to the previous one, verifiable, complete and free of secrets."""

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text, update

from cabinet.audit import trail
from cabinet.audit.models import AuditEvent, AuditHead
from cabinet.extensions import db
from tests.helpers import NEW_PASSWORD, PASSWORD, WRONG_PASSWORD, link_in, sql, verify


def test_real_actions_make_a_verifiable_chain(app, runner, history):
    assert history >= 15
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert f"{history} events verified" in result.output
    with app.app_context():
        seqs = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        head = db.session.get(AuditHead, 1)
        assert seqs == list(range(1, history + 1))
        assert (head.seq, head.hash) == (history, db.session.scalar(select(AuditEvent.hash).where(
            AuditEvent.seq == history)))
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"account.created", "document.uploaded", "policy.accepted", "consent.grant", "account.email_confirmed",
            "account.sign_in_failed", "account.signed_in", "profile.phone_changed", "account.signed_out",
            "account.reset_requested", "account.password_reset"} <= actions


def test_empty_trail_verifies(app, runner):
    result = verify(runner)
    assert result.exit_code == 0 and "0 events verified" in result.output


def _middle(total):
    return total // 2


@pytest.mark.parametrize(("column", "value"), [
    ("details", '{"purpose": "marketing", "channel": "forged"}'),
    ("action", "account.signed_out"),
    ("ip", "203.0.113.9"),
    ("object_id", "999"),
])
def test_changed_event_is_detected_at_its_position(app, runner, history, column, value):
    position = _middle(history)
    sql(app, f"UPDATE audit_events SET {column} = :value WHERE seq = :seq", value=value, seq=position)
    result = verify(runner)
    assert result.exit_code != 0
    assert f"position {position}" in result.output
    assert "content" in result.output


def test_changed_actor_and_time_are_detected(app, runner, history):
    position = _middle(history)
    with app.app_context():
        other = db.session.scalar(select(AuditEvent.subject_id).where(AuditEvent.seq == position))
        moment = db.session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == position))
    sql(app, update(AuditEvent).where(AuditEvent.seq == position).values(actor_id=None if other else other))
    assert f"position {position}" in verify(runner).output
    sql(app, update(AuditEvent).where(AuditEvent.seq == position).values(actor_id=other))
    assert verify(runner).exit_code == 0  # restored exactly, it verifies again
    sql(app, update(AuditEvent).where(AuditEvent.seq == position).values(occurred_at=moment - timedelta(days=1)))
    result = verify(runner)
    assert result.exit_code != 0 and f"position {position}" in result.output


def test_rehashed_event_breaks_the_link_to_the_next(app, runner, history):
    """Recomputing the changed event's own hash does not help: the next event still points at the old one."""
    position = _middle(history)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == position))
        event.details = {"forged": True}
        event.hash = trail.event_digest(event.prev_hash, event)
        db.session.commit()
    result = verify(runner)
    assert result.exit_code != 0 and f"position {position + 1}" in result.output


def test_deleted_middle_event_is_a_gap(app, runner, history):
    position = _middle(history)
    sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=position)
    result = verify(runner)
    assert result.exit_code != 0
    assert "gap" in result.output and f"position {position}" in result.output


def test_deleted_last_event_is_detected(app, runner, history):
    sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=history)
    result = verify(runner)
    assert result.exit_code != 0 and f"position {history}" in result.output


def test_deleted_last_event_and_head_is_detected(app, runner, history):
    sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=history)
    sql(app, "DELETE FROM audit_head")
    result = verify(runner)
    assert result.exit_code != 0


def test_swapped_events_are_detected(app, runner, history):
    first, second = _middle(history), _middle(history) + 2
    sql(app, "UPDATE audit_events SET seq = -1 WHERE seq = :seq", seq=first)
    sql(app, "UPDATE audit_events SET seq = :new WHERE seq = :old", new=first, old=second)
    sql(app, "UPDATE audit_events SET seq = :new WHERE seq = -1", new=second)
    result = verify(runner)
    assert result.exit_code != 0 and f"position {first}" in result.output


def test_verification_walks_batches(app, history):
    with app.app_context():
        assert trail.verify(batch_size=3).ok
        assert trail.verify(batch_size=3).checked == history
    sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=7)
    with app.app_context():
        verdict = trail.verify(batch_size=3)
    assert not verdict.ok and verdict.checked == 6


@pytest.mark.parametrize("start", ["fresh database", "existing chain"])
def test_concurrent_appends_keep_the_chain(app, runner, start):
    threads, per_thread = 8, 5
    existing = 0
    if start == "existing chain":
        with app.app_context():
            trail.record("test.before")
            db.session.commit()
        existing = 1
    barrier = threading.Barrier(threads)
    failures = []

    def work(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                with app.app_context():
                    trail.record("test.concurrent", details={"thread": n, "i": i})
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 (reported below)
            failures.append(repr(error))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    with app.app_context():
        seqs = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        details = [json.dumps(d, sort_keys=True) for d in db.session.scalars(select(AuditEvent.details))]
    total = threads * per_thread + existing
    assert seqs == list(range(1, total + 1))
    assert len(set(details)) == total
    result = verify(runner)
    assert result.exit_code == 0 and f"{total} events verified" in result.output


def test_events_carry_time_actor_subject_action_object_and_ip(app, client, create_user):
    user = create_user()
    started = datetime.now(UTC)
    client.post("/login", data={"email": user.email, "password": user.password},
                environ_base={"REMOTE_ADDR": "198.51.100.7"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.signed_in"))
        assert event.occurred_at.tzinfo is not None and event.occurred_at.utcoffset() == timedelta(0)
        assert started - timedelta(seconds=1) <= event.occurred_at <= datetime.now(UTC) + timedelta(seconds=1)
        assert (event.actor_id, event.subject_id) == (user.id, user.id)
        assert (event.object_type, event.object_id) == ("user", str(user.id))
        assert event.ip == "198.51.100.7"
        assert re.fullmatch(r"[0-9a-f]{64}", event.hash) and re.fullmatch(r"[0-9a-f]{64}", event.prev_hash)


def test_event_outside_a_request_has_no_ip(app):
    with app.app_context():
        event = trail.record("test.system")
        db.session.commit()
        assert event.ip is None and event.actor_id is None


def test_no_secrets_anywhere_in_the_database(app, history, caplog, outbox):
    with app.app_context():
        password_hash = db.session.scalar(text("SELECT password_hash FROM users"))
        assert password_hash.startswith("$argon2")
        dump = []
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if not (table.name == "users" and c.name == "password_hash")]
            for row in db.session.execute(select(*columns)):
                dump.append(json.dumps([str(v) for v in row], ensure_ascii=False))
        details = [json.dumps(d, ensure_ascii=False) for d in db.session.scalars(select(AuditEvent.details))]
    tokens = [urlsplit(link_in(m)).path.rsplit("/", 1)[1] for m in outbox() if "/confirm/" in m.get_content()
              or "/reset/" in m.get_content()]
    secrets = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, password_hash, password_hash.rsplit("$", 1)[1], *tokens]
    everything = "\n".join(dump + details)
    assert len(dump) > history  # the dump really covers the tables
    for secret in secrets:
        assert secret not in everything
        assert secret not in caplog.text
    for mail in outbox():
        assert PASSWORD not in mail.as_string() and NEW_PASSWORD not in mail.as_string()


def test_failed_sign_in_attempt_does_not_record_the_typed_password(app, client, create_user):
    user = create_user()
    client.post("/login", data={"email": user.email, "password": WRONG_PASSWORD})
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.sign_in_failed"))
        assert WRONG_PASSWORD not in json.dumps(event.details)


def test_chain_starts_at_genesis_and_links_each_event(app):
    with app.app_context():
        first = trail.record("test.first")
        second = trail.record("test.second", details={"n": 2})
        db.session.commit()
        assert (first.seq, first.prev_hash) == (1, trail.GENESIS)
        assert (second.seq, second.prev_hash) == (2, first.hash)
        assert second.hash == trail.event_digest(first.hash, second)
        head = db.session.get(AuditHead, 1)
        assert (head.seq, head.hash) == (2, second.hash)
        assert db.session.scalar(select(func.count()).select_from(AuditHead)) == 1


def test_rolled_back_event_leaves_no_gap(app, runner):
    with app.app_context():
        trail.record("test.kept")
        db.session.commit()
        trail.record("test.rolled_back")
        db.session.rollback()
        trail.record("test.kept_too")
        db.session.commit()
        assert list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq))) == [1, 2]
    assert verify(runner).exit_code == 0
