"""The chain walked in stretches of positions, each in its own process, and joined where they meet.

A stretch checks everything inside it (positions, links, MACs, anchors); only its first event's link to the stretch
before it, and the rule that no legacy event follows a keyed one, depend on what came before, and the join checks
those, in order, so the first break reported is the one a single walk would report.
"""

import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text, cast, create_engine, select, type_coerce
from sqlalchemy.pool import NullPool

from cabinet.audit.canonical import canonical_content, keyed_fields
from cabinet.audit.keys import MacKey
from cabinet.audit.models import AuditEvent

#: rows fetched per round trip from the database while streaming
BATCH = 5000

#: the kinds of break a walk reports (besides its words): what pages and mail say without parsing those words
REASONS = ("changed", "missing", "link", "rewritten", "truncated", "key")


@dataclass
class Walked:
    """What a stretch found: the link its first event names, its last good event, and its first break."""

    first_link: str | None = None  # prev_hash of its first event (None: no event in it)
    last: tuple[int, str, str | None] | None = None  # (position, MAC, key id) of its last event checked
    keyed: bool = False  # a keyed event checked in it
    first_legacy: int | None = None  # position of its first unkeyed event, if it reached one
    #: (events checked before, what in the verifier's words, position, the kind of break: REASONS)
    problem: tuple[int, str, int, str] | None = None


def columns(table, dialect: str) -> tuple:
    """Plain values, no type processing: the time as stored (SQLite keeps text; others a naive datetime) and the
    details' stored JSON text."""
    c = table.c
    at = type_coerce(c.occurred_at, String() if dialect == "sqlite" else DateTime())
    return (c.seq, at, c.actor_id, c.subject_id, c.action, c.object_type, c.object_id, c.ip, cast(c.details, Text),
            c.prev_hash, c.hash, c.key_id)


def walk(rows, expected: int, prev_hash: str | None, keyed_seen: bool, bases: dict, anchors: dict,
         text_times: bool) -> Walked:
    """Check rows in order from position expected; with prev_hash None the first event's link is taken as given
    (the join checks it)."""
    found = Walked()
    for seq, at, actor, subject, action, object_type, object_id, ip, details, prev, mac, key_id in rows:
        if found.first_link is None:
            found.first_link = prev
            prev_hash = prev if prev_hash is None else prev_hash
        if seq != expected:
            found.problem = (expected - 1, f"gap: expected position {expected}", expected, "missing")
            return found
        if prev != prev_hash:
            found.problem = (expected - 1, "broken link to the previous event", seq, "link")
            return found
        if key_id is not None:
            base = bases.get(key_id)
            if base is None:
                found.problem = (expected - 1, f"key id {key_id!r} is not in the configured AUDIT_KEYS", seq, "key")
                return found
            if not text_times:
                at = at.isoformat(" ", "microseconds")
            fields = keyed_fields(seq, at, actor, subject, action, object_type, object_id, ip, key_id)
            if base.mac((prev_hash + fields + details).encode()) != mac:
                found.problem = (expected - 1, "content does not match its MAC", seq, "changed")
                return found
            keyed_seen = found.keyed = True
        else:
            if found.first_legacy is None:
                found.first_legacy = seq
            if keyed_seen:
                found.problem = (expected - 1, "an unkeyed (legacy) event after keyed ones: rewritten", seq,
                                 "rewritten")
                return found
            when = datetime.fromisoformat(at) if isinstance(at, str) else at
            canonical = canonical_content(seq, when.replace(tzinfo=UTC), actor, subject, action, object_type,
                                          object_id, ip, json.loads(details) if details else {})
            if hashlib.sha256((prev_hash + canonical).encode()).hexdigest() != mac:
                found.problem = (expected - 1, "content does not match its hash", seq, "changed")
                return found
        if seq in anchors and anchors[seq][0] != mac:
            found.problem = (expected - 1, f"the event differs from {anchors[seq][1]}: rewritten at or before it",
                             seq, "rewritten")
            return found
        found.last = (seq, mac, key_id)
        prev_hash, expected = mac, expected + 1
    return found


def stream(connection, table, low: int, high: int | None, batch_size: int = BATCH):
    """The events after position low up to high (None: to the end), in order, as the driver's own tuples batch by
    batch (no result rows built per event); a server-side cursor on PostgreSQL."""
    query = select(*columns(table, connection.dialect.name)).where(table.c.seq > low).order_by(table.c.seq)
    if high is not None:
        query = query.where(table.c.seq <= high)
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="audit_walk") if postgres else driver.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(batch_size):
            yield from batch
    finally:
        cursor.close()


def _walk_stretch(job: tuple) -> Walked:
    """In a worker process: one stretch, on its own connection, the first event's link and keyed state unknown."""
    url, secrets, low, high, batch_size, anchors = job
    bases = {key_id: MacKey(secret) for key_id, secret in secrets.items()}
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            text_times = connection.dialect.name == "sqlite"
            return walk(stream(connection, AuditEvent.__table__, low, high, batch_size), low + 1, None, False, bases,
                        anchors, text_times)
    finally:
        engine.dispose()


def bounds(start: int, end: int, parts: int) -> list[tuple[int, int]]:
    """(low, high] position bounds of parts nearly equal stretches covering start < seq <= end."""
    size, extra = divmod(end - start, parts)
    found, low = [], start
    for i in range(parts):
        high = low + size + (i < extra)
        found.append((low, high))
        low = high
    return found


def walk_here(connection, span: tuple[int, int | None, int], prev_hash: str, keyed_seen: bool, bases: dict,
              anchors: dict) -> Walked:
    """Walk span = (start, end, batch size), start < seq <= end, in this process, on the session's connection."""
    start, end, batch_size = span
    if end is None or end <= start:
        return Walked()
    rows = stream(connection, AuditEvent.__table__, start, end, batch_size)
    try:
        return walk(rows, start + 1, prev_hash, keyed_seen, bases, anchors, connection.dialect.name == "sqlite")
    finally:
        rows.close()


def walk_parallel(url: str, secrets: dict[str, bytes], span: tuple[int, int, int], prev_hash: str, keyed_seen: bool,
                  anchors: dict, parts: int, processes: int) -> Walked:
    """Walk span = (start, end, batch size) in stretches over forked processes and join them in order: the first
    break, or none and the last event checked."""
    start, end, batch_size = span
    stretches = bounds(start, end, parts)
    jobs = [(url, secrets, low, high, batch_size, {s: a for s, a in anchors.items() if low < s <= high})
            for low, high in stretches]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        walked = list(pool.map(_walk_stretch, jobs))
    last = None
    for (low, high), found in zip(stretches, walked, strict=True):
        problem = _joined(found, low, prev_hash, keyed_seen)
        if problem is not None:
            return Walked(problem=problem)
        last = found.last
        if last[0] != high:  # its end is missing, and a later position exists: the walk would find a gap
            return Walked(problem=(last[0], f"gap: expected position {last[0] + 1}", last[0] + 1, "missing"))
        prev_hash, keyed_seen = last[1], keyed_seen or found.keyed
    return Walked(last=last)


def _joined(found: Walked, low: int, prev_hash: str, keyed_seen: bool) -> tuple[int, str, int, str] | None:
    """The first break in a stretch given what came before it, as a single walk would have found it."""
    if found.first_link is None:  # nothing in it, yet a later position exists: the walk would find a gap
        return low, f"gap: expected position {low + 1}", low + 1, "missing"
    gap_at_first = found.problem is not None and found.problem[0] == low and found.problem[3] == "missing"
    if gap_at_first:
        return found.problem
    if found.first_link != prev_hash:
        return low, "broken link to the previous event", low + 1, "link"
    if keyed_seen and found.first_legacy is not None:
        return (found.first_legacy - 1, "an unkeyed (legacy) event after keyed ones: rewritten", found.first_legacy,
                "rewritten")
    return found.problem
