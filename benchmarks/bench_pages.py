"""Median request time and SQL statement count per cabinet page, for a subject with much data.

Not a test: a script to run by hand and compare before/after a change.

    .venv/bin/python benchmarks/bench_pages.py [--requests 200] [--database-url URL]

It builds the schema with the migrations in a temporary SQLite database (or the given cabinet_bench*
PostgreSQL database, which it drops and creates again), loads one subject with years of use (120 phone
changes, 40 scans, 80 consent toggles, 400 trail events by staff, 30 corrections, disclosures and complaints,
5 policy versions) and 200 other subjects, signs in with the Flask test client and requests each page N times.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher  # noqa: E402

from benchmarks.shared import (  # noqa: E402
    PASSWORD,
    make_app,
    new_subject,
    recreate_database,
    scan,
    statements_of,
    upgrade_schema,
)
from cabinet import security  # noqa: E402
from cabinet.extensions import db  # noqa: E402

PAGES = ["/cabinet", "/cabinet/profile", "/cabinet/profile/edit", "/cabinet/profile/history", "/cabinet/documents",
         "/cabinet/policies", "/cabinet/consents", "/cabinet/consents/withdraw-all", "/cabinet/access-log",
         "/cabinet/disclosures", "/cabinet/complaints", "/cabinet/export", "/policy"]


def prepared_app(folder: Path, url: str | None):
    """A fresh schema built by the migrations in a temporary SQLite file, or in the given PostgreSQL database."""
    url = url or f"sqlite:///{folder / 'bench.sqlite'}"
    recreate_database(url)
    app = make_app(url, folder, TESTING=True, WTF_CSRF_ENABLED=False)
    upgrade_schema(app)
    return app


def load(app) -> str:
    """The data set; returns the e-mail to sign in with."""
    from cabinet.accounts import service as accounts
    from cabinet.audit import trail
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.consents import service as consents
    from cabinet.disclosures import service as disclosures
    from cabinet.documents import storage
    from cabinet.policies.service import publish, record_acceptance
    from cabinet.profile import service as profile
    from cabinet.profile.models import CorrectionRequest

    with app.test_request_context():
        texts = [{"kk": f"# Саясат {i}\n\n" + "Мәтін. " * 3000, "ru": f"# Политика {i}\n\n" + "Текст. " * 3000}
                 for i in range(1, 6)]
        versions = [publish(str(i), date(2026, 1, 1) + timedelta(days=30 * (i - 1)), texts[i - 1])
                    for i in range(1, 6)]
        subject = new_subject("bench@example.kz", versions[0])
        staff = accounts.create_user("staff@example.kz", PASSWORD, roles=("support",), surname="Қызметкер",
                                     given_name="Ерлан")
        for i in range(200):
            other = new_subject(f"other{i}@example.kz", versions[0])
            profile.change_phone(other, f"+7702{i:07d}", actor=other)
        for i in range(120):
            profile.change_phone(subject, f"+7701{i:07d}", actor=subject if i % 2 else staff)
        for i in range(40):
            storage.store(scan(f"scan-{i}.pdf", str(i)), actor=subject, subject=subject, kind="registration")
        for i in range(80):
            consents.change(subject, "marketing" if i % 4 < 2 else "research", "grant" if i % 2 == 0 else "withdraw",
                            actor=Actor(subject), channel="cabinet", policy_version=versions[i % 5])
        for i in range(400):
            trail.record("staff.subject_viewed", actor=staff, subject=subject, details={"reason": f"call {i}"})
        for version in versions[1:]:
            record_acceptance(version, actor=subject, subject=subject, method="cabinet", locale="kk")
        for i in range(30):
            db.session.add(CorrectionRequest(user_id=subject.id, requested_by_id=subject.id,
                                             changes={"surname": "Ахметова"}, reason=f"reason {i}", status="rejected",
                                             due_on=date(2026, 1, 5) + timedelta(days=i),
                                             submission_token=f"bench-token-{i:04d}-xxxxxxxxxx"))
            disclosures.record(subject, actor=staff, recipient=f"Body {i}", basis="3.4.1", categories="name",
                               disclosed_on=date(2026, 1, 1) + timedelta(days=i), reference=f"ref {i}")
            complaint_operations.file(Actor(subject), subject, subject_line=f"Complaint {i}", body="Text " * 200,
                                      desired_outcome="", scans=[scan(f"c{i}.pdf", f"complaint {i}")],
                                      token=f"bench-complaint-{i:04d}-xxxxxxxxxx")
        db.session.commit()
        return subject.email


def measure(app, client, url: str, requests: int) -> tuple[float, float, int]:
    """Median and 95th percentile milliseconds over `requests` GETs, and the statements of one of them."""
    statements = statements_of(app, client, url)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[-1], statements


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", help="a cabinet_bench* PostgreSQL database instead of a temporary SQLite "
                                               "file (dropped and created again!)")
    args = parser.parse_args(argv)
    security.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # loading, not hashing, is measured
    with tempfile.TemporaryDirectory() as folder:
        app = prepared_app(Path(folder), args.database_url)
        started = time.perf_counter()
        email = load(app)
        print(f"loaded data in {time.perf_counter() - started:.1f} s; {args.requests} requests per page\n")
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for url in PAGES:
            median, p95, queries = measure(app, client, url, args.requests)
            print(f"{url:34} {median:10.2f} {p95:8.2f} {queries:8d}")
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
