"""How fast `audit verify` walks a MAC-chained trail, and what the MAC adds to each trail.record.

    .venv/bin/python benchmarks/audit_verify.py [--events 1000000] [--database-url postgresql+psycopg://…/cabinet_bench_audit]

Without a URL the events go into a throw-away SQLite file. The events are made here, MAC'd exactly as
trail.record does, and bulk-inserted on the raw connection (COPY on PostgreSQL, executemany on SQLite; no services:
only the chain is measured); then trail.verify is timed in one process and in stretches over every core (what
`flask audit verify` does), interleaved, --rounds times each; medians and the load average are printed.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared import make_app, recreate_database, upgrade_schema  # noqa: E402

ACTIONS = ("account.signed_in", "profile.phone_changed", "consent.grant", "document.downloaded")
COLUMNS = ("seq", "occurred_at", "actor_id", "subject_id", "action", "object_type", "object_id", "ip", "details",
           "prev_hash", "hash", "key_id")


def chained_rows(key_id: str, secret: str, count: int):
    """count events after the genesis as plain tuples (COLUMNS), MAC'd as trail.record does."""
    from cabinet.audit.canonical import keyed_fields
    from cabinet.audit.keys import MacKey
    from cabinet.audit.trail import GENESIS

    mac, prev, start = MacKey(secret.encode()).mac, GENESIS, datetime(2026, 1, 1)
    for seq in range(1, count + 1):
        at = (start + timedelta(seconds=seq)).isoformat(" ", "microseconds")
        action, object_id = ACTIONS[seq % len(ACTIONS)], str(seq % 1000)
        details = json.dumps({"reason": "benchmark", "n": seq % 7})
        fields = keyed_fields(seq, at, None, None, action, "user", object_id, "198.51.100.7", key_id)
        digest = mac((prev + fields + details).encode())
        yield seq, at, None, None, action, "user", object_id, "198.51.100.7", details, prev, digest, key_id
        prev = digest


def generate(app, count: int) -> None:
    """count events in bulk on the raw connection: COPY on PostgreSQL, executemany on SQLite; then the head."""
    from cabinet.extensions import db

    key_id = app.config["AUDIT_KEY_ID"]
    rows = chained_rows(key_id, app.config["AUDIT_KEYS"][key_id], count)
    names, postgres = ", ".join(COLUMNS), db.engine.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if postgres:
            with cursor.copy(f"COPY audit_events ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.execute("BEGIN")  # the app's SQLite connections leave transactions to the caller
            cursor.executemany(f"INSERT INTO audit_events ({names}) VALUES ({', '.join([mark] * len(COLUMNS))})",
                               rows)
        cursor.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        last = cursor.fetchone()
        cursor.execute("DELETE FROM audit_head")
        cursor.execute(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, {mark}, {mark})", tuple(last))
        raw.commit()
    finally:
        raw.close()


def time_verify(app, processes: int) -> tuple[float, int]:
    from cabinet.audit.trail import verify
    from cabinet.extensions import db

    started = time.perf_counter()
    verdict = verify(processes=processes)
    seconds = time.perf_counter() - started
    db.session.remove()
    if not verdict.ok:
        raise SystemExit(f"the generated chain does not verify: {verdict}")
    return seconds, verdict.checked


def record_cost(app, rounds: int = 2000) -> dict:
    """Median microseconds of one event's digest, keyed (HMAC) and legacy (plain SHA-256), and of a whole record."""
    from cabinet.audit import trail
    from cabinet.extensions import db

    event = SimpleNamespace(seq=123_456, occurred_at=datetime.now(UTC), actor_id=42, subject_id=42,
                            action="profile.phone_changed", object_type="user", object_id="42", ip="198.51.100.7",
                            details={"field": "phone", "on_behalf": {"act": 3, "reason": "call"}},
                            key_id=app.config["AUDIT_KEY_ID"])
    legacy = SimpleNamespace(**{**vars(event), "key_id": None})

    def median_us(work, repeat=rounds):
        samples = []
        for _ in range(repeat):
            started = time.perf_counter_ns()
            work()
            samples.append(time.perf_counter_ns() - started)
        return statistics.median(samples) / 1000

    prev = "a" * 64
    figures = {"digest, HMAC-SHA256 (now)": median_us(lambda: trail.event_digest(prev, event)),
               "digest, plain SHA-256 (before)": median_us(lambda: trail.event_digest(prev, legacy))}

    def one_record():
        trail.record("bench.record", details={"field": "phone"})
        db.session.flush()

    figures["trail.record + flush (keyed)"] = median_us(one_record, 500)
    db.session.rollback()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as folder:
        url = args.database_url or f"sqlite:///{folder}/audit.sqlite"
        recreate_database(url)
        app = make_app(url, Path(folder), AUDIT_KEYS={"bench": "b" * 40}, AUDIT_KEY_ID="bench",
                       AUDIT_CHECKPOINT_EVERY_EVENTS=0, AUDIT_CHECKPOINT_EVERY_SECONDS=0)
        upgrade_schema(app)
        with app.app_context():
            started = time.perf_counter()
            generate(app, args.events)
            print(f"generated {args.events:,} events in {time.perf_counter() - started:.1f} s")
            cores, rates = os.cpu_count() or 1, {}
            for round_ in range(1, args.rounds + 1):
                for processes in (1, cores):
                    seconds, checked = time_verify(app, processes)
                    rates.setdefault(processes, []).append(checked / seconds)
                    print(f"round {round_}, {processes} process(es): {checked:,} events in {seconds:.2f} s = "
                          f"{checked / seconds:,.0f} events/s (load {os.getloadavg()[0]:.2f})")
            for processes, found in rates.items():
                print(f"median, {processes} process(es): {statistics.median(found):,.0f} events/s")
            for name, micros in record_cost(app).items():
                print(f"{name}: {micros:.1f} µs (median)")
            from cabinet.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
