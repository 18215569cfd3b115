"""A benchmark database: many subjects, audit events and complaints, as the cabinet itself would have made them.

    .venv/bin/python benchmarks/generate.py --database-url URL [--subjects 100000] [--events 1000000]
                                            [--complaints 100000]

The URL's database is emptied first (a PostgreSQL database must be named cabinet_bench*). The schema comes
from the migrations. Then, through the services: policy version 1 and one support account who answers the
generated complaints. Then, in bulk (executemany on SQLite, COPY on PostgreSQL): subjects registered since
the policy took effect (account, role, initial profile history, policy acceptance, a decision per purpose
and their audit events), complaints numbered in order of receipt with due dates from the working-day
calendar, most of them answered, and sign-ins to make up the number of events. The audit events continue
the hash chain (hashed by the app's own function) and the chain head and the number counter are updated,
so `flask audit verify` passes. Last, again through the services and the same on every database: the
accounts the benchmarks sign in with (a subject with typical data, a support member, a translator) and
a subject whose open complaints fill the first page of the staff queue.
`--subjects 0` makes the empty database the full one is compared with.
"""

import argparse
import heapq
import json
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.shared import (  # noqa: E402
    COHORT,
    COMPLAINANT,
    DATA,
    PASSWORD,
    SUBJECT,
    SUPPORT,
    TRANSLATOR,
    make_app,
    new_subject,
    recreate_database,
    scan,
    upgrade_schema,
)

#: bump when the generated data changes: databases made by an older generator are made again
GENERATOR = 5
#: the share of complaints, the latest received, still waiting for an answer
OPEN_SHARE = 0.05
#: audit events each generated registration writes: account, policy acceptance, one decision per purpose
REGISTRATION_EVENTS = 8
BATCH = 20000
SURNAMES = ("Ахметов", "Байжанов", "Жұмабаев", "Қасымов", "Нұрланов", "Оспанов", "Сейітов", "Төлеуов", "Ким",
            "Иванов", "Смағұлов", "Әбішев")
GIVEN_NAMES = ("Айгерім", "Ерлан", "Данияр", "Алина", "Нұрсұлтан", "Әсел", "Марат", "Жанар", "Ольга", "Тимур")
PATRONYMICS = ("Нұрланұлы", "Серікқызы", "Ерланұлы", None)
#: tables in the order their foreign keys allow them to be written
TABLES = ("users", "user_roles", "policy_acceptances", "consent_events", "profile_changes", "complaints",
          "complaint_events", "audit_events")


def folder_for(url: str) -> Path:
    """Uploaded files and mail of a bench database live beside it, one folder per database."""
    parsed = make_url(url)
    return DATA / f"{parsed.get_backend_name()}-{Path(parsed.database).stem}"


class Writer:
    """Rows buffered per table and written in bulk, parents before children, in the session's transaction."""

    def __init__(self):
        from cabinet.extensions import db

        self.tables = {name: db.metadata.tables[name] for name in TABLES}
        self.rows: dict[str, list[dict]] = defaultdict(list)

    def add(self, table: str, **row) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        from cabinet.extensions import db

        conn = db.session.connection()
        for name in TABLES:
            if self.rows[name]:
                write(conn, self.tables[name], self.rows.pop(name))
        db.session.commit()


def write(conn, table, rows: list[dict]) -> None:
    """PostgreSQL's COPY when available (several times faster); otherwise one executemany."""
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([stored(row[c]) for c in columns])


def stored(value):
    """What the column types would store: naive UTC for aware moments, JSON text for documents."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def next_id(model) -> int:
    from cabinet.extensions import db

    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


class Chain:
    """Appends audit events after the current head, MAC'd exactly as trail.record does (the current key id)."""

    def __init__(self, writer):
        from cabinet.audit.models import AuditEvent, AuditHead
        from cabinet.extensions import db

        head = db.session.get(AuditHead, 1)
        self.writer, self.seq, self.hash = writer, head.seq, head.hash
        self.next_id = next_id(AuditEvent)

    def record(self, action, at, *, actor, subject, obj_type, obj_id, details, ip=None) -> None:
        from flask import current_app

        from cabinet.audit.trail import event_digest

        self.seq += 1
        event = SimpleNamespace(id=self.next_id, seq=self.seq, occurred_at=at, actor_id=actor, subject_id=subject,
                                action=action, object_type=obj_type, object_id=str(obj_id), ip=ip,
                                details=details, prev_hash=self.hash, key_id=current_app.config["AUDIT_KEY_ID"])
        event.hash = self.hash = event_digest(self.hash, event)
        self.next_id += 1
        self.writer.add("audit_events", **vars(event))

    def close(self) -> None:
        """Move the head to the last event, as the last trail.record would have left it."""
        from cabinet.audit.models import AuditHead
        from cabinet.extensions import db

        self.writer.flush()
        db.session.execute(db.update(AuditHead).where(AuditHead.id == 1).values(seq=self.seq, hash=self.hash))
        db.session.commit()


class Bulk:
    """The generated population; ids are given here, so children can point at their parents before insertion."""

    def __init__(self, version, staff, *, subjects: int, complaints: int, events: int, rng):
        from cabinet.accounts.models import User
        from cabinet.complaints.models import Complaint, ComplaintEvent
        from cabinet.consents.models import ConsentEvent
        from cabinet.policies.models import PolicyAcceptance
        from cabinet.profile.models import ProfileChange
        from cabinet.security import hash_password

        self.version, self.staff, self.rng = version, staff, rng
        self.writer = Writer()
        self.chain = Chain(self.writer)
        self.ids = {name: next_id(model) for name, model in (
            ("user", User), ("acceptance", PolicyAcceptance), ("consent", ConsentEvent),
            ("change", ProfileChange), ("complaint", Complaint), ("step", ComplaintEvent))}
        self.password_hash = hash_password(PASSWORD)  # one real hash shared by all: loading, not hashing, is timed
        self.start = datetime.combine(version.effective_from, datetime.min.time(), UTC) + timedelta(hours=3)
        self.now = datetime.now(UTC) - timedelta(hours=1)
        self.subjects, self.complaints = subjects, complaints
        spare = events - REGISTRATION_EVENTS * subjects - complaints
        self.answers = min(complaints - int(complaints * OPEN_SHARE), spare)
        self.sign_ins = spare - self.answers
        if self.answers < 0:
            raise SystemExit(f"{events} events cannot hold {subjects} registrations and {complaints} complaints: "
                             f"at least {REGISTRATION_EVENTS * subjects + complaints} are needed")
        self.sequences: dict[int, int] = {}  # year -> last number given
        self.filed: dict[int, str] = {}  # complaint index -> its number
        self.logins = self.plan_sign_ins()  # subject index -> moments of sign-in, in order

    def registered_at(self, index: int) -> datetime:
        """Subjects register evenly over the first three quarters of the time since the policy took effect."""
        return self.start + (self.now - self.start) * 0.75 * (index + 0.5) / self.subjects

    def subject_id(self, index: int) -> int:
        return self.ids["user"] + index

    def run(self) -> None:
        later = sorted(self.complaint_steps() + self.sign_in_steps(), key=lambda h: h[0])
        happenings = heapq.merge(self.registrations(), later, key=lambda h: h[0])
        for at, kind, *payload in happenings:
            getattr(self, kind)(at, *payload)
        self.chain.close()
        self.set_counters()

    # --- what happens, in time order -------------------------------------------------------------------------

    def registrations(self):
        for index in range(self.subjects):
            yield self.registered_at(index), "register", index

    def complaint_steps(self) -> list[tuple]:
        """Filing moments spread over the period after the first registrations; all but the latest answered."""
        from cabinet.complaints.numbering import due_date

        first = self.registered_at(max(self.subjects // 100, 0)) + timedelta(days=1)
        steps, due_dates = [], {}
        for number in range(self.complaints):
            at = first + (self.now - first) * (number + self.rng.random()) / self.complaints
            latest_registered = min(int((at - self.start) / ((self.now - self.start) * 0.75) * self.subjects),
                                    self.subjects) - 1
            complainant = self.rng.randint(0, max(latest_registered, 0))
            day = at.date()
            if day not in due_dates:
                due_dates[day] = due_date(at)
            answered_at = min(at + timedelta(days=self.rng.uniform(1, 20)), self.now) if number < self.answers \
                else None
            steps.append((at, "file", number, complainant, due_dates[day], answered_at))
            if answered_at:
                steps.append((answered_at, "answer", number, complainant))
        return steps

    def plan_sign_ins(self) -> dict[int, list[datetime]]:
        planned = defaultdict(list)
        for _ in range(self.sign_ins):
            index = self.rng.randrange(self.subjects)
            since = self.registered_at(index)
            planned[index].append(since + (self.now - since) * self.rng.random())
        return {index: sorted(moments) for index, moments in planned.items()}

    def sign_in_steps(self) -> list[tuple]:
        return [(at, "sign_in", index) for index, moments in self.logins.items() for at in moments]

    # --- each happening: its rows and its audit events --------------------------------------------------------

    def register(self, at, index: int) -> None:
        from cabinet.consents.purposes import PURPOSES

        user_id, rng = self.subject_id(index), self.rng
        locale = "ru" if index % 5 == 0 else "kk"
        logins = self.logins.get(index, [])
        person = {"surname": SURNAMES[index % len(SURNAMES)], "given_name": rng.choice(GIVEN_NAMES),
                  "patronymic": rng.choice(PATRONYMICS), "email": f"subject{index}@bulk.example.kz",
                  "phone": f"+7701{index:07d}"}
        self.writer.add("users", id=user_id, password_hash=self.password_hash, locale=locale, created_at=at,
                        email_confirmed_at=None, pending_email=None,
                        last_login_at=logins[-1] if logins else None,
                        previous_login_at=logins[-2] if len(logins) > 1 else None,
                        session_version=1, **person)
        self.writer.add("user_roles", user_id=user_id, role="subject", granted_at=at)
        for field, value in person.items():
            if value:
                self.writer.add("profile_changes", id=self.take("change"), user_id=user_id, field=field,
                                old_value=None, new_value=value, changed_at=at, actor_id=user_id,
                                basis="registration", correction_id=None)
        self.chain.record("account.created", at, actor=user_id, subject=user_id, obj_type="user", obj_id=user_id,
                          details={"roles": ["subject"]})
        acceptance = self.take("acceptance")
        at += timedelta(milliseconds=40)
        self.writer.add("policy_acceptances", id=acceptance, user_id=user_id, version_id=self.version.id,
                        accepted_at=at, method="registration", locale=locale, ip=None, user_agent=None,
                        actor_id=user_id)
        self.chain.record("policy.accepted", at, actor=user_id, subject=user_id, obj_type="policyacceptance",
                          obj_id=acceptance,
                          details={"version": self.version.label, "method": "registration", "locale": locale})
        for purpose in PURPOSES:
            action = "grant" if not purpose.optional or rng.random() < 0.4 else "decline"
            consent = self.take("consent")
            at += timedelta(milliseconds=7)
            self.writer.add("consent_events", id=consent, user_id=user_id, purpose=purpose.code, action=action,
                            at=at, actor_id=user_id, channel="registration", policy_version_id=self.version.id)
            self.chain.record(f"consent.{action}", at, actor=user_id, subject=user_id, obj_type="consentevent",
                              obj_id=consent, details={"purpose": purpose.code, "channel": "registration"})

    def file(self, at, number: int, complainant: int, due_on, answered_at) -> None:
        from cabinet.complaints.numbering import format_number, local_day

        user_id, complaint_id = self.subject_id(complainant), self.ids["complaint"] + number
        year = local_day(at).year
        self.sequences[year] = self.sequences.get(year, 0) + 1
        code = format_number(year, self.sequences[year])
        self.filed[number] = code
        self.writer.add("complaints", id=complaint_id, number=code, user_id=user_id, filed_by_id=user_id,
                        subject_line=f"Деректерімді өңдеу туралы шағым {number}",
                        body="Менің дербес деректерімді өңдеу туралы шағым мәтіні. " * 8, desired_outcome="",
                        received_at=at, due_on=due_on, status="answered" if answered_at else "registered",
                        last_event_at=answered_at or at, submission_token=f"bulk-complaint-{number:08d}")
        self.writer.add("complaint_events", id=self.take("step"), complaint_id=complaint_id, kind="registered",
                        at=at, actor_id=user_id, text=None, submission_token=None)
        self.chain.record("complaint.filed", at, actor=user_id, subject=user_id, obj_type="complaint",
                          obj_id=complaint_id, details={"number": code, "due_on": due_on.isoformat(),
                                                        "attachments": []})

    def answer(self, at, number: int, complainant: int) -> None:
        complaint_id, user_id = self.ids["complaint"] + number, self.subject_id(complainant)
        self.writer.add("complaint_events", id=self.take("step"), complaint_id=complaint_id, kind="answered", at=at,
                        actor_id=self.staff.id, text="Шағымыңыз қаралды, деректеріңіз түзетілді. " * 4,
                        submission_token=f"bulk-answer-{number:08d}")
        self.chain.record("complaint.answered", at, actor=self.staff.id, subject=user_id, obj_type="complaint",
                          obj_id=complaint_id, details={"number": self.filed[number], "attachments": []})

    def sign_in(self, at, index: int) -> None:
        user_id = self.subject_id(index)
        self.chain.record("account.signed_in", at, actor=user_id, subject=user_id, obj_type="user", obj_id=user_id,
                          details={}, ip=f"10.{index % 250}.{index // 250 % 250}.1")

    def take(self, name: str) -> int:
        value = self.ids[name]
        self.ids[name] += 1
        return value

    def set_counters(self) -> None:
        """The yearly number counters at the last number given, as numbering.next_sequence leaves them."""
        from cabinet.complaints.models import ComplaintCounter
        from cabinet.extensions import db

        for year, value in self.sequences.items():
            db.session.merge(ComplaintCounter(year=year, value=value))


def populate(app, *, subjects: int, events: int, complaints: int, seed: int = 2026) -> None:
    """The bulk population, after the policy and the staff member who answers complaints."""
    from cabinet.accounts import service as accounts
    from cabinet.demo.load import ensure_policy
    from cabinet.extensions import db

    with app.app_context():
        version, _created = ensure_policy()
        if subjects:
            staff = accounts.create_user("bulk-support@example.kz", PASSWORD, roles=("support",),
                                         surname="Қызметкер", given_name="Ерлан")
            db.session.commit()
            bulk = Bulk(version, staff, subjects=subjects, complaints=complaints, events=events,
                        rng=random.Random(seed))
            bulk.run()
        db.session.commit()
        advance_sequences()
        vacuum()


def vacuum() -> None:
    """What autovacuum does soon after a bulk load on any PostgreSQL where it runs (the default): planner
    statistics (without them a join of 100,000 users is planned as a scan of them all) and the visibility map
    (without it counting the open complaints reads every row instead of the index alone)."""
    from cabinet.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")


def advance_sequences() -> None:
    """PostgreSQL's id sequences past the ids given explicitly."""
    from cabinet.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in TABLES:
        if "id" in db.metadata.tables[table].c:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"GREATEST((SELECT max(id) FROM {table}), 1))"))
    db.session.commit()


def bench_accounts(app) -> dict:
    """The accounts the benchmarks sign in with, made by the services; returns what the benchmarks look up."""
    from cabinet.accounts import service as accounts
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.consents import service as consents
    from cabinet.demo.load import ensure_policy
    from cabinet.extensions import db
    from cabinet.paging import PAGE_SIZE
    from cabinet.profile import service as profile

    with app.test_request_context():
        version, _created = ensure_policy()
        subject = new_subject(SUBJECT, version)
        support = accounts.create_user(SUPPORT, PASSWORD, roles=("support",), surname="Оспанов", given_name="Ерлан")
        accounts.create_user(TRANSLATOR, PASSWORD, roles=("translator",), surname="Ким", given_name="Алина")
        for i in range(5):
            profile.change_phone(subject, f"+7702555{i:04d}", actor=subject)
        for action in ("grant", "withdraw", "grant"):
            consents.change(subject, "marketing", action, actor=Actor(subject), channel="cabinet",
                            policy_version=version)
        filed = [complaint_operations.file(Actor(subject), subject, subject_line=f"Шағым {i}", body="Мәтін. " * 120,
                                           desired_outcome="Деректерді түзету.", scans=[scan(f"c{i}.pdf", str(i))],
                                           token=f"bench-complaint-{i}-xxxxxxxxxxxxxxxx")[0] for i in range(3)]
        complaint_operations.take_under_review(Actor(support), filed[0])
        complaint_operations.supplement(Actor(subject), filed[0], text="Қосымша мәтін.",
                                        scans=[scan("s.pdf", "supplement")], token="bench-supplement-xxxxxxxxxxxxxxxx")
        complaint_operations.answer(Actor(support), filed[1], text="Жауап мәтіні. " * 40, scans=[],
                                    token="bench-answer-xxxxxxxxxxxxxxxx")
        # a cohort in both databases, so a staff search shows the same first page on each: a surname a twelfth of the
        # generated subjects share, and an e-mail prefix none of theirs has
        for i in range(2 * PAGE_SIZE):
            new_subject(f"{COHORT}{i:03d}@example.kz", version, surname="Оспанов")
        complainant = new_subject(COMPLAINANT, version)
        for i in range(2 * PAGE_SIZE):  # a full staff queue page and a full deadlines page on either database
            complaint_operations.file(Actor(complainant), complainant, subject_line=f"Шағым {i}", body="Мәтін. " * 60,
                                      desired_outcome="", scans=[], token=f"bench-queue-{i}-xxxxxxxxxxxxxxxx")
        db.session.commit()
        return {"subject_id": subject.id, "complaint": filed[0].number}


def build(url: str, *, subjects: int, events: int, complaints: int) -> dict:
    """Empty the database, build the schema, load it; returns the manifest the benchmarks read."""
    started = time.perf_counter()
    recreate_database(url)
    folder = folder_for(url)
    app = make_app(url, folder)
    upgrade_schema(app)
    populate(app, subjects=subjects, events=events, complaints=complaints)
    manifest = {"generator": GENERATOR, "url": url, "subjects": subjects, "events": events, "complaints": complaints,
                **bench_accounts(app), "seconds": round(time.perf_counter() - started, 1)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    from cabinet.extensions import db

    with app.app_context():
        db.engine.dispose()
    return manifest


def existing(url: str, *, subjects: int, events: int, complaints: int) -> dict | None:
    """The manifest of a database generated earlier with the same sizes, to reuse it."""
    path = folder_for(url) / "manifest.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    same = (manifest["subjects"], manifest["events"], manifest["complaints"]) == (subjects, events, complaints)
    return manifest if same and manifest["url"] == url and manifest.get("generator") == GENERATOR else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="sqlite:///bench-data/full.sqlite or postgresql+psycopg://…/cabinet_bench_full (emptied!)")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    args = parser.parse_args(argv)
    manifest = build(args.database_url, subjects=args.subjects, events=args.events, complaints=args.complaints)
    print(json.dumps(manifest, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
