"""Writing and verifying the audit chain: each event hashes its content and its predecessor's hash."""

import hashlib
import json
from dataclasses import dataclass

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cabinet.audit import checkpoints  # noqa: F401 (its after-commit hook anchors the head now and then)
from cabinet.audit.actor import Actor
from cabinet.audit.canonical import canonical_content, keyed_fields, stored_time
from cabinet.audit.keys import MissingKey, mac_base, mac_bases
from cabinet.audit.models import AuditEvent, AuditHead
from cabinet.audit.stretches import BATCH, walk_here, walk_parallel
from cabinet.audit.who import context_details
from cabinet.database import utcnow
from cabinet.extensions import db

GENESIS = "0" * 64
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
    """While staff act for a subject, every event about that subject carries the act, its reason and basis (only an
    Actor names an acting session); inside a command-line job, every event names the job and who ran it."""
    return context_details(subject, actor if isinstance(actor, Actor) else None)


#: the head row, written through its table on the session's connection: plain statements built once, no ORM
#: bookkeeping and no flush of what the session holds (the events themselves go in with its next flush)
HEAD = AuditHead.__table__
#: the chain's write lock and the new position in one statement: the bump returns the new position and previous MAC
BUMP = update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq + 1).returning(HEAD.c.seq, HEAD.c.hash)
#: the head moved on to the event just appended
MOVE = update(HEAD).where(HEAD.c.id == 1).values(hash=bindparam("mac"))


def _advance_head() -> tuple[int, str]:
    """Take the chain's write lock (the head row) and return the new position and previous hash."""
    connection = db.session.connection()
    head = connection.execute(BUMP).one_or_none()
    if head is None:
        _create_head()
        head = connection.execute(BUMP).one()
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
    Actor (cabinet.audit.actor), or a user or id where no acting session can apply (signing in, jobs, set-up)."""
    if any(getattr(named, "id", 0) is None for named in (actor, subject, obj)):
        db.session.flush()  # a row added but not yet written gets its id, which the event names
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
    db.session.connection().execute(MOVE, {"mac": event.hash})
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
    #: the kind of break (cabinet.audit.stretches.REASONS), None when intact
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(batch_size: int = BATCH, anchors: dict | None = None, after: tuple[int, str, str | None] | None = None,
           processes: int = 1) -> Verdict:
    """Walk the chain in order (plain rows, streamed): contiguous positions, linked MACs, content matching its MAC
    under the key it names, legacy unkeyed events only before the first keyed one, and each anchor's MAC
    (position -> (mac, description), from the signed checkpoints) found at its position. With after (a position,
    its MAC and key id, e.g. the latest checkpoint's), only the events after that trusted point are walked.
    With processes > 1 a long chain is walked in stretches (AUDIT_VERIFY_STRETCH_EVENTS each at least) by that
    many forked processes, joined in order: the same verdict, the same first break."""
    anchors = anchors or {}
    start, prev_hash, key_id = after or (0, GENESIS, None)
    db.session.flush()  # events this transaction appended are read with the head they moved
    connection = db.session.connection()
    table = AuditEvent.__table__
    # the end and the head read in one statement: one snapshot, however many events are appended meanwhile
    last = select(func.max(table.c.seq)).scalar_subquery()
    head = connection.execute(select(last, AuditHead.seq, AuditHead.hash).select_from(AuditHead)
                              .where(AuditHead.id == 1)).one_or_none()
    end = head[0] if head is not None else connection.execute(select(last)).scalar()
    stretch = current_app.config["AUDIT_VERIFY_STRETCH_EVENTS"]
    parts = min(2 * processes, ((end or 0) - start) // stretch) if processes > 1 else 1
    if parts >= 2:
        secrets = {str(k): str(v).encode() for k, v in current_app.config["AUDIT_KEYS"].items()}
        url = db.engine.url.render_as_string(hide_password=False)
        found = walk_parallel(url, secrets, (start, end, batch_size), prev_hash, key_id is not None, anchors, parts,
                              processes)
    else:
        found = walk_here(connection, (start, end, batch_size), prev_hash, key_id is not None, mac_bases(), anchors)
    checked, prev_hash, key_id = found.last or (start, prev_hash, key_id)
    if found.problem is not None:
        checked, problem, seq, reason = found.problem
        return Verdict(checked, problem, seq, reason=reason)
    beyond = [seq for seq in anchors if seq > checked]
    if beyond:
        last_anchor = max(beyond)
        return Verdict(checked, f"the chain ends at position {checked} but {anchors[last_anchor][1]} anchors "
                                f"position {last_anchor}: events removed from the end", checked + 1, reason="truncated")
    if head is None and checked:
        return Verdict(checked, "the chain head is missing: events at the end may have been removed", checked + 1,
                       reason="truncated")
    if head is not None and (head[1] != checked or head[2] != prev_hash):
        return Verdict(checked, "events missing at the end of the chain", checked + 1, reason="truncated")
    return Verdict(checked, head=(checked, prev_hash, key_id if checked else None),
                   anchored=sum(1 for seq in anchors if seq <= checked))


__all__ = ["GENESIS", "MissingKey", "Verdict", "event_digest", "record", "verify"]
