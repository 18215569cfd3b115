"""Writing and verifying the audit chain: each event hashes its content and its predecessor's hash."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, String, Text, cast, insert, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite

from cabinet.audit import checkpoints  # noqa: F401 (its after-commit hook anchors the head now and then)
from cabinet.audit.keys import MissingKey, mac_base, mac_bases
from cabinet.audit.models import AuditEvent, AuditHead
from cabinet.audit.who import context_details
from cabinet.database import utcnow
from cabinet.extensions import db

GENESIS = "0" * 64
#: encoders made once: json.dumps with options builds a new encoder on every call
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
#: a JSON string literal, as json.dumps(ensure_ascii=False) writes it
_string = json.encoder.encode_basestring


def canonical_content(seq, at, actor, subject, action, object_type, object_id, ip, details) -> str:
    """A legacy (unkeyed) event's canonical JSON form, as events were hashed before the MAC."""
    return _canonical({"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "subject": subject,
                       "action": action, "object": [object_type, object_id], "ip": ip, "details": details or {}})


def keyed_fields(seq, at, actor, subject, action, object_type, object_id, ip, key_id) -> str:
    """A keyed event's fields as a JSON array, what json.dumps would write but built directly (verify's hot path);
    at is the naive UTC time as SQLite stores it: "2026-01-31 09:05:00.000001"."""
    s = _string
    return (f'[{seq},"{at}",{"null" if actor is None else actor},{"null" if subject is None else subject},{s(action)},'
            f'{"null" if object_type is None else s(object_type)},{"null" if object_id is None else s(object_id)},'
            f'{"null" if ip is None else s(ip)},{s(key_id)}]')


def stored_time(moment) -> str:
    """An aware time as the chain writes it: naive UTC, space-separated, with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def event_digest(prev_hash: str, event) -> str:
    """An event's MAC: HMAC-SHA256 under the key it names; an event without a key id is a legacy plain SHA-256."""
    key_id = getattr(event, "key_id", None)
    if key_id is None:
        canonical = canonical_content(event.seq, event.occurred_at, event.actor_id, event.subject_id, event.action,
                                      event.object_type, event.object_id, event.ip, event.details)
        return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
    fields = keyed_fields(event.seq, stored_time(event.occurred_at), event.actor_id,
                          event.subject_id, event.action, event.object_type, event.object_id, event.ip, key_id)
    # the details as the database will hold them: SQLAlchemy's JSON type writes json.dumps(value)
    return mac_base(key_id).mac((prev_hash + fields + json.dumps(event.details)).encode())


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _on_behalf(subject, actor) -> dict:
    """While staff act for a subject, every event about that subject carries the act, its reason and basis (the
    Actor's, when one is passed); inside a command-line job, every event names the job and who ran it."""
    return context_details(subject, actor)


def _advance_head() -> tuple[int, str]:
    """Take the chain's write lock (the head row) and return the new position and previous hash."""
    bump = update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    if not db.session.execute(bump).rowcount:
        _create_head()
        db.session.execute(bump)
    head = db.session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    ).one()
    return head.seq, head.hash


#: the inserts that can skip a row already there, by database
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _create_head() -> None:
    """The first events of a fresh database may race to create the head: one inserts, the others wait for it."""
    dialect = db.session.get_bind(mapper=AuditHead).dialect.name
    statement = INSERTS.get(dialect, insert)(AuditHead.__table__).values(id=1, seq=0, hash=GENESIS)
    if hasattr(statement, "on_conflict_do_nothing"):
        statement = statement.on_conflict_do_nothing(index_elements=["id"])
    db.session.execute(statement)


def record(action, *, actor=None, subject=None, obj=None, details=None) -> AuditEvent:
    """Append one event in the caller's transaction, so the change and its record commit together; actor is an
    Actor (cabinet.audit.actor), or a user or id for callers not yet passing one."""
    seq, prev_hash = _advance_head()
    event = AuditEvent(
        seq=seq,
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", actor),
        subject_id=getattr(subject, "id", subject),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else None,
        object_id=str(obj.id) if obj is not None else None,
        ip=_client_ip(),
        details={**(details or {}), **_on_behalf(subject, actor)},
        prev_hash=prev_hash,
        key_id=current_app.config["AUDIT_KEY_ID"],
    )
    event.hash = event_digest(prev_hash, event)
    db.session.add(event)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=event.hash))
    db.session.info["audit_last"] = (event.seq, event.hash, event.key_id)  # for the checkpoint after the commit
    return event


@dataclass
class Verdict:
    """The result of walking the chain: how many events were checked and the first break, if any."""

    checked: int
    problem: str | None = None
    seq: int | None = None
    #: the last event's position and MAC, what a checkpoint anchors
    head: tuple[int, str, str | None] = (0, GENESIS, None)
    anchored: int = 0
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _columns(dialect: str) -> tuple:
    """Plain values, no type processing: the time as stored (SQLite keeps text; others a naive datetime) and the
    details' stored JSON text."""
    at = type_coerce(AuditEvent.occurred_at, String() if dialect == "sqlite" else DateTime())
    return (AuditEvent.seq, at, AuditEvent.actor_id, AuditEvent.subject_id, AuditEvent.action, AuditEvent.object_type,
            AuditEvent.object_id, AuditEvent.ip, cast(AuditEvent.details, Text), AuditEvent.prev_hash, AuditEvent.hash,
            AuditEvent.key_id)


def verify(batch_size: int = 5000, anchors: dict | None = None, after: tuple[int, str, str | None] | None = None
           ) -> Verdict:
    """Walk the chain in order (plain rows, streamed): contiguous positions, linked MACs, content matching its MAC
    under the key it names, legacy unkeyed events only before the first keyed one, and each anchor's MAC
    (position -> (mac, description), from the signed checkpoints) found at its position. With after (a position,
    its MAC and key id, e.g. the latest checkpoint's), only the events after that trusted point are walked."""
    anchors = anchors or {}
    bases = mac_bases()
    start, prev_hash, key_id = after or (0, GENESIS, None)
    expected_seq, keyed_seen = start + 1, key_id is not None
    connection = db.session.connection()
    text_times = connection.dialect.name == "sqlite"
    query = select(*_columns(connection.dialect.name)).where(AuditEvent.seq > start).order_by(AuditEvent.seq)
    rows = connection.execute(query, execution_options={"yield_per": batch_size})
    for seq, at, actor, subject, action, object_type, object_id, ip, details, prev, mac, key_id in _plain(rows):
        if seq != expected_seq:
            return _broken(rows, expected_seq - 1, f"gap: expected position {expected_seq}", expected_seq)
        if prev != prev_hash:
            return _broken(rows, expected_seq - 1, "broken link to the previous event", seq)
        if key_id is not None:
            base = bases.get(key_id)
            if base is None:
                return _broken(rows, expected_seq - 1, f"key id {key_id!r} is not in the configured AUDIT_KEYS", seq)
            if not text_times:
                at = at.isoformat(" ", "microseconds")
            fields = keyed_fields(seq, at, actor, subject, action, object_type, object_id, ip, key_id)
            if base.mac((prev_hash + fields + details).encode()) != mac:
                return _broken(rows, expected_seq - 1, "content does not match its MAC", seq)
            keyed_seen = True
        else:
            problem = _legacy_problem(keyed_seen, prev_hash, mac, seq, at, actor, subject, action, object_type,
                                      object_id, ip, details)
            if problem:
                return _broken(rows, expected_seq - 1, problem, seq)
        if seq in anchors and anchors[seq][0] != mac:
            return _broken(rows, expected_seq - 1, f"the event differs from {anchors[seq][1]}: rewritten at or "
                                                   "before it", seq)
        prev_hash, expected_seq = mac, expected_seq + 1
    checked = expected_seq - 1
    beyond = [seq for seq in anchors if seq > checked]
    if beyond:
        last = max(beyond)
        return Verdict(checked, f"the chain ends at position {checked} but {anchors[last][1]} anchors position "
                                f"{last}: events removed from the end", checked + 1)
    head = db.session.get(AuditHead, 1)
    if head is None and checked:
        return Verdict(checked, "the chain head is missing: events at the end may have been removed", checked + 1)
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return Verdict(checked, "events missing at the end of the chain", checked + 1)
    return Verdict(checked, head=(checked, prev_hash, key_id if checked else None),
                   anchored=sum(1 for seq in anchors if seq <= checked))


def _plain(rows):
    """The rows batch by batch: less work per row than the result's own iteration."""
    for batch in rows.partitions():
        yield from batch


def _legacy_problem(keyed_seen, prev_hash, mac, seq, at, actor, subject, action, object_type, object_id, ip,
                    details) -> str | None:
    """An event from before the MAC: only before every keyed event, and its plain SHA-256 must match."""
    if keyed_seen:
        return "an unkeyed (legacy) event after keyed ones: rewritten"
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    canonical = canonical_content(seq, at.replace(tzinfo=UTC), actor, subject, action, object_type, object_id, ip,
                                  json.loads(details) if details else {})
    if hashlib.sha256((prev_hash + canonical).encode()).hexdigest() != mac:
        return "content does not match its hash"
    return None


def _broken(rows, checked: int, problem: str, seq: int) -> Verdict:
    rows.close()
    return Verdict(checked, problem, seq)


__all__ = ["GENESIS", "MissingKey", "Verdict", "event_digest", "record", "verify"]
