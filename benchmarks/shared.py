"""What every benchmark script needs: a schema-built app, the bench users, and a statement counter."""

import contextlib
import hashlib
import json
import os
import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
PASSWORD = "correct-horse-battery"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
#: the signed-in accounts the benchmarks use, the same on an empty and a full database
SUBJECT, SUPPORT, TRANSLATOR = "bench-subject@example.kz", "bench-support@example.kz", "bench-translator@example.kz"
#: a subject whose open complaints fill the first page of the staff queue on the empty database too
COMPLAINANT = "bench-complainant@example.kz"
#: the e-mail prefix of the subjects both databases hold for the staff search (generate.bench_accounts)
COHORT = "bench-cohort-"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def app_config(url: str, folder: Path) -> dict:
    """The settings of a bench run: no rate limits; uploads, mail and its queue in a folder beside the database."""
    return {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-bench-secret-key!", "RATELIMIT_ENABLED": False,
            "UPLOAD_DIR": str(folder / "uploads"), "OUTBOX_DIR": str(folder / "outbox"),
            "QUEUE_URL": f"sqlite:///{folder / 'queue.sqlite'}",
            "BASE_URL": "http://cabinet.test", "AUDIT_CHECKPOINT_FILE": str(folder / "audit-checkpoints.jsonl")}


def app_environment(url: str, folder: Path) -> dict:
    """The same settings as CABINET_* variables, for a server process (gunicorn)."""
    return {f"CABINET_{key}": value if isinstance(value, str) else json.dumps(value)
            for key, value in app_config(url, folder).items()}


def make_app(url: str, folder: Path, **extra):
    from cabinet.app import create_app

    folder.mkdir(parents=True, exist_ok=True)
    return create_app({**app_config(url, folder), **extra})


def recreate_database(url: str) -> None:
    """An empty database at the URL: a SQLite file removed, a PostgreSQL database dropped and created again."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database
    if name == "test" or not name.startswith("cabinet_bench"):
        raise SystemExit(f"refusing to drop database {name!r}: bench databases are named cabinet_bench*")
    from sqlalchemy import create_engine

    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def database_exists(url: str) -> bool:
    """Whether the PostgreSQL database at the URL is there (made by an earlier run)."""
    parsed = make_url(url)
    engine = create_engine(parsed.set(database="postgres"), poolclass=NullPool)
    with engine.connect() as conn:
        found = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
    engine.dispose()
    return found is not None


@contextlib.contextmanager
def own_postgres_database(server_url: str, prefix: str):
    """A new database on the PostgreSQL server that nobody else uses, dropped after (even if the server restarted)."""
    server, name = make_url(server_url), f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)  # no pooled connection to die
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def upgrade_schema(app) -> None:
    """The schema the migrations build (not create_all): the benchmark measures the indexes users get."""
    from cabinet.cli import upgrade

    upgrade(app)


def scan(name: str, salt: str):
    """A small valid PDF, different per salt, as the upload checks would pass it."""
    from cabinet.documents import storage

    data = PDF + salt.encode()
    return storage.CheckedFile(name, "application/pdf", data, hashlib.sha256(data).hexdigest())


def new_subject(email: str, version, surname: str = "Сейітова"):
    """A subject registered the way registration does it."""
    from cabinet.accounts import service
    from cabinet.database import utcnow
    from cabinet.registration.service import enrol

    user = service.create_user(email, PASSWORD, surname=surname, given_name="Айгерім", phone="+77011234567")
    enrol(user, version, [scan("id.pdf", email)], set(), locale="kk")
    user.email_confirmed_at = utcnow()
    return user


#: transaction control is not counted: SQLite's BEGIN is a statement of its own, PostgreSQL's is implicit
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementCounter:
    """Counts the SQL statements (queries, not transaction control) an engine runs while the `with` block lasts."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _listen(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.statements.append(statement)

    def __enter__(self) -> "StatementCounter":
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc_info) -> None:
        event.remove(self.engine, "before_cursor_execute", self._listen)

    def __len__(self) -> int:
        return len(self.statements)


def statements_of(app, client, url: str) -> int:
    """The SQL statements of one GET of a warmed-up page (which must answer 200)."""
    from cabinet.extensions import db

    with app.app_context():
        engine = db.engine
    client.get(url)
    with StatementCounter(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(counter)


def machine() -> dict:
    """What the figures were taken on, for the results table."""
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "load": " ".join(f"{v:.2f}" for v in os.getloadavg())}
