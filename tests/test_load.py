"""Issue 7, load and faults: fifty subjects against gunicorn, a killed worker, a restarted database.

The two runs (marker `load`, a few minutes) use benchmarks/load.py on a fresh SQLite file, or on a
fresh database of the server in CABINET_TEST_DATABASE_URL; CABINET_LOAD_SECONDS shortens them.
The other tests here are quick: what those runs rely on, shown one case at a time.
"""

import itertools
import os
import socket
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale

from benchmarks import load
from cabinet import errors, security
from cabinet.accounts import operations
from cabinet.app import create_app
from cabinet.audit.trail import verify
from cabinet.extensions import db
from tests.helpers import events


class _ClosingServer:
    """An HTTP/1.1 server that answers each connection's first `answered` requests, then closes it unanswered."""

    def __init__(self, answered: int):
        self.answered, self.requests = answered, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            connection, _address = self.listener.accept()
            threading.Thread(target=self._talk, args=(connection,), daemon=True).start()

    def _talk(self, connection):
        with connection, connection.makefile("rb") as stream:
            for served in itertools.count():
                head = _request_head(stream)
                if not head:  # the client closed the connection
                    return
                length = next((int(line.split(b":")[1]) for line in head
                               if line.lower().startswith(b"content-length")), 0)
                self.requests.append((head[0].split()[0].decode(), stream.read(length)))
                if served >= self.answered:
                    return  # closed with the request unanswered, as a kept-alive connection timing out
                connection.sendall(b"HTTP/1.1 302 Found\r\nLocation: /done\r\nContent-Length: 0\r\n\r\n")


def _request_head(stream) -> list[bytes]:
    """The request line and headers; none once the client has closed (readline then gives b"" for ever)."""
    head = []
    while (line := stream.readline()) not in (b"\r\n", b""):
        head.append(line)
    return head if line else []


def _visitor(base: str) -> load.Visitor:
    return load.Visitor(0, "a@example.kz", base, load.Journal(), load.Settings())


def test_a_post_on_a_kept_alive_connection_closed_unanswered_is_sent_again_as_a_browser_does():
    server = _ClosingServer(answered=1)
    visitor = _visitor(server.base)
    assert visitor.call("file", "POST", "/form", 302, to="/done", data={"n": "1"})
    assert visitor.call("file", "POST", "/form", 302, to="/done", data={"n": "2"})
    assert server.requests == [("POST", b"n=1"), ("POST", b"n=2"), ("POST", b"n=2")]
    first, closed, resent = visitor.journal.hits
    assert first.ok and closed.resent and closed.status is None and "ConnectionError" in closed.failure
    assert resent.ok and load.judge(visitor.journal, []) == []


def test_a_page_asked_on_a_dead_kept_alive_connection_is_asked_again_the_same_way():
    server = _ClosingServer(answered=1)
    visitor = _visitor(server.base)
    assert visitor.call("browse", "GET", "/page", 302) and visitor.call("browse", "GET", "/page", 302)
    assert [method for method, _body in server.requests] == ["GET", "GET", "GET"]
    assert [hit.resent for hit in visitor.journal.hits] == [False, True, False]


def test_a_new_connection_closed_unanswered_is_a_failure_the_run_reports():
    server = _ClosingServer(answered=0)
    visitor = _visitor(server.base)
    assert visitor.call("file", "POST", "/form", 302, data={"n": "1"}) is None
    assert server.requests == [("POST", b"n=1")]  # a connection that never answered: nothing says it was idle
    (hit,) = visitor.journal.hits
    assert not hit.resent
    (problem,) = load.judge(visitor.journal, [])
    assert problem.startswith("1x POST /form (file) answered nothing (ConnectionError: ")


SECONDS = float(os.environ.get("CABINET_LOAD_SECONDS", 60))
SERVER = os.environ.get("CABINET_TEST_DATABASE_URL")
#: nothing listens on port 1: every connection is refused, as while PostgreSQL restarts
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/cabinet"


@pytest.mark.load
def test_fifty_subjects_for_a_minute_get_no_error_and_lose_nothing():
    report = load.run(load.Settings(seconds=SECONDS, database_url=SERVER))
    print(report.summary())
    assert report.problems == []
    assert not [hit for hit in report.journal.hits if hit.server_error or (hit.status is None and not hit.resent)]
    assert any(f.number for f in report.journal.filings) and report.journal.resubmissions


@pytest.mark.load
def test_a_killed_worker_and_a_restarted_database_lose_nothing_confirmed():
    seconds = max(SECONDS * 0.6, 9)
    report = load.run(load.Settings(seconds=seconds, database_url=SERVER, kill_worker_at=seconds / 3,
                                    restart_postgres_at=2 * seconds / 3 if SERVER else None))
    print(report.summary())
    assert report.problems == []
    assert any(note.startswith("kill -9") for note in report.notes)
    if SERVER and load.restart_postgres_command():
        assert any(note.startswith("PostgreSQL restarted") for note in report.notes)


@pytest.mark.parametrize("locale", ["kk", "ru"])
def test_an_unreachable_database_gives_a_503_page_in_the_visitors_language(locale, tmp_path):
    app = create_app({"DATABASE_URL": UNREACHABLE, "SECRET_KEY": "test", "TESTING": True,
                      "UPLOAD_DIR": str(tmp_path), "OUTBOX_DIR": str(tmp_path)})
    client = app.test_client()
    client.set_cookie("cabinet_lang", locale)
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # signed in: even loading the user fails
    response = client.get("/cabinet")
    page = response.get_data(as_text=True)
    with app.test_request_context(), force_locale(locale):
        title = str(errors.MESSAGES[503][0])
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert f'lang="{locale}"' in page and title in page and not title.isascii()
    assert "Traceback" not in page and "psycopg" not in page and "OperationalError" not in page


def test_a_page_that_writes_waits_for_a_sqlite_writer_instead_of_failing(app, client, create_user, login):
    """A download records an access event: its read transaction becomes a write one instead of 'database is locked'."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's locking")
    user = create_user()
    login(user)
    with app.app_context():
        from cabinet.documents.models import Document

        document_id = db.session.scalar(db.select(Document.id).where(Document.owner_id == user.id))
    writer_holds_lock = threading.Event()

    def other_writer():
        connection = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE users SET phone = phone WHERE id = ?", (user.id,))
        writer_holds_lock.set()
        time.sleep(1)  # the page reads meanwhile, then must wait for this commit to write
        connection.execute("COMMIT")
        connection.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    writer_holds_lock.wait(5)
    response = client.get(f"/cabinet/documents/{document_id}")
    thread.join()
    assert response.status_code == 200
    with app.app_context():
        from cabinet.audit.trail import verify

        assert verify().ok


def test_a_sign_in_checks_the_password_while_other_writers_write(app, client, create_user, monkeypatch):
    """On SQLite the password's hash is checked before the sign-in takes the write lock: another writer gets in at
    once meanwhile (it queued behind every sign-in's argon2, and 50 at once passed the busy timeout)."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's locking")
    user = create_user()
    written_meanwhile = []

    def check_while_another_writes(stored, password):
        other = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None,
                                timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" at once if the sign-in held the lock
            other.execute("UPDATE users SET phone = phone WHERE id = ?", (user.id,))
            other.execute("COMMIT")
            written_meanwhile.append(True)
        finally:
            other.close()
        return security.check_password(stored, password)

    monkeypatch.setattr(operations, "check_password", check_while_another_writes)
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302 and written_meanwhile
    assert client.get("/cabinet").status_code == 200
    assert events(app, "account.signed_in")
    with app.app_context():
        assert verify().ok


def test_the_sweep_removes_only_old_files_no_document_names(app, runner, create_user):
    create_user()
    uploads = Path(app.config["UPLOAD_DIR"])
    kept = {path.name for path in uploads.iterdir()}  # the registration scan, which has its row
    old_orphan, new_orphan, foreign = uploads / ("a" * 40), uploads / ("b" * 40), uploads / "README"
    for path in (old_orphan, new_orphan, foreign):
        path.write_bytes(b"%PDF-1.4")
    two_hours_ago = time.time() - timedelta(hours=2).total_seconds()
    for path in (old_orphan, foreign):
        os.utime(path, (two_hours_ago, two_hours_ago))

    result = runner.invoke(args=["documents", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 orphaned files removed" in result.output
    assert {path.name for path in uploads.iterdir()} == kept | {new_orphan.name, foreign.name}

    runner.invoke(args=["documents", "sweep", "--older-than", "0"])
    assert {path.name for path in uploads.iterdir()} == kept | {foreign.name}
