"""Fifty subjects at once against gunicorn, optionally with a worker killed and PostgreSQL restarted; then the proof.

A script and a module (tests/test_load.py runs it). It builds a fresh database with the migrations
(a temporary SQLite file, or a new `cabinet_load_*` database on the given PostgreSQL server, dropped
afterwards), publishes policy version 1, registers the subjects, starts gunicorn on a free loopback
port and lets every subject sign in, browse, correct the phone number, grant and withdraw consent
and file complaints (some with a scan, some sent twice, some double-clicked) until the time is up.
Then, with the server stopped, it checks the database against what the subjects were told.

    .venv/bin/python benchmarks/load.py [--seconds 60] [--subjects 50]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--kill-worker-at 20] [--restart-postgres-at 40]

The server runs with CABINET_RATELIMIT_ENABLED=false: fifty subjects from one loopback address would
otherwise be throttled as one attacker (tests/test_security.py tests the limits themselves).
A failed answer (connection error, 5xx) is allowed only within ten seconds after a fault began;
an answer that confirmed something (a redirect with a complaint number) must hold in the database.
"""

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import shared  # noqa: E402

BIN = Path(sys.executable).parent
PAGES = ("/cabinet", "/cabinet/profile", "/cabinet/complaints", "/cabinet/consents", "/cabinet/access-log")
#: how often a subject does each thing; the rest of the time it reads pages
WEIGHTS = {"browse": 50, "file": 20, "consent": 15, "correct": 15}
RESUBMIT_SHARE, DOUBLE_CLICK_SHARE, SCAN_SHARE = 0.3, 0.1, 1 / 3
INITIAL_PHONE = "+77011234567"  # what shared.new_subject registers
#: seconds after a fault's start (or end, for a restart) in which failed answers are expected
FAULT_GRACE = 10
REQUEST_TIMEOUT = 60
RETRIES = 8
NUMBER = re.compile(r"/cabinet/complaints/([A-Z]+-(\d{4})-(\d{6}))$")


@dataclass
class Settings:
    seconds: float = 60
    subjects: int = 50
    #: a PostgreSQL server to make a fresh database on; None: a fresh SQLite file (WAL)
    database_url: str | None = None
    kill_worker_at: float | None = None
    restart_postgres_at: float | None = None
    workers: int = 3
    threads: int = 4
    #: the longest pause of a subject between two steps, in seconds
    think: float = 0.05


@dataclass
class Hit:
    """One request: what for, its answer (None: no answer at all), and whether that was the expected one."""

    kind: str
    method: str
    path: str
    status: int | None
    started: float
    ended: float
    ok: bool
    locked: bool = False
    #: why there was no answer: the client's exception, as it was raised
    failure: str = ""
    #: no answer on a kept-alive connection the server had closed, so sent again (as a browser does); not a failure
    resent: bool = False

    @property
    def server_error(self) -> bool:
        return self.status is not None and self.status >= 500


@dataclass
class Filing:
    email: str
    token: str
    number: str | None  # None: the subject never saw a number


@dataclass
class Journal:
    """Everything the subjects sent and were told; lists only appended to (atomic in CPython)."""

    hits: list = field(default_factory=list)
    filings: list = field(default_factory=list)
    #: (token, number first answered, number answered to the same form sent again)
    resubmissions: list = field(default_factory=list)
    #: (email, "phone" or "consent:<purpose>") -> [(value, confirmed)] in the order sent
    changes: dict = field(default_factory=lambda: defaultdict(list))


class _Forms(HTMLParser):
    """The forms of a page with their fields' names and values, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.forms, self._textarea = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif self.forms and attrs.get("name") and tag == "input" and attrs.get("type") not in ("file", "checkbox"):
            self.forms[-1][attrs["name"]] = attrs.get("value") or ""
        elif self.forms and attrs.get("name") and tag == "textarea":
            self._textarea = attrs["name"]
            self.forms[-1][self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_with(html: str, name: str) -> dict:
    return next(form for form in forms_of(html) if name in form)


_connection = threading.local()


class _CountedConnection(HTTPConnection):
    """A connection that knows whether it carried a request before: what a browser asks before it sends again."""

    carried = 0

    def request(self, *args, **kwargs):
        _connection.reused = self.carried > 0
        self.carried += 1
        return super().request(*args, **kwargs)


class _CountedPool(HTTPConnectionPool):
    ConnectionCls = _CountedConnection


class _BrowserAdapter(HTTPAdapter):
    """Connections that count what they carried, so Visitor.send knows, as a browser does, whether a request that
    got no answer went out on a reused kept-alive connection (one the server closed while idle, or a killed worker
    left dead): such a request is sent once more, whatever its method, as Chromium's HttpNetworkTransaction does."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {**self.poolmanager.pool_classes_by_scheme, "http": _CountedPool}


class Visitor:
    """One simulated subject with its own session (cookies), random choices and remembered complaints."""

    def __init__(self, index: int, email: str, base: str, journal: Journal, settings: Settings):
        self.email, self.base, self.journal, self.settings = email, base, journal, settings
        self.rng = random.Random(index)
        self.session = requests.Session()
        self.session.mount(base, _BrowserAdapter())
        self.numbers: list[str] = []
        self.serial = 0

    def call(self, kind, method, path, expect: int, to: str = "", **kwargs) -> requests.Response | None:
        """The response if it is the expected status (and redirect target), else None."""
        hit, response = self.send(kind, method, path, expect, to, **kwargs)
        return response if hit.ok else None

    def send(self, kind, method, path, expect: int, to: str = "", resend: bool = True, **kwargs) \
            -> tuple[Hit, requests.Response | None]:
        """Send one request and record it in the journal; once more if a kept-alive connection closed unanswered."""
        started = time.monotonic()
        _connection.reused = False
        try:
            response = self.session.request(method, self.base + path, allow_redirects=False,
                                            timeout=REQUEST_TIMEOUT, **kwargs)
        except requests.RequestException as error:
            closed = isinstance(error, requests.ConnectionError) and not isinstance(error, requests.Timeout)
            hit = Hit(kind, method, path, None, started, time.monotonic(), False,
                      failure=f"{type(error).__name__}: {error}"[:160], resent=resend and closed and _connection.reused)
            response = None
        else:
            location = response.headers.get("Location", "").removeprefix(self.base)
            hit = Hit(kind, method, path, response.status_code, started, time.monotonic(),
                      response.status_code == expect and location.startswith(to),
                      "database is locked" in response.text)
        self.journal.hits.append(hit)
        if hit.resent:
            return self.send(kind, method, path, expect, to, resend=False, **kwargs)
        return hit, response

    def sign_in(self) -> bool:
        page = self.call("sign-in", "GET", "/login", 200)
        fields = form_with(page.text, "password") if page else None
        return bool(fields) and self.call("sign-in", "POST", "/login", 302, data={
            **fields, "email": self.email, "password": shared.PASSWORD}) is not None

    def work(self, until: float) -> None:
        steps = {"browse": self.browse, "file": self.file, "consent": self.consent, "correct": self.correct}
        while time.monotonic() < until:
            steps[self.rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]]()
            time.sleep(self.rng.uniform(0, self.settings.think))

    def browse(self) -> None:
        pages = PAGES + tuple(f"/cabinet/complaints/{n}" for n in self.numbers[-3:])
        self.call("browse", "GET", self.rng.choice(pages), 200)

    def correct(self) -> None:
        page = self.call("correct", "GET", "/cabinet/profile/edit", 200)
        if page is None:
            return
        phone = f"+7701{self.rng.randrange(10**7):07d}"
        done = self.call("correct", "POST", "/cabinet/profile/edit", 302, to="/cabinet/profile",
                         data={**form_with(page.text, "phone"), "phone": phone})
        self.journal.changes[self.email, "phone"].append((phone, done is not None))

    def consent(self) -> None:
        page = self.call("consent", "GET", "/cabinet/consents", 200)
        if page is None:
            return
        choice = self.rng.choice([form for form in forms_of(page.text) if "purpose" in form])
        question = self.call("consent", "POST", "/cabinet/consents", 200, data=choice)
        if question is None:
            return
        answer = form_with(question.text, "confirm")
        done = self.call("consent", "POST", "/cabinet/consents", 302, to="/cabinet/consents", data=answer)
        self.journal.changes[self.email, f"consent:{answer['purpose']}"].append(
            (answer["action"] == "grant", done is not None))

    def file(self) -> None:
        page = self.call("file", "GET", "/cabinet/complaints/new", 200)
        if page is None:
            return
        self.serial += 1
        form = {**form_with(page.text, "submission_token"), "file": "1",
                "subject": f"Жүктеме {self.email} №{self.serial}",
                "body": "Менің деректерім келісімсіз үшінші тұлғаға берілді.\nПрошу разобраться.",
                "desired_outcome": "Өңдеуді тоқтатыңыз."}
        token = form["submission_token"]
        files = None
        if self.rng.random() < SCAN_SHARE:
            files = [("attachments", (f"scan-{self.serial}.pdf", shared.PDF + token.encode(), "application/pdf"))]
        if self.rng.random() < DOUBLE_CLICK_SHARE:
            with ThreadPoolExecutor(2) as pool:
                number, again = pool.map(lambda _: self.send_complaint(form, files, "file"), range(2))
        else:
            number = self.send_complaint(form, files, "file")
            again = self.send_complaint(form, files, "resubmit") if number and self.rng.random() < RESUBMIT_SHARE \
                else None
        self.journal.filings.append(Filing(self.email, token, number or again))
        if number and again:
            self.journal.resubmissions.append((token, number, again))
        if number or again:
            self.numbers.append(number or again)

    def send_complaint(self, form, files, kind) -> str | None:
        """Send the form until it is answered, as a user does after an error page; the number it answers."""
        for _attempt in range(RETRIES):
            hit, response = self.send(kind, "POST", "/cabinet/complaints/new", 302, to="/cabinet/complaints/",
                                      data=form, files=files)
            if hit.ok:
                return NUMBER.search(response.headers["Location"]).group(1)
            if hit.status is not None and not hit.server_error:
                return None  # refused (a form error): sending it again changes nothing
            time.sleep(1)
        return None


class Server:
    """gunicorn (gthread workers) on a free loopback port, with a way to kill one of its workers."""

    def __init__(self, url: str, folder: Path, settings: Settings):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **shared.app_environment(url, folder)}
        self.settings, self.log_path = settings, folder / "gunicorn.log"

    def __enter__(self) -> "Server":
        command = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "wsgi:app",
                   "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(self.settings.workers), "--worker-class", "gthread",
                   "--threads", str(self.settings.threads), "--timeout", "60", "--graceful-timeout", "10"]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self._ready():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"gunicorn did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        return self

    def _ready(self) -> bool:
        try:
            answered = requests.get(self.base + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False
        return answered and len(self.workers()) == self.settings.workers

    def workers(self) -> list[int]:
        """The master's children, from /proc (gunicorn replaces a dead worker with a new one)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    children.append(int(stat.parent.name))
        return children

    def kill_worker(self) -> int:
        pid = random.choice(self.workers())
        os.kill(pid, signal.SIGKILL)
        return pid

    def flask(self, *args) -> subprocess.CompletedProcess:
        """A `flask --app wsgi …` command on the server's configuration."""
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def restart_postgres_command() -> list[str] | None:
    clusters = Path("/etc/postgresql")
    versions = sorted(p.name for p in clusters.iterdir()) if clusters.is_dir() else []
    if not versions or not shutil.which("pg_ctlcluster"):
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


class Faults(threading.Thread):
    """Kills a worker and restarts PostgreSQL at the set moments; remembers when, for judging failures."""

    def __init__(self, server: Server, settings: Settings, started: float, postgres: bool):
        super().__init__(daemon=True)
        self.server, self.settings, self.started, self.postgres = server, settings, started, postgres
        self.windows: list[tuple[str, float, float]] = []
        self.notes: list[str] = []

    def _sleep_until(self, at: float) -> None:
        time.sleep(max(0.0, self.started + at - time.monotonic()))

    def run(self) -> None:
        plan = sorted((at, name) for at, name in ((self.settings.kill_worker_at, "kill"),
                                                  (self.settings.restart_postgres_at, "restart")) if at is not None)
        for at, name in plan:
            self._sleep_until(at)
            began = time.monotonic()
            if name == "kill":
                pid = self.server.kill_worker()
                self.notes.append(f"kill -9 of worker {pid} at {began - self.started:.1f} s")
            elif not self.postgres or (command := restart_postgres_command()) is None:
                self.notes.append("PostgreSQL restart skipped: not a PostgreSQL run, or no pg_ctlcluster")
                continue
            else:
                done = subprocess.run(command, capture_output=True, text=True, timeout=120)
                self.notes.append(f"PostgreSQL restarted from {began - self.started:.1f} s "
                                  f"to {time.monotonic() - self.started:.1f} s" if done.returncode == 0
                                  else f"PostgreSQL restart FAILED: {done.stderr.strip()}")
            self.windows.append((name, began, time.monotonic() + FAULT_GRACE))


@contextlib.contextmanager
def fresh_database(server_url: str | None, folder: Path):
    """A database nobody else uses: a new SQLite file, or a new database on the PostgreSQL server, dropped after."""
    if not server_url or server_url.startswith("sqlite"):
        yield server_url or f"sqlite:///{folder / 'load.sqlite'}"
        return
    with shared.own_postgres_database(server_url, "cabinet_load") as url:
        yield url


def prepare(url: str, folder: Path, count: int) -> list[str]:
    """The schema by the migrations, policy version 1 as the demo publishes it, and the subjects."""
    from argon2 import PasswordHasher

    from cabinet import security
    from cabinet.demo.load import ensure_policy
    from cabinet.extensions import db

    app = shared.make_app(url, folder)
    shared.upgrade_schema(app)
    real_hash = security.hash_password(shared.PASSWORD)  # signing in costs what it costs in production
    emails = [f"load-{i:03d}@example.kz" for i in range(count)]
    saved, security.HASHER = security.HASHER, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        with app.app_context():
            version, _created = ensure_policy()
            for email in emails:
                shared.new_subject(email, version).password_hash = real_hash
            db.session.commit()
            db.engine.dispose()
    finally:
        security.HASHER = saved
    return emails


def allowed_finals(initial, attempts) -> set:
    """What the database may hold after attempts sent in order: the last confirmed one, or a later unanswered one."""
    allowed = {initial}
    for value, confirmed in attempts:
        allowed = {value} if confirmed else allowed | {value}
    return allowed


def check_database(url: str, folder: Path, journal: Journal) -> list[str]:
    """Every confirmed complaint there with its owner, numbers unique and gapless, every change as last told."""
    from cabinet.accounts.models import User
    from cabinet.complaints.models import Complaint
    from cabinet.consents.service import current_states
    from cabinet.extensions import db

    problems = []
    app = shared.make_app(url, folder)
    with app.app_context():
        rows = db.session.execute(select(Complaint.number, Complaint.submission_token.label("token"), User.email)
                                  .join(User, User.id == Complaint.user_id)).all()
        stored = {row.number: (row.token, row.email) for row in rows}
        if len(stored) != len(rows):
            problems.append(f"{len(rows) - len(stored)} complaint numbers given twice")
        sent = {filing.token for filing in journal.filings}
        for filing in journal.filings:
            if filing.number and stored.get(filing.number) != (filing.token, filing.email):
                problems.append(f"confirmed complaint {filing.number} of {filing.email} is not in the database as sent")
        problems += [f"complaint {number} was never sent" for number, (token, _email) in stored.items()
                     if token not in sent]
        problems += [f"a resubmission of {first} was answered with {again}"
                     for _token, first, again in journal.resubmissions if again != first]
        by_year = defaultdict(list)
        for number in stored:
            _prefix, year, sequence = number.split("-")
            by_year[year].append(int(sequence))
        problems += [f"complaint numbers of {year} are not 1..{len(s)} without gaps or repeats"
                     for year, s in by_year.items() if sorted(s) != list(range(1, len(s) + 1))]
        users = {user.email: user for user in db.session.scalars(select(User))}
        for (email, what), attempts in journal.changes.items():
            user = users[email]
            if what == "phone":
                actual, initial = user.phone, INITIAL_PHONE
            else:
                state = current_states(user)[what.split(":", 1)[1]]
                actual, initial = bool(state and state.granted), False
            if actual not in allowed_finals(initial, attempts):
                problems.append(f"{email}: {what} is {actual!r}, not what the subject was last told")
        db.engine.dispose()
    return problems


def check_files(url: str, folder: Path) -> tuple[set, set]:
    """Document rows whose file is missing, and upload files no row names."""
    from cabinet.documents.models import Document
    from cabinet.extensions import db

    app = shared.make_app(url, folder)
    with app.app_context():
        keys = set(db.session.scalars(select(Document.storage_key)))
        db.engine.dispose()
    files = {path.name for path in (folder / "uploads").iterdir()}
    return keys - files, files - keys


@dataclass
class Report:
    settings: Settings
    journal: Journal
    seconds: float
    problems: list
    notes: list

    @property
    def measured(self) -> list[Hit]:
        return [hit for hit in self.journal.hits if hit.kind != "sign-in"]

    def summary(self) -> str:
        hits = self.measured
        ms = sorted((hit.ended - hit.started) * 1000 for hit in hits)
        confirmed = sum(1 for f in self.journal.filings if f.number)
        lines = [f"{self.settings.subjects} subjects for {self.seconds:.0f} s: {len(hits)} requests, "
                 f"{len(hits) / self.seconds:.1f} req/s, latency p50 {percentile(ms, 50):.0f} ms, "
                 f"p95 {percentile(ms, 95):.0f} ms, max {ms[-1] if ms else 0:.0f} ms",
                 f"5xx {sum(hit.server_error for hit in hits)}, "
                 f"no answer {sum(hit.status is None and not hit.resent for hit in hits)}, "
                 f"'database is locked' {sum(hit.locked for hit in hits)}, resent after a kept-alive connection "
                 f"closed unanswered {sum(hit.resent for hit in hits)}",
                 f"complaints confirmed {confirmed} (of {len(self.journal.filings)} sent), "
                 f"resubmissions answered {len(self.journal.resubmissions)}"]
        by_kind = defaultdict(list)
        for hit in hits:
            by_kind[hit.kind].append(hit)
        for kind, group in sorted(by_kind.items()):
            statuses = Counter(hit.status or ("resent" if hit.resent else "no answer") for hit in group)
            lines.append(f"  {kind:<9} {len(group):>6}  " + ", ".join(f"{s}: {n}" for s, n in sorted(
                statuses.items(), key=str)))
        lines += self.notes
        lines += [f"PROBLEM: {p}" for p in self.problems] or ["all checks passed"]
        return "\n".join(lines)


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[pct - 1]


def drive(server: Server, emails: list[str], settings: Settings, journal: Journal, postgres: bool):
    """Everyone signs in, then works until the time is up, with the faults on their schedule."""
    clock = {}
    start = threading.Barrier(len(emails) + 1, action=lambda: clock.update(started=time.monotonic()))

    def subject(index: int, email: str) -> None:
        visitor = Visitor(index, email, server.base, journal, settings)
        signed_in = visitor.sign_in()
        start.wait()
        if signed_in:
            visitor.work(clock["started"] + settings.seconds)

    threads = [threading.Thread(target=subject, args=(i, email)) for i, email in enumerate(emails)]
    for thread in threads:
        thread.start()
    start.wait(timeout=300)
    faults = Faults(server, settings, clock["started"], postgres)
    faults.start()
    for thread in threads:
        thread.join()
    faults.join()
    return time.monotonic() - clock["started"], faults


def run(settings: Settings) -> Report:
    journal = Journal()
    with tempfile.TemporaryDirectory(prefix="cabinet-load-") as tmp, \
            fresh_database(settings.database_url, Path(tmp)) as url:
        folder = Path(tmp)
        emails = prepare(url, folder, settings.subjects)
        postgres = url.startswith("postgresql")
        with Server(url, folder, settings) as server:
            seconds, faults = drive(server, emails, settings, journal, postgres)
        problems = judge(journal, faults.windows) + check_database(url, folder, journal)
        notes = list(faults.notes)
        verify = server.flask("audit", "verify")
        notes.append(verify.stdout.strip())
        if verify.returncode != 0:
            problems.append(f"audit verify failed: {verify.stderr.strip()}")
        problems += check_uploads(url, folder, server, bool(faults.windows), notes)
    return Report(settings, journal, seconds, problems, notes)


def check_uploads(url: str, folder: Path, server: Server, faulted: bool, notes: list) -> list[str]:
    """Never a row without its file; files without a row only after a kill, and the sweep removes them."""
    missing, orphans = check_files(url, folder)
    problems = [f"document {key} has no file" for key in sorted(missing)]
    if orphans:
        if not faulted:
            problems.append(f"{len(orphans)} upload files without a document row, and no fault to explain them")
        swept = server.flask("documents", "sweep", "--older-than", "0")
        notes.append(f"{len(orphans)} upload files without a row; `flask documents sweep`: {swept.stdout.strip()}")
        missing_after, orphans_after = check_files(url, folder)
        problems += [f"the sweep removed the file of document {key}" for key in sorted(missing_after - missing)]
        problems += [f"the sweep left {len(orphans_after)} files without a row"] if orphans_after else []
    return problems


def judge(journal: Journal, windows: list) -> list[str]:
    """Failed or unexpected answers only around a fault; never "database is locked" in a page."""
    def excused(hit: Hit) -> bool:
        return any(hit.started <= end and hit.ended >= began for _name, began, end in windows)

    def where(hit: Hit) -> str:
        return f"{hit.method} {NUMBER.sub('/cabinet/complaints/<number>', hit.path)}"

    def answer(hit: Hit) -> str:
        return str(hit.status) if hit.status else f"nothing ({hit.failure}, after {hit.ended - hit.started:.1f} s)"

    failed = Counter(f"{where(hit)} ({hit.kind}) answered {answer(hit)}"
                     for hit in journal.hits if not hit.ok and not hit.resent and not excused(hit))
    locked = Counter(where(hit) for hit in journal.hits if hit.locked)
    return [f"{n}x {what}" for what, n in failed.items()] + \
        [f"{n}x {what} showed 'database is locked'" for what, n in locked.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--subjects", type=int, default=50)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a fresh database is made on it)")
    parser.add_argument("--kill-worker-at", type=float, help="seconds into the load: kill -9 one gunicorn worker")
    parser.add_argument("--restart-postgres-at", type=float, help="seconds into the load: restart PostgreSQL")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    report = run(Settings(**vars(args)))
    print(report.summary())
    sys.exit(1 if report.problems else 0)


if __name__ == "__main__":
    main()
