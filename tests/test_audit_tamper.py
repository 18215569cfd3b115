"""A database writer cannot rewrite the trail unseen: each rewrite an attacker with raw access would try, and what
`flask audit verify` says about it (MAC keys in configuration, signed checkpoints outside the database)."""

import hashlib
import json
import logging

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from cabinet.audit import checkpoints, trail
from cabinet.audit.models import AuditEvent
from cabinet.extensions import db
from cabinet.scheduled import audit_checkpoint
from tests.helpers import sql, trail_rows, verify

#: checkpoints only where a test takes them, so each test knows which line is which
MANUAL = {"AUDIT_CHECKPOINT_EVERY_EVENTS": 0, "AUDIT_CHECKPOINT_EVERY_SECONDS": 0}


#: each tamper case is judged by one walk of the chain and again by stretches of two events over processes
#: (`audit verify` on a long trail), which must find the same thing at the same position
WALKS = {"one walk": {}, "stretches": {"AUDIT_VERIFY_STRETCH_EVENTS": 2}}


@pytest.fixture(params=list(WALKS))
def app_config(request, app_config):
    return {**app_config, **MANUAL, **WALKS[request.param]}


@pytest.fixture
def make_app(make_app):
    """Another app on the same database and checkpoints file, with some settings changed."""
    return lambda **settings: make_app(**{**MANUAL, **settings})


def checkpoint(runner):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result


def checkpoint_lines(app):
    with open(app.config["AUDIT_CHECKPOINT_FILE"], encoding="utf-8") as file:
        return file.read().splitlines()


def tampered_from(result, position):
    assert result.exit_code != 0, result.output
    assert f"TAMPERED WITH from position {position}:" in result.output, result.output
    return result.output


def rechain(app, events, start, digest):
    """Rewrite positions from start on as an attacker would: renumber, relink, recompute each hash and the head."""
    prev = events[start - 2]["hash"] if start > 1 else trail.GENESIS
    with app.app_context():
        for position, event in enumerate(events[start - 1:], start=start):
            event.update(seq=position, prev_hash=prev)
            event["hash"] = prev = digest(prev, event)
            db.session.execute(AuditEvent.__table__.update().where(AuditEvent.id == event["id"]).values(
                seq=event["seq"], prev_hash=event["prev_hash"], hash=event["hash"], key_id=event["key_id"],
                details=event["details"]))
        db.session.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": len(events), "hash": prev})
        db.session.commit()


def plain_sha256(prev, event):
    """What an attacker without the key can compute: the old, unkeyed digest."""
    canonical = trail.canonical_content(event["seq"], event["occurred_at"], event["actor_id"], event["subject_id"],
                                        event["action"], event["object_type"], event["object_id"], event["ip"],
                                        event["details"])
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


@pytest.fixture
def anchored(app, runner, history):
    """The history, then a checkpoint of its head, as the operator's periodic job leaves it."""
    checkpoint(runner)
    assert verify(runner).exit_code == 0
    return history


# --- the four rewrites of issue 13, and truncation --------------------------------------------------------------

def test_deleting_the_last_events_and_moving_the_head_back(app, runner, anchored):
    sql(app, "DELETE FROM audit_events WHERE seq > :seq", seq=anchored - 5)
    with app.app_context():
        last = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == anchored - 5))
    sql(app, "UPDATE audit_head SET seq = :seq, hash = :hash", seq=anchored - 5, hash=last)
    output = tampered_from(verify(runner), anchored - 4)
    assert f"anchors position {anchored}" in output


def test_emptying_events_and_head_is_truncation_of_everything(app, runner, anchored):
    sql(app, "DELETE FROM audit_events")
    sql(app, "DELETE FROM audit_head")
    output = tampered_from(verify(runner), 1)
    assert "the chain ends at position 0 but checkpoint 1" in output and "removed" in output


def test_editing_a_middle_event_and_recomputing_every_later_hash(app, runner, anchored):
    events, middle = trail_rows(app), anchored // 2
    events[middle - 1]["details"] = {"forged": True}
    rechain(app, events, middle, plain_sha256)
    assert "does not match its MAC" in tampered_from(verify(runner), middle)


def test_recomputing_as_legacy_unkeyed_events_is_refused(app, runner, anchored):
    """Passing the rewritten tail off as events from before the keys: legacy events only come first."""
    events, middle = trail_rows(app), anchored // 2
    events[middle - 1]["details"] = {"forged": True}
    for event in events[middle - 1:]:
        event["key_id"] = None
    rechain(app, events, middle, plain_sha256)
    assert "unkeyed (legacy) event after keyed ones" in tampered_from(verify(runner), middle)


def test_deleting_a_middle_event_renumbering_and_recomputing(app, runner, anchored):
    events, middle = trail_rows(app), anchored // 2
    sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=middle)
    del events[middle - 1]
    sql(app, "UPDATE audit_events SET seq = -seq WHERE seq > :seq", seq=middle)  # free the unique positions
    rechain(app, events, middle, plain_sha256)
    tampered_from(verify(runner), middle)


def test_even_with_the_mac_key_a_checkpointed_rewrite_shows(app, runner, anchored):
    """An insider holding AUDIT_KEYS recomputes valid MACs; the signed checkpoint still has the old head."""
    events, middle = trail_rows(app), anchored // 2
    events[middle - 1]["details"] = {"forged": True}
    with app.app_context():
        rechain(app, events, middle, lambda prev, event: trail.event_digest(prev, _namespace(event)))
    assert "differs from checkpoint 1" in tampered_from(verify(runner), anchored)


def _namespace(event):
    from types import SimpleNamespace

    return SimpleNamespace(**event)


# --- the checkpoints file ---------------------------------------------------------------------------------------

def two_checkpoints(app, runner):
    with app.app_context():
        trail.record("test.after_first_checkpoint")
        db.session.commit()
    checkpoint(runner)
    return checkpoint_lines(app)


def test_an_edited_checkpoint_line_is_reported(app, runner, anchored):
    lines = two_checkpoints(app, runner)
    forged = json.loads(lines[0])
    forged["seq"] -= 3
    lines[0] = json.dumps(forged, sort_keys=True, separators=(",", ":"))
    with open(app.config["AUDIT_CHECKPOINT_FILE"], "w") as file:
        file.write("\n".join(lines) + "\n")
    result = verify(runner)
    assert result.exit_code != 0
    assert "checkpoints TAMPERED WITH: checkpoint 1 (line 1): the signature does not match" in result.output
    assert f"claims position {anchored - 3}" in result.output


def test_a_checkpoint_dropped_from_the_middle_is_reported(app, runner, anchored):
    lines = two_checkpoints(app, runner)
    checkpoint(runner)
    lines = checkpoint_lines(app)
    assert len(lines) == 3
    with open(app.config["AUDIT_CHECKPOINT_FILE"], "w") as file:
        file.write("\n".join([lines[0], lines[2]]) + "\n")
    result = verify(runner)
    assert result.exit_code != 0 and "checkpoint 2 (line 2) does not follow the one before it" in result.output


def test_a_checkpoint_signed_by_an_unknown_key_is_reported(app, make_app, runner, anchored, tmp_path):
    """An attacker who forges the head and signs a new checkpoint with a key of their own."""
    foreign = tmp_path / "foreign.pem"
    foreign.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    attacker = make_app(AUDIT_SIGNING_KEY=str(foreign))
    with attacker.app_context():
        event = trail.record("test.forged")
        db.session.commit()
        checkpoints.append(event.seq, event.hash, event.key_id)  # the attacker's own line, linked correctly
    result = verify(runner)
    assert result.exit_code != 0 and "checkpoint 2 (line 2) is signed by an unknown key" in result.output


def test_a_rotated_signing_key_keeps_old_checkpoints_verifiable(app, make_app, runner, anchored, tmp_path):
    new_key = tmp_path / "new.pem"
    new_key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    old_public = tmp_path / "old-public.pem"
    old_public.write_text(runner.invoke(args=["audit", "public-key"]).output)
    rotated = make_app(AUDIT_SIGNING_KEY=str(new_key), AUDIT_VERIFY_KEYS=[str(old_public)])
    rotated_runner = rotated.test_cli_runner()
    with rotated.app_context():
        trail.record("test.after_rotation")
        db.session.commit()
    assert rotated_runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    result = rotated_runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "2 of 2 checkpoints matched" in result.output
    forgetful = make_app(AUDIT_SIGNING_KEY=str(new_key))  # the old public key left out of the configuration
    assert "signed by an unknown key" in forgetful.test_cli_runner().invoke(args=["audit", "verify"]).output


# --- MAC keys: rotation, a missing key, legacy events -------------------------------------------------------------

def test_key_rotation_old_events_verify_with_their_own_key(app, make_app, runner, anchored):
    old_key = app.config["AUDIT_KEYS"]["dev"]
    rotated = make_app(AUDIT_KEYS={"dev": old_key, "2026b": "n" * 40}, AUDIT_KEY_ID="2026b")
    with rotated.app_context():
        event = trail.record("test.after_rotation")
        db.session.commit()
        assert event.key_id == "2026b" and event.seq == anchored + 1
        key_ids = list(db.session.scalars(select(AuditEvent.key_id).order_by(AuditEvent.seq)))
    assert set(key_ids[:-1]) == {"dev"} and key_ids[-1] == "2026b"
    result = rotated.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and f"{anchored + 1} events verified" in result.output


def test_a_key_id_missing_from_the_configuration_fails_clearly(app, make_app, runner, anchored):
    without_dev = make_app(AUDIT_KEYS={"2026b": "n" * 40}, AUDIT_KEY_ID="2026b")
    output = tampered_from(without_dev.test_cli_runner().invoke(args=["audit", "verify"]), 1)
    assert "key id 'dev' is not in the configured AUDIT_KEYS" in output


def test_events_from_before_the_keys_still_verify(app, runner, history):
    """Events written before the migration have no key id and a plain SHA-256; keyed events follow them."""
    events = trail_rows(app)
    for event in events:
        event["key_id"] = None
    rechain(app, events, 1, plain_sha256)
    with app.app_context():
        trail.record("test.first_keyed")
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 0 and f"{history + 1} events verified" in result.output


def test_a_key_from_the_database_would_not_do(app):
    """The MAC keys come from configuration only: no table holds them."""
    with app.app_context():
        dump = json.dumps([[str(v) for v in row] for table in db.metadata.sorted_tables
                           for row in db.session.execute(select(table))])
    assert app.config["AUDIT_KEYS"]["dev"] not in dump


# --- automatic checkpoints, mail ---------------------------------------------------------------------------------

def test_a_commit_takes_a_checkpoint_when_the_last_is_old(app, make_app):
    every_three = make_app(AUDIT_CHECKPOINT_EVERY_EVENTS=3, AUDIT_CHECKPOINT_EVERY_SECONDS=0)
    with every_three.app_context():
        for n in range(7):
            trail.record("test.auto", details={"n": n})
            db.session.commit()
    anchored_positions = [json.loads(line)["seq"] for line in checkpoint_lines(app)]
    assert anchored_positions == [1, 4, 7]


def test_an_unwritable_checkpoint_file_fails_no_request(app, make_app, client, create_user, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    broken = make_app(AUDIT_CHECKPOINT_FILE=str(blocked / "checkpoints.jsonl"), AUDIT_CHECKPOINT_EVERY_EVENTS=1000,
                      AUDIT_CHECKPOINT_EVERY_SECONDS=300)
    user = create_user()
    with caplog.at_level(logging.ERROR, logger="cabinet.audit"):
        response = broken.test_client().post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    assert "could not write the audit checkpoint" in caplog.text
    with broken.app_context():
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)) == \
            "account.signed_in"


def test_checkpoint_is_mailed_to_the_auditor(app, make_app, history, outbox):
    mailing = make_app(AUDIT_MAIL_TO="auditor@example.kz", AUDIT_MAIL_LOCALE="ru")
    result = mailing.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    mail = outbox()[-1]
    assert mail["To"] == "auditor@example.kz" and mail["Content-Language"] == "ru"
    assert str(history) in mail["Subject"]
    assert checkpoint_lines(app)[-1] in mail.get_content()


def test_the_worker_takes_and_mails_a_checkpoint_each_hour_only_when_events_came(app, make_app, history, outbox):
    mailing = make_app(AUDIT_MAIL_TO="auditor@example.kz")
    with mailing.app_context():
        assert audit_checkpoint.call_local() == history
        assert audit_checkpoint.call_local() is None  # nothing new: no line, no mail
    assert [json.loads(line)["seq"] for line in checkpoint_lines(app)] == [history]
    (mail,) = [m for m in outbox() if m["To"] == "auditor@example.kz"]
    assert checkpoint_lines(app)[-1] in mail.get_content()


def test_the_worker_signs_no_checkpoint_over_a_tampered_trail(app, history, caplog):
    sql(app, "UPDATE audit_events SET action = 'account.nothing' WHERE seq = 2")
    with app.app_context(), caplog.at_level(logging.ERROR, logger="cabinet.scheduled"):
        assert audit_checkpoint.call_local() is None
    assert "TAMPERED WITH from position 2" in caplog.text
    with pytest.raises(FileNotFoundError):
        checkpoint_lines(app)


# --- the MAC itself ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [b"k" * 40, b"long" * 40])
def test_the_mac_is_standard_hmac_sha256(secret):
    """Verification builds HMAC from precomputed states for speed; it must be exactly RFC 2104's HMAC-SHA256."""
    import hmac

    from cabinet.audit.keys import MacKey

    message = "ünïcode and bytes".encode() * 20
    assert MacKey(secret).mac(message) == hmac.new(secret, message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("strings", [("a.b", None, None, None), ('quo"te\\', "ob\u0007ject", "é ✓", "::1")])
def test_keyed_fields_are_the_json_array_json_dumps_writes(strings):
    action, object_type, object_id, ip = strings
    built = trail.keyed_fields(7, "2026-01-31 09:05:00.000001", None, 12, action, object_type, object_id, ip, "k1")
    expected = [7, "2026-01-31 09:05:00.000001", None, 12, action, object_type, object_id, ip, "k1"]
    assert json.loads(built) == expected
    assert built == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
