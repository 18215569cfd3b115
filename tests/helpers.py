"""What many test modules share: files to upload, forms filled as a user fills them, and steps a person takes."""

import io
import re
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select, text, update

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


def empty_database(conn) -> None:
    """Delete every row, children first (the frozen tables' triggers refuse UPDATE only, never DELETE)."""
    for table in reversed(db.metadata.sorted_tables):
        conn.execute(table.delete())


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
