"""Writing and verifying the audit chain: each event hashes its content and its predecessor's hash."""

import hashlib
import json
from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import select, update

from cabinet.audit.models import AuditEvent, AuditHead
from cabinet.database import utcnow
from cabinet.extensions import db

GENESIS = "0" * 64


def event_digest(prev_hash: str, event: AuditEvent) -> str:
    """The hash of one event, over a canonical JSON form of everything it says."""
    content = {
        "seq": event.seq,
        "at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "subject": event.subject_id,
        "action": event.action,
        "object": [event.object_type, event.object_id],
        "ip": event.ip,
        "details": event.details or {},
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _on_behalf(subject) -> dict:
    """While staff act for a subject, every event about that subject carries the act, its reason and basis;
    inside a command-line job, every event names the job and who ran it (cabinet.audit.who)."""
    from cabinet.audit.who import context_details

    return context_details(subject)


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
    )
    event.hash = event_digest(prev_hash, event)
    db.session.add(event)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=event.hash))
    return event


@dataclass
class Verdict:
    """The result of walking the chain: how many events were checked and the first break, if any."""

    checked: int
    problem: str | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(batch_size: int = 5000) -> Verdict:
    """Walk the chain in order: contiguous positions, linked hashes, content matching its hash."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return Verdict(checked, f"gap: expected position {expected_seq}", event.seq)
            if event.prev_hash != prev_hash:
                return Verdict(checked, "broken link to the previous event", event.seq)
            if event_digest(prev_hash, event) != event.hash:
                return Verdict(checked, "content does not match its hash", event.seq)
            prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is None and checked:
        return Verdict(checked, "the chain head is missing: events at the end may have been removed", checked + 1)
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return Verdict(checked, "events missing at the end of the chain", checked + 1)
    return Verdict(checked)
