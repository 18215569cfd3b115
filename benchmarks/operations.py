"""Single operations timed in-process on the full database: filing, its PDF, a due date, a consent, verify, sign-in.

    .venv/bin/python benchmarks/operations.py [--engines sqlite,postgresql] [--repeat 20] [sizes as throughput.py]

Each is the median of N runs (time.perf_counter) through the services the pages call, committed where the
page commits. Filing and consent changes go to a subject of their own (OPERATIONS_SUBJECT, registered on first use),
never to the subject whose pages throughput.py measures: that one stays the same on the empty and the full database,
so "full ÷ empty" compares the same subject. `audit verify` walks the whole chain once.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import generate, throughput  # noqa: E402
from benchmarks.shared import PASSWORD, app_config, new_subject, scan  # noqa: E402

#: whom the timed filings and consent changes belong to
OPERATIONS_SUBJECT = "bench-operations@example.kz"


def median_ms(action, repeat: int) -> float:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(url: str, repeat: int) -> list[list[str]]:
    """Rows of (operation, median, what was done) for the database at the URL."""
    from cabinet import security
    from cabinet.accounts import operations as account_operations
    from cabinet.accounts.models import User
    from cabinet.app import create_app
    from cabinet.audit import trail
    from cabinet.audit.actor import Actor
    from cabinet.complaints import numbering, pdf, versions
    from cabinet.complaints import operations as complaint_operations
    from cabinet.consents import service as consents
    from cabinet.database import utcnow
    from cabinet.extensions import db

    app = create_app(app_config(url, generate.folder_for(url)))
    rows = []
    with app.test_request_context("/", method="POST"):
        subject = operations_subject(db, User)
        stamp = time.time_ns()
        filed = []

        def file(i):
            complaint, _created = complaint_operations.file(
                Actor(subject), subject, subject_line=f"Bench {i}", body="Мәтін. " * 120, desired_outcome="",
                scans=[scan("bench.pdf", f"{stamp}-{i}")], token=f"bench-op-{stamp}-{i}")
            db.session.commit()
            filed.append(complaint)

        rows.append(["file a complaint (one PDF attached, committed)", median_ms(file, repeat), repeat])
        version = versions.versions_of(filed[0])[-1]
        rows.append(["render its PDF (version 1, from its snapshot)", median_ms(lambda i: pdf.render(version), repeat),
                     repeat])
        moment = utcnow()
        rows.append(["due date (30 working days)", median_ms(lambda i: numbering.due_date(moment), repeat * 50),
                     repeat * 50])

        def toggle(i):
            current = consents.current_states(subject)["research"]
            action = "withdraw" if current is not None and current.granted else "grant"
            consents.change(subject, "research", action, actor=Actor(subject), channel="cabinet")
            db.session.commit()

        rows.append(["consent change (committed)", median_ms(toggle, repeat), repeat])
        started = time.perf_counter()
        verdict = trail.verify()
        seconds = time.perf_counter() - started
        assert verdict.ok, verdict
        rows.append([f"audit verify, {verdict.checked:,} events", seconds * 1000,
                     f"1, {verdict.checked / seconds:,.0f} events/s"])
        stored = security.hash_password(PASSWORD)
        rows.append(["argon2id verify alone " + argon2_parameters(),
                     median_ms(lambda i: security.check_password(stored, PASSWORD), max(repeat // 2, 3)),
                     max(repeat // 2, 3)])

        def sign_in(i):
            assert account_operations.sign_in(OPERATIONS_SUBJECT, PASSWORD) is not None
            db.session.commit()

        rows.append(["sign-in (authenticate: argon2 + audit event, committed)", median_ms(sign_in, 5), 5])
    with app.app_context():
        db.engine.dispose()
    return [[name, f"{ms:,.3f}" if ms < 1 else f"{ms:,.1f}", runs] for name, ms, runs in rows]


def operations_subject(db, User):
    """The subject the timed operations change, registered (and committed) the first time."""
    subject = db.session.scalar(db.select(User).where(User.email == OPERATIONS_SUBJECT))
    if subject is None:
        from cabinet.demo.load import ensure_policy

        subject = new_subject(OPERATIONS_SUBJECT, ensure_policy()[0])
        db.session.commit()
    return subject


def argon2_parameters() -> str:
    from cabinet.security import ARGON2_PARAMETERS as p

    return f"(t={p['time_cost']}, m={p['memory_cost']} KiB, p={p['parallelism']})"


def report(engine: str, url: str, repeat: int) -> str:
    return "\n".join([f"### {engine}: single operations (median ms)", "",
                      throughput.table(["operation", "median ms", "runs"], measure(url, repeat)), ""])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    throughput.size_arguments(parser)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    for engine in args.engines.split(","):
        url = throughput.database_urls(engine, args.postgres, args.subjects)["full"]
        throughput.prepared(url, throughput.sizes_of(args), args.regenerate)
        print(report(engine, url, args.repeat), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
