"""What many test modules share: files to upload, forms filled as a user fills them, and steps a person takes."""

import functools
import hashlib
import io
import re
import secrets
import shutil
import socketserver
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from limits import parse_many
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pypdf import PdfReader
from sqlalchemy import event, func, select, text, update

from cabinet.accounts.models import User
from cabinet.audit import trail
from cabinet.audit.models import AuditEvent
from cabinet.consents.models import ConsentEvent
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail import OutgoingMail

#: minimal valid files for uploads
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


#: the same with a script a reader would run: refused by every upload form
PDF_WITH_JS = PDF.replace(b"trailer", b"3 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\ntrailer")


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082")


PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "brand-new-password-2026"
WRONG_PASSWORD = "mistyped-password-2026"


def empty_database(conn, names=None) -> None:
    """Delete every row (of the tables named, or all), children first (the frozen tables' triggers refuse UPDATE
    only, never DELETE)."""
    for table in reversed(db.metadata.sorted_tables):
        if names is None or table.name in names:
            conn.execute(table.delete())


def rows(app, model, *where, order=None) -> list:
    """The model's rows that match, in id order (or the order given), detached: readable after the context ends."""
    with app.app_context():
        found = db.session.scalars(select(model).where(*where)
                                   .order_by(order if order is not None else model.id)).all()
        db.session.expunge_all()
        return found


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(app, action=None, **where) -> list:
    """The trail's events (of one action, with the given fields), oldest first."""
    criteria = [getattr(AuditEvent, name) == value for name, value in where.items()]
    if action is not None:
        criteria.append(AuditEvent.action == action)
    return rows(app, AuditEvent, *criteria, order=AuditEvent.seq)


def written(app) -> dict:
    """What "nothing was written" means: the rows of every table (by name) and the files stored."""
    with app.app_context():
        counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
                  for table in db.metadata.sorted_tables}
        db.session.remove()
    folder = Path(app.config["UPLOAD_DIR"])
    counts["files"] = sum(1 for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0
    return counts


def trail_rows(app) -> list[dict]:
    """Every audit event as the table holds it, in chain order."""
    with app.app_context():
        found = [dict(r._mapping) for r in db.session.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq))]
        db.session.remove()
        return found


@contextmanager
def lifted_trigger(app, table: str):
    """What a writer with database access could do: drop the table's write-once trigger for the block; it is put
    back afterwards, so the next tests on the session's database find it. Every pooled connection is closed after
    each change of the schema: SQLite's connections judge CREATE against the schema they last read."""
    name = f"{table}_frozen"
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        definition = db.session.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name") if sqlite else
            text("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = :name"), {"name": name})
        db.session.execute(text(f"DROP TRIGGER {name}" + ("" if sqlite else f" ON {table}")))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
            db.session.execute(text(definition))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()


class Snapshot:
    """Every row and every file a fixture made, taken once and put back for each later test that asks for it:
    a read-mostly world (tests/test_access.py) built once per worker instead of once per test."""

    FOLDERS = ("UPLOAD_DIR", "OUTBOX_DIR")

    def __init__(self, app):
        with app.app_context():
            db.session.remove()
            with db.engine.connect() as conn:
                self.rows = [(table, [row._asdict() for row in conn.execute(
                    table.select().order_by(*table.primary_key.columns))]) for table in db.metadata.sorted_tables]
        self.files = {key: {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*")
                            if path.is_file()}
                      for key in self.FOLDERS if (folder := Path(app.config[key])).exists()}

    def restore(self, app) -> None:
        """The database and the folders exactly as they were when the snapshot was taken."""
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                empty_database(conn)
                for table, rows in self.rows:
                    if rows:
                        conn.execute(table.insert(), rows)
        for key, files in self.files.items():
            folder = Path(app.config[key])
            for relative, data in files.items():
                (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                (folder / relative).write_bytes(data)


def upload(data=PDF, name="scan.pdf"):
    """A file for a multipart form field."""
    return (io.BytesIO(data), name)


NUMBER = re.compile(r"/cabinet/complaints/(BE-\d{4}-\d{6})$")


#: a verification code as printed: its key id, then 16 hex digits in groups of four
CODE = re.compile(r"\b[A-Z0-9]{1,8}(?:-[0-9A-F]{4}){4}\b")


TOKEN = "complaint-token-0000000001"


def complaint_form(**changes):
    """A valid filing; a change to None leaves the field out."""
    data = {"subject": "Деректерім рұқсатсыз берілді", "body": "Менің деректерім үшінші тұлғаға берілді.\nТексеріңіз.",
            "desired_outcome": "Деректерді беруді тоқтатыңыз.", "submission_token": TOKEN}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def file_complaint(client, **changes) -> str:
    """File through the form and return the registration number from the redirect."""
    response = client.post("/cabinet/complaints/new", data=complaint_form(**changes))
    assert response.status_code == 302, response.text
    return NUMBER.search(response.headers["Location"]).group(1)


def login_as(app, user):
    """A separate browser signed in as this user."""
    other = app.test_client()
    response = other.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    return other


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


REASON = "Өтініш №17, 2026-03-02 / заявление №17"


def act(staff, user_id, reason=REASON, basis=None, **extra):
    data = {"reason": reason, **extra}
    if basis is not None:
        data["basis"] = basis
    return staff.post(f"/staff/subjects/{user_id}/act", data=data, content_type="multipart/form-data")


def log_rows(html: str) -> list[tuple[str, str]]:
    """(action, the row's text) of each access-log row, newest first."""
    return [(action, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))
            for action, body in re.findall(r'<tr data-action="([^"]+)">(.*?)</tr>', html, re.S)]


def decide(staff, request_id, decision, reason=""):
    return staff.post(f"/staff/corrections/{request_id}", data={"decision": decision, "reason": reason})


EDIT = "/cabinet/profile/edit"


class _FormFields(HTMLParser):
    """The values a browser would send back for the page's form (text inputs, hidden inputs, textareas)."""

    def __init__(self):
        super().__init__()
        self.values, self._textarea = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("file", "submit", "checkbox"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def form_values(client) -> dict:
    response = client.get(EDIT)
    assert response.status_code == 200
    parser = _FormFields()
    parser.feed(response.text)
    return parser.values


def submit(client, documents=(), **changes):
    """Open the edit form, change some fields, send it as the browser does (multipart)."""
    data = {**form_values(client), **changes}
    data["documents"] = list(documents)
    return client.post(EDIT, data=data, content_type="multipart/form-data")


def rename(client, *, password=PASSWORD, reason="Marriage", documents=None, **names):
    """A complete name-change submission."""
    docs = [upload(PDF, "marriage.pdf")] if documents is None else documents
    return submit(client, documents=docs, current_password=password, reason=reason, **names)


EMAIL = "aigerim@example.kz"


def registration(**changes):
    """A valid registration form; a change to None leaves the field out."""
    data = {
        "surname": "Сейітова", "given_name": "Айгерім", "patronymic": "Нұрланқызы", "email": EMAIL,
        "phone": "8 701 123 45 67", "password": PASSWORD, "password_confirm": PASSWORD, "accept_policy": "y",
        "documents": [upload()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def link_in(message):
    links = re.findall(r"https?://\S+", message.get_content())
    assert len(links) == 1, links
    return links[0]


def get_user(app, email=EMAIL):
    from cabinet.accounts.service import find_by_email

    with app.app_context():
        user = find_by_email(email)
        if user is not None:
            db.session.expunge(user)
        return user


def csrf_token(html):
    """The CSRF token of the first form on the page."""
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def due_now(app) -> None:
    """Let the back-off of every queued mail run out (as if its time had passed)."""
    with app.app_context():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.state == "queued")
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def latest_event(app, subject, purpose) -> int:
    with app.app_context():
        return db.session.scalar(select(ConsentEvent.id).where(ConsentEvent.user_id == subject.id,
                                                               ConsentEvent.purpose == purpose)
                                 .order_by(ConsentEvent.id.desc()).limit(1))


def grant_marketing(client):
    return client.post("/cabinet/consents", data={"purpose": "marketing", "action": "grant", "confirm": "yes"})


def sql(app, statement, **params):
    """Tamper with the database the way someone with raw access would."""
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text(statement) if isinstance(statement, str) else statement, params)


def verify(runner):
    return runner.invoke(args=["audit", "verify"])


def error_fields(html):
    return {n for block in re.findall(r'<div class="field has-error">.*?</div>', html, re.S)
            for n in re.findall(r'name="([^"]+)"', block)}


def normalise(html, *values):
    """The page with its CSRF token and the given values blanked, to compare two answers."""
    html = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "CSRF", html)
    for value in values:
        html = html.replace(value, "VALUE")
    return html


def csp(response) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources}."""
    directives = [d.strip() for d in response.headers["Content-Security-Policy"].split(";") if d.strip()]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in directives}


def allowed(limits: str) -> int:
    """How many attempts the first (shortest) limit of a limit string lets through."""
    return parse_many(limits)[0].amount


def file_at(app, user_id: int, moment: datetime, monkeypatch=None) -> tuple[str, date]:
    """File one complaint through the domain function as if received at `moment` (UTC); number and due date."""
    from cabinet.accounts.models import User
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations

    if monkeypatch is not None:
        monkeypatch.setattr(complaint_operations, "utcnow", lambda: moment)
    with app.app_context():
        subject = db.session.get(User, user_id)
        complaint, created = complaint_operations.file(
            Actor(subject), subject, subject_line="Шағым", body="Мәтін", desired_outcome="",
            scans=[], token=secrets.token_urlsafe(24))
        db.session.commit()
        assert created
        result = complaint.number, complaint.due_on
        db.session.remove()
    return result


def load(app, create_user, policy, subject_id, *, n: int, versions: tuple[str, ...], others: int):
    """Use of the cabinet, scaled by n: phone changes by the subject and by staff, scans, consent toggles, staff
    look-ups in the trail, decided and pending corrections, policy versions accepted, disclosures, other subjects."""
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.consents import service as consents
    from cabinet.disclosures import service as disclosures
    from cabinet.documents import storage
    from cabinet.policies.service import get_version, record_acceptance
    from cabinet.profile import service as profile
    from cabinet.profile.models import CorrectionRequest

    other_refs = [create_user(email=f"other{n}-{i}@example.kz") for i in range(others)]
    staff = create_user(email=f"staff{n}@example.kz", roles=("support",))
    for label in versions:
        policy(label, effective_from=date(2026, 1, 1) + timedelta(days=int(label)))
    with app.test_request_context():
        subject, worker = db.session.get(User, subject_id), db.session.get(User, staff.id)
        act = acting_session(worker, subject, n)
        for i in range(2 * n):
            profile.change_phone(subject, f"+7701{n:02d}{i:05d}", actor=subject if i % 2 else worker,
                                 act=None if i % 2 else act)
        for i in range(n):
            data = PDF + f"{n}-{i}".encode()
            storage.store(storage.CheckedFile(f"scan-{i}.pdf", "application/pdf", data,
                                              hashlib.sha256(data).hexdigest()),
                          actor=subject if i % 2 else worker, subject=subject, kind="registration")
        for i in range(2 * n):
            consents.change(subject, "marketing" if i % 4 < 2 else "research", "grant" if i % 2 == 0 else "withdraw",
                            actor=Actor(subject), channel="cabinet")
        for i in range(7 * n):
            trail.record("staff.subject_viewed", actor=worker, subject=subject, details={"reason": f"call {i}"})
        for label in versions:
            record_acceptance(get_version(label), actor=subject, subject=subject, method="cabinet", locale="ru")
        for i in range(n):
            db.session.add(CorrectionRequest(user_id=subject.id, requested_by_id=worker.id,
                                             changes={"surname": "Ахметова"}, reason=f"reason {i}",
                                             status="rejected", due_on=date(2026, 1, 5) + timedelta(days=i),
                                             submission_token=f"token-{n:02d}-{i:03d}-" + "x" * 20))
        for i in range(n):
            disclosures.record(subject, actor=worker, recipient=f"Body {i}", basis="3.4.1", categories="name",
                               disclosed_on=date(2026, 1, 1) + timedelta(days=i), reference=f"ref {i}")
            data = PDF + f"complaint {n}-{i}".encode()
            complaint_operations.file(Actor(subject if i % 2 else worker), subject, subject_line=f"Complaint {i}",
                                      body="Text", desired_outcome="", token=f"complaint-{n:02d}-{i:03d}-" + "x" * 20,
                                      scans=[storage.CheckedFile("c.pdf", "application/pdf", data,
                                                                 hashlib.sha256(data).hexdigest())])
        for ref in other_refs:
            other = db.session.get(User, ref.id)
            profile.change_phone(other, "+77019999999", actor=other)
            trail.record("staff.subject_viewed", actor=worker, subject=other, details={"reason": "x"})
        db.session.commit()


def acting_session(worker, subject, n):
    """The worker's acting session for the subject, on a stored basis document, so their changes carry it."""
    from cabinet.acting.models import ActingSession
    from cabinet.database import utcnow
    from cabinet.documents import storage

    data = PDF + f"basis {n}".encode()
    basis = storage.store(storage.CheckedFile("basis.pdf", "application/pdf", data, hashlib.sha256(data).hexdigest()),
                          actor=worker, subject=subject, kind="basis")
    act = ActingSession(staff_id=worker.id, subject_id=subject.id, reason="call", basis_document_id=basis.id,
                        started_at=utcnow(), expires_at=utcnow() + timedelta(minutes=30))
    db.session.add(act)
    db.session.flush()
    return act


def pending_correction(app, subject_id):
    from cabinet.profile.models import CorrectionRequest

    with app.app_context():
        db.session.add(CorrectionRequest(user_id=subject_id, requested_by_id=subject_id,
                                         changes={"surname": "Жаңа"}, reason="pending", due_on=date(2026, 2, 2),
                                         submission_token="p" * 30))
        db.session.commit()


#: a test that reads a PDF as Poppler does
pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="Poppler's pdftotext is not installed")


def validated(data: bytes, trust):
    [signature] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return validate_pdf_signature(signature, trust)


DEV_SIGNER = "«Батыс Энергоресурсы» ЖШС (development)"


#: an invented operator with a BIN whose check digit is right
OPERATOR = {
    "OPERATOR_BIN": "260140001231",
    "OPERATOR_ADDRESS": "090000, Орал қаласы, Сынақ көшесі, 7",
    "OPERATOR_ADDRESS_RU": "090000, г. Уральск, улица Тестовая, 7",
    "OPERATOR_PHONE": "+7 (7112) 55-44-33",
    "OPERATOR_EMAIL": "dpo@example.kz",
    "OPERATOR_RESPONSIBLE": "Заң бөлімінің бастығы Ә. Сапарова",
    "OPERATOR_RESPONSIBLE_RU": "Начальник юридического отдела А. Сапарова",
}


#: what a production app needs besides the operator's contacts
PRODUCTION = {"ENV": "production", "SECRET_KEY": "x" * 40, "BASE_URL": "https://cabinet.test",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "AUDIT_KEYS": {"2026a": "k" * 40}}


def mail_queue(app) -> list[OutgoingMail]:
    """Every queued or sent message, oldest first, detached from the session."""
    return rows(app, OutgoingMail)


class FakeMailServer(socketserver.ThreadingTCPServer):
    """A loopback SMTP server just big enough for smtplib: it keeps what it receives; STARTTLS only announced."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, offer_starttls=False, port=0):
        super().__init__(("127.0.0.1", port), SmtpSession)
        self.offer_starttls, self.received, self.received_at = offer_starttls, [], []  # received_at: (when, what)
        self.hang = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.server_address[1]}"


class SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        say = lambda line: self.wfile.write(line.encode() + b"\r\n")  # noqa: E731
        say("220 fake ESMTP")
        while line := self.rfile.readline().decode().strip():
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                say("250-fake" if self.server.offer_starttls else "250 fake")
                if self.server.offer_starttls:
                    say("250 STARTTLS")
            elif verb == "STARTTLS":
                say("454 TLS not available")  # smtplib must then give up, not go on in clear
            elif verb == "DATA":
                say("354 go on")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                if self.server.hang.is_set():  # a server that takes the message and never answers
                    time.sleep(60)
                    return
                data = b"".join(lines)
                self.server.received.append(data)
                self.server.received_at.append((time.time(), data))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


@functools.cache
def source_messages():
    """Every message the code and the templates (pages and mails) ask to translate, read from the sources."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    from cabinet import ROOT

    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
                "lazy_pgettext": ((1, "c"), 2)}
    jinja = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    found = []
    for folder, method_map, options in (
        ("cabinet", [("**.py", "python")], {}),
        ("cabinet/templates", [("**.html", "jinja2"), ("**.txt", "jinja2")], {"**.html": jinja, "**.txt": jinja}),
    ):
        for _name, _line, message, _comments, context in extract_from_dir(
                ROOT / folder, method_map, options, keywords=keywords):
            found.append((message, context))
    return found


def status_of(app, number):
    from cabinet.complaints.models import Complaint

    with app.app_context():
        return db.session.scalar(select(Complaint.status).where(Complaint.number == number))


def due_in_15_working_days(app):
    from cabinet.i18n import local_today
    from cabinet.workdays.calendar import WorkCalendar

    with app.app_context():
        return WorkCalendar().add_working_days(local_today(), 15)


def destroy_due(runner, monkeypatch, day):
    import cabinet.i18n

    monkeypatch.setattr(cabinet.i18n, "local_today", lambda: day)
    result = runner.invoke(args=["consents", "destroy-due"])
    assert result.exit_code == 0, result.output
    return result.output


@contextmanager
def statements_run(app):
    """The SQL statements and their parameters the app's engine runs inside the block, as the driver saw them."""
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)
