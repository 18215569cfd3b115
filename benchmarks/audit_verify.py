"""How fast `audit verify` walks a MAC-chained trail, and what the MAC adds to each trail.record.

    .venv/bin/python benchmarks/audit_verify.py [--events 1000000] [--database-url postgresql+psycopg://…/cabinet_bench_audit]

Without a URL the events go into a throw-away SQLite file. The events are made here, MAC'd exactly as
trail.record does, and bulk-inserted (no services: only the chain is measured); then trail.verify is timed.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared import make_app, recreate_database  # noqa: E402

ACTIONS = ("account.signed_in", "profile.phone_changed", "consent.grant", "document.downloaded")
BATCH = 20_000


def generate(app, count: int) -> None:
    """count events after the head, chained with the current key, inserted in batches."""
    from sqlalchemy import insert, update

    from cabinet.audit.models import AuditEvent, AuditHead
    from cabinet.audit.trail import GENESIS, event_digest
    from cabinet.extensions import db

    key_id, prev, start = app.config["AUDIT_KEY_ID"], GENESIS, datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for seq in range(1, count + 1):
        event = SimpleNamespace(
            seq=seq, occurred_at=start + timedelta(seconds=seq), actor_id=None, subject_id=None,
            action=ACTIONS[seq % len(ACTIONS)], object_type="user", object_id=str(seq % 1000),
            ip="198.51.100.7", details={"reason": "benchmark", "n": seq % 7}, prev_hash=prev, key_id=key_id)
        event.hash = prev = event_digest(prev, event)
        rows.append(vars(event))
        if len(rows) == BATCH:
            db.session.execute(insert(AuditEvent), rows)
            rows = []
    if rows:
        db.session.execute(insert(AuditEvent), rows)
    db.session.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS))
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=count, hash=prev))
    db.session.commit()


def time_verify(app) -> tuple[float, int]:
    from cabinet.audit.trail import verify
    from cabinet.extensions import db

    started = time.perf_counter()
    verdict = verify()
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as folder:
        url = args.database_url or f"sqlite:///{folder}/audit.sqlite"
        recreate_database(url)
        app = make_app(url, Path(folder), AUDIT_KEYS={"bench": "b" * 40}, AUDIT_KEY_ID="bench",
                       AUDIT_CHECKPOINT_EVERY_EVENTS=0, AUDIT_CHECKPOINT_EVERY_SECONDS=0)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            started = time.perf_counter()
            generate(app, args.events)
            print(f"generated {args.events:,} events in {time.perf_counter() - started:.1f} s")
            for round_ in (1, 2):
                seconds, checked = time_verify(app)
                rate = checked / seconds
                print(f"verify round {round_}: {checked:,} events in {seconds:.2f} s = {rate:,.0f} events/s")
            for name, micros in record_cost(app).items():
                print(f"{name}: {micros:.1f} µs (median)")
            from cabinet.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
