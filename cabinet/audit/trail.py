"""Writing and verifying the audit chain: each event hashes its content and its predecessor's hash."""

import hashlib
import json
from dataclasses import dataclass

from flask import current_app, g, has_request_context, request
from sqlalchemy import select, update

from cabinet.audit import checkpoints  # noqa: F401 (its after-commit hook anchors the head now and then)
from cabinet.audit.keys import MissingKey, mac_base, mac_bases
from cabinet.audit.models import AuditEvent, AuditHead
from cabinet.database import utcnow
from cabinet.extensions import db

GENESIS = "0" * 64
#: one encoder made once: json.dumps with options builds a new encoder on every call
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def canonical_content(seq, at, actor, subject, action, object_type, object_id, ip, details, key_id=None) -> str:
    """Everything an event says, in one canonical JSON form (a keyed event names its key as well)."""
    content = {"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "subject": subject,
               "action": action, "object": [object_type, object_id], "ip": ip, "details": details or {}}
    if key_id is not None:
        content["key"] = key_id
    return _canonical(content)


def event_digest(prev_hash: str, event) -> str:
    """An event's MAC: HMAC-SHA256 under the key it names; an event without a key id is a legacy plain SHA-256."""
    key_id = getattr(event, "key_id", None)
    canonical = canonical_content(event.seq, event.occurred_at, event.actor_id, event.subject_id, event.action,
                                  event.object_type, event.object_id, event.ip, event.details, key_id)
    message = (prev_hash + canonical).encode()
    if key_id is None:
        return hashlib.sha256(message).hexdigest()
    mac = mac_base(key_id).copy()
    mac.update(message)
    return mac.hexdigest()


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _on_behalf(subject) -> dict:
    """While staff act for a subject, every event about that subject carries the act and its reason."""
    act = g.get("acting") if has_request_context() else None
    if act is None or getattr(subject, "id", subject) != act.subject_id:
        return {}
    return {"on_behalf": {"act": act.id, "reason": act.reason, "basis_document": act.basis_document_id}}


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


def _create_head() -> None:
    """The first events of a fresh database may race to create the head: one inserts, the others wait for it."""
    dialect = db.session.get_bind(mapper=AuditHead).dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy import insert
    statement = insert(AuditHead.__table__).values(id=1, seq=0, hash=GENESIS)
    if hasattr(statement, "on_conflict_do_nothing"):
        statement = statement.on_conflict_do_nothing(index_elements=["id"])
    db.session.execute(statement)


def record(action, *, actor=None, subject=None, obj=None, details=None) -> AuditEvent:
    """Append one event in the caller's transaction, so the change and its record commit together."""
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
        details={**(details or {}), **_on_behalf(subject)},
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


_COLUMNS = (AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_id, AuditEvent.subject_id, AuditEvent.action,
            AuditEvent.object_type, AuditEvent.object_id, AuditEvent.ip, AuditEvent.details, AuditEvent.prev_hash,
            AuditEvent.hash, AuditEvent.key_id)


def verify(batch_size: int = 5000, anchors: dict | None = None, after: tuple[int, str, str | None] | None = None
           ) -> Verdict:
    """Walk the chain in order (plain rows, streamed): contiguous positions, linked MACs, content matching its MAC
    under the key it names, legacy unkeyed events only before the first keyed one, and each anchor's MAC
    (position -> (mac, description), from the signed checkpoints) found at its position. With after (a position,
    its MAC and key id, e.g. the latest checkpoint's), only the events after that trusted point are walked."""
    anchors = anchors or {}
    bases = mac_bases()
    sha256 = hashlib.sha256
    start, prev_hash, key_id = after or (0, GENESIS, None)
    expected_seq, keyed_seen = start + 1, key_id is not None
    query = select(*_COLUMNS).where(AuditEvent.seq > start).order_by(AuditEvent.seq)
    rows = db.session.execute(query, execution_options={"yield_per": batch_size})
    for seq, at, actor, subject, action, object_type, object_id, ip, details, prev, mac, key_id in rows:
        checked = expected_seq - 1
        if seq != expected_seq:
            return _broken(rows, checked, f"gap: expected position {expected_seq}", expected_seq)
        if prev != prev_hash:
            return _broken(rows, checked, "broken link to the previous event", seq)
        message = (prev_hash + canonical_content(seq, at, actor, subject, action, object_type, object_id, ip,
                                                 details, key_id)).encode()
        if key_id is None:
            if keyed_seen:
                return _broken(rows, checked, "an unkeyed (legacy) event after keyed ones: rewritten", seq)
            if sha256(message).hexdigest() != mac:
                return _broken(rows, checked, "content does not match its hash", seq)
        else:
            keyed_seen = True
            base = bases.get(key_id)
            if base is None:
                return _broken(rows, checked, f"key id {key_id!r} is not in the configured AUDIT_KEYS", seq)
            computed = base.copy()
            computed.update(message)
            if computed.hexdigest() != mac:
                return _broken(rows, checked, "content does not match its MAC", seq)
        anchor = anchors.get(seq)
        if anchor is not None and anchor[0] != mac:
            return _broken(rows, checked, f"the event differs from {anchor[1]}: rewritten at or before it", seq)
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


def _broken(rows, checked: int, problem: str, seq: int) -> Verdict:
    rows.close()
    return Verdict(checked, problem, seq)


__all__ = ["GENESIS", "MissingKey", "Verdict", "event_digest", "record", "verify"]
