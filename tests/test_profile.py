"""Correcting my data (policy 2.3, 3.3): phone at once, e-mail after confirmation, name after review."""

import hashlib
import re
import unicodedata
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cabinet.accounts.models import User
from cabinet.audit.models import AuditEvent
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.profile.models import CorrectionRequest, ProfileChange
from cabinet.workdays.calendar import WorkCalendar
from tests.helpers import EDIT, PASSWORD, PDF, PNG, form_values, rename, rows, submit, upload

HTML_AS_PDF = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture
def state(app):
    """What a failed submission must not touch: rows that record changes, and files in the upload folder."""

    def read():
        with app.app_context():
            rows = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                    for model in (ProfileChange, CorrectionRequest, Document, AuditEvent)}
        folder = Path(app.config["UPLOAD_DIR"])
        files = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
        return rows, files

    return read


@pytest.fixture
def fetch(app):
    """Read a user (and anything else) fresh from the database."""

    def get(model, id):
        with app.app_context():
            obj = db.session.get(model, id)
            db.session.expunge(obj)
            return obj

    return get


def flashes(html: str) -> str:
    match = re.search(r'<div class="flashes".*?</div>', html, re.S)
    return match.group(0) if match else ""


def test_edit_form_renders_current_values_and_a_one_time_token(client, create_user, login):
    user = create_user(phone="+77011234567")
    login(user)
    values = form_values(client)
    assert values["email"] == user.email
    assert values["phone"] == "+77011234567"
    assert values["surname"] == "Сейітова" and values["given_name"] == "Айгерім"
    assert "current_password" in values and values["current_password"] == ""
    assert re.fullmatch(r"[A-Za-z0-9_\-]{20,64}", values["submission_token"])
    assert form_values(client)["submission_token"] != values["submission_token"]


def test_edit_needs_sign_in(client, policy):
    response = client.get(EDIT)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["+7 701 765 43 21", "8 (701) 765-43-21", "87017654321", "+77017654321"])
def test_phone_change_is_normalised_shown_and_kept_in_history(app, client, create_user, login, fetch, typed):
    user = create_user(phone="+77011234567")
    login(user)
    response = submit(client, phone=typed)
    assert response.status_code == 302
    assert response.headers["Location"] == "/cabinet/profile"
    assert fetch(User, user.id).phone == "+77017654321"
    assert "+77017654321" in client.get("/cabinet/profile").text

    history = rows(app, ProfileChange, ProfileChange.user_id == user.id, ProfileChange.field == "phone")
    assert [(c.old_value, c.new_value, c.basis) for c in history] == [
        (None, "+77011234567", "registration"), ("+77011234567", "+77017654321", "self")]
    assert history[-1].actor_id == user.id

    events = rows(app, AuditEvent, AuditEvent.action == "profile.phone_changed")
    assert len(events) == 1
    assert events[0].actor_id == events[0].subject_id == user.id
    assert events[0].details == {"basis": "self"}


def test_same_phone_in_another_format_changes_nothing(app, client, create_user, login, state):
    user = create_user(phone="+77011234567")
    login(user)
    before = state()
    response = submit(client, phone="8 701 123 45 67")
    assert response.status_code == 302
    assert state() == before


@pytest.mark.parametrize("typed", ["12345", "+7 000 000 00 00", "phone", "+1 555", "", "+7701123456789012"])
def test_invalid_phone_is_refused_without_writing(app, client, create_user, login, fetch, state, typed):
    user = create_user(phone="+77011234567")
    login(user)
    before = state()
    response = submit(client, phone=typed)
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert fetch(User, user.id).phone == "+77011234567"
    assert state() == before


# --- e-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize("password", [None, "", "wrong-password-123"])
def test_email_change_needs_the_current_password(client, create_user, login, fetch, state, outbox, password):
    user = create_user()
    login(user)
    before, mails = state(), len(outbox())
    changes = {"email": "new@example.kz"}
    if password is not None:
        changes["current_password"] = password
    response = submit(client, **changes)
    assert response.status_code == 200
    assert 'class="error"' in response.text
    stored = fetch(User, user.id)
    assert (stored.email, stored.pending_email) == (user.email, None)
    assert state() == before
    assert len(outbox()) == mails


def confirm_link(mail) -> str:
    match = re.search(r"http://cabinet\.test(/confirm/\S+)", mail.get_content())
    assert match, mail.get_content()
    return match.group(1)


def test_email_change_is_confirmed_from_the_new_address(app, client, create_user, login, fetch, outbox):
    user = create_user(email="old@example.kz")
    login(user)
    response = submit(client, email="New@Example.kz", current_password=PASSWORD)
    assert response.status_code == 302

    stored = fetch(User, user.id)
    assert (stored.email, stored.pending_email) == ("old@example.kz", "new@example.kz")
    mails = outbox()
    to_new = [m for m in mails if m["To"] == "new@example.kz"]
    to_old = [m for m in mails if m["To"] == "old@example.kz"]
    assert len(to_new) == 1 and len(to_old) == 1
    assert "new@example.kz" in to_old[0].get_content()
    assert "/confirm/" not in to_old[0].get_content()
    link = confirm_link(to_new[0])
    assert "new@example.kz" in client.get("/cabinet/profile").text

    # until the link is opened, the sign-in address is the old one
    client.post("/logout")
    assert client.post("/login", data={"email": "new@example.kz", "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"email": "old@example.kz", "password": PASSWORD}).status_code == 302
    client.post("/logout")

    assert client.get(link).status_code == 302
    stored = fetch(User, user.id)
    assert (stored.email, stored.pending_email) == ("new@example.kz", None)
    assert stored.email_confirmed_at is not None
    history = rows(app, ProfileChange, ProfileChange.user_id == user.id, ProfileChange.field == "email")
    assert [(c.old_value, c.new_value, c.basis, c.actor_id) for c in history] == [
        (None, "old@example.kz", "registration", user.id),
        ("old@example.kz", "new@example.kz", "email_confirmation", user.id)]
    events = rows(app, AuditEvent, AuditEvent.action == "profile.email_changed")
    assert [(e.actor_id, e.subject_id) for e in events] == [(user.id, user.id)]

    assert client.post("/login", data={"email": "old@example.kz", "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"email": "new@example.kz", "password": PASSWORD}).status_code == 302
    assert client.get(link).status_code == 302  # a used link changes nothing more
    assert len(rows(app, ProfileChange, ProfileChange.field == "email", ProfileChange.user_id == user.id)) == 2


def test_taking_another_accounts_address_reveals_nothing_and_never_succeeds(app, client, create_user, login, fetch,
                                                                             outbox):
    owner = create_user(email="taken@example.kz")
    first, second = create_user(email="first@example.kz"), create_user(email="second@example.kz")

    def request_change(user, address):
        login(user)
        response = submit(client, email=address, current_password=PASSWORD)
        page = client.get(response.headers["Location"]).text
        client.post("/logout")
        return response, page

    taken_response, taken_page = request_change(first, "taken@example.kz")
    free_response, free_page = request_change(second, "free@example.kz")
    assert (taken_response.status_code, taken_response.headers["Location"]) == \
        (free_response.status_code, free_response.headers["Location"])
    assert flashes(taken_page) and flashes(taken_page) == flashes(free_page)
    assert fetch(User, first.id).pending_email == "taken@example.kz"

    mails = outbox()
    # each requester hears the same at the old address; the owner of the taken one is given no link
    assert len([m for m in mails if m["To"] == "first@example.kz"]) == 1
    assert len([m for m in mails if m["To"] == "second@example.kz"]) == 1
    assert not [m for m in mails if "/confirm/" in m.get_content() and m["To"] == "taken@example.kz"]

    # even a valid link for the taken address (had one leaked) does not move it
    from cabinet.accounts import tokens

    with app.app_context():
        token = tokens.make("confirm", {"uid": first.id, "email": "taken@example.kz"})
    client.get(f"/confirm/{token}")
    assert fetch(User, first.id).email == "first@example.kz"
    assert fetch(User, owner.id).email == "taken@example.kz"
    assert not rows(app, ProfileChange, ProfileChange.field == "email", ProfileChange.basis != "registration")


def test_address_taken_before_confirmation_is_not_applied(app, client, create_user, login, fetch, outbox):
    user = create_user(email="mine@example.kz")
    login(user)
    submit(client, email="race@example.kz", current_password=PASSWORD)
    link = confirm_link([m for m in outbox() if m["To"] == "race@example.kz"][0])
    create_user(email="race@example.kz")
    client.get(link)
    stored = fetch(User, user.id)
    assert stored.email == "mine@example.kz"
    assert stored.pending_email is None


# --- name -----------------------------------------------------------------------------------


def today_almaty():
    return datetime.now(ZoneInfo("Asia/Almaty")).date()


@pytest.mark.parametrize("missing", ["current_password", "reason", "documents"])
def test_name_change_needs_password_reason_and_scan(client, create_user, login, fetch, state, missing):
    user = create_user()
    login(user)
    before = state()
    arguments = {"password": PASSWORD, "reason": "Marriage", "documents": [upload(PDF, "m.pdf")]}
    arguments[{"current_password": "password"}.get(missing, missing)] = "" if missing != "documents" else []
    response = rename(client, surname="Ахметова", **arguments)
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert fetch(User, user.id).surname == "Сейітова"
    assert state() == before


def test_name_change_with_wrong_password_is_refused(client, create_user, login, state):
    user = create_user()
    login(user)
    before = state()
    response = rename(client, surname="Ахметова", password="not-my-password")
    assert response.status_code == 200 and 'class="error"' in response.text
    assert state() == before


def test_name_change_becomes_a_pending_request_due_next_working_day(app, client, create_user, login, fetch):
    user = create_user()
    login(user)
    response = rename(client, surname="Ахметова", patronymic="Болатқызы", reason="Marriage certificate",
                      documents=[upload(PDF, "marriage.pdf"), upload(PNG, "id-card.png")])
    assert response.status_code == 302
    assert response.headers["Location"] == "/cabinet/profile"

    (request,) = rows(app, CorrectionRequest, CorrectionRequest.user_id == user.id)
    assert request.status == "pending"
    assert request.changes == {"surname": "Ахметова", "patronymic": "Болатқызы"}
    assert request.reason == "Marriage certificate"
    assert request.requested_by_id == user.id
    assert request.due_on == WorkCalendar().add_working_days(today_almaty(), 1)

    scans = rows(app, Document, Document.owner_id == user.id, Document.kind == "correction")
    assert [(d.original_name, d.attached_id) for d in scans] == [("marriage.pdf", request.id),
                                                                ("id-card.png", request.id)]
    assert scans[0].sha256 == hashlib.sha256(PDF).hexdigest()
    events = rows(app, AuditEvent, AuditEvent.action == "profile.correction_requested")
    assert [(e.actor_id, e.subject_id, e.object_id) for e in events] == [(user.id, user.id, str(request.id))]

    # the name itself waits for staff approval
    stored = fetch(User, user.id)
    assert (stored.surname, stored.patronymic) == ("Сейітова", None)
    assert not rows(app, ProfileChange, ProfileChange.user_id == user.id, ProfileChange.basis != "registration")
    due = f'<time datetime="{request.due_on.isoformat()}">'
    for page in ("/cabinet", "/cabinet/profile", "/cabinet/profile/history"):
        assert due in client.get(page).text, page
    profile = client.get("/cabinet/profile").text
    assert "<dd>Сейітова</dd>" in profile and "Ахметова" not in profile
    assert "Ахметова" in client.get("/cabinet/profile/history").text


def test_decomposed_letters_are_accepted_and_stored_composed(app, client, create_user, login):
    """Some keyboards send Й as И + combining breve; it is the same name."""
    user = create_user()
    login(user)
    response = rename(client, surname=unicodedata.normalize("NFD", "Йосифова"))
    assert response.status_code == 302
    (request,) = rows(app, CorrectionRequest, CorrectionRequest.user_id == user.id)
    assert request.changes == {"surname": "Йосифова"}


def test_second_name_change_while_one_is_pending_is_refused(app, client, create_user, login, state):
    user = create_user()
    login(user)
    assert rename(client, surname="Ахметова").status_code == 302
    before = state()
    response = rename(client, surname="Жұмабаева", reason="Another one")
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert state() == before
    assert [r.changes for r in rows(app, CorrectionRequest)] == [{"surname": "Ахметова"}]


def test_the_same_submission_sent_twice_creates_one_request(app, client, create_user, login, state):
    user = create_user()
    login(user)
    data = {**form_values(client), "surname": "Ахметова", "reason": "Marriage", "current_password": PASSWORD}
    first = client.post(EDIT, data={**data, "documents": [upload(PDF, "m.pdf")]}, content_type="multipart/form-data")
    assert first.status_code == 302
    after_first = state()
    second = client.post(EDIT, data={**data, "documents": [upload(PDF, "m.pdf")]}, content_type="multipart/form-data")
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert 'class="error"' not in client.get(second.headers["Location"]).text
    assert state() == after_first
    assert len(rows(app, CorrectionRequest, CorrectionRequest.user_id == user.id)) == 1


def test_a_simultaneous_resubmission_is_answered_as_the_first(app, client, create_user, login, state, monkeypatch):
    """Two copies racing past the look-up: the unique token decides, the loser answers like the winner."""
    from cabinet.profile import service

    user = create_user()
    login(user)
    data = {**form_values(client), "surname": "Ахметова", "reason": "Marriage", "current_password": PASSWORD}
    assert client.post(EDIT, data={**data, "documents": [upload(PDF)]}, content_type="multipart/form-data") \
        .status_code == 302
    after_first = state()
    real, calls = service.correction_by_token, []

    def not_yet_visible(token):
        calls.append(token)
        return None if len(calls) <= 2 else real(token)

    monkeypatch.setattr(service, "correction_by_token", not_yet_visible)
    monkeypatch.setattr(service, "pending_correction", lambda subject: None)
    second = client.post(EDIT, data={**data, "documents": [upload(PDF)]}, content_type="multipart/form-data")
    assert second.status_code == 302
    assert second.headers["Location"] == "/cabinet/profile"
    assert state() == after_first


def test_a_token_of_someone_elses_request_is_refused(app, client, create_user, login, state):
    other = create_user()
    login(other)
    token = form_values(client)["submission_token"]
    assert rename(client, surname="Ахметова", submission_token=token).status_code == 302
    client.post("/logout")
    user = create_user()
    login(user)
    before = state()
    response = rename(client, surname="Жұмабаева", submission_token=token)
    assert response.status_code == 200 and 'class="error"' in response.text
    assert state() == before


def test_nothing_changed_is_not_an_error(client, create_user, login, state):
    user = create_user()
    login(user)
    before = state()
    response = submit(client)
    assert response.status_code == 302
    assert state() == before


# --- history --------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Cell texts of every table row, per table."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag == "td":
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td":
            self.tables[-1][-1].append(" ".join(self._cell.split()))
            self._cell = None


def test_history_lists_every_change_newest_first_with_old_and_new_values(app, client, create_user, login, outbox):
    user = create_user(email="h@example.kz", phone="+77011234567")
    login(user)
    submit(client, phone="+77012222222")
    submit(client, phone="+77013333333")
    submit(client, email="h2@example.kz", current_password=PASSWORD)
    client.get(confirm_link(outbox()[-2]))

    response = client.get("/cabinet/profile/history")
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.text)
    changes = [row for row in parser.tables[-1] if row]
    stored = rows(app, ProfileChange, ProfileChange.user_id == user.id)
    assert len(changes) == len(stored)
    values = [(row[2], row[3]) for row in changes]
    assert values[:3] == [("h@example.kz", "h2@example.kz"), ("+77012222222", "+77013333333"),
                          ("+77011234567", "+77012222222")]
    assert ("—", "Сейітова") in values and ("—", "+77011234567") in values
    stamps = re.findall(r'<time datetime="([^"]+)">', response.text)
    assert stamps == sorted(stamps, reverse=True)
    assert all(s.endswith("+05:00") for s in stamps)


# --- bad input on every field ---------------------------------------------------------------

LONG = "x" * 10_000
NAME_CHANGE = {"reason": "Marriage", "current_password": PASSWORD}

BAD_INPUT = [
    # field, value, what else the submission carries
    ("email", LONG + "@example.kz", {"current_password": PASSWORD}),
    ("email", "a\x00b@example.kz", {"current_password": PASSWORD}),
    ("email", "\ufffd@example.kz", {"current_password": PASSWORD}),
    ("email", "not-an-address", {"current_password": PASSWORD}),
    ("phone", "7" * 10_000, {}),
    ("phone", "+7701\x001234567", {}),
    ("phone", "+7701\ufffd1234567", {}),
    ("surname", "А" * 10_000, NAME_CHANGE),
    ("surname", "Ахмет\x00ова", NAME_CHANGE),
    ("surname", "Ахмет\ufffdова", NAME_CHANGE),
    ("surname", "Ахметова2", NAME_CHANGE),
    ("surname", "<script>", NAME_CHANGE),
    ("surname", "   ", NAME_CHANGE),
    ("given_name", "Ай" * 5_000, NAME_CHANGE),
    ("given_name", "Ай\x00гүл", NAME_CHANGE),
    ("given_name", "4ever", NAME_CHANGE),
    ("patronymic", "Б" * 10_000, NAME_CHANGE),
    ("patronymic", "Болат\u0007ұлы", NAME_CHANGE),
    ("patronymic", "R2-D2", NAME_CHANGE),
    ("reason", "x" * 10_000, {"surname": "Ахметова", "current_password": PASSWORD}),
    ("reason", "Marriage\x00", {"surname": "Ахметова", "current_password": PASSWORD}),
    ("reason", "Marriage \ufffd", {"surname": "Ахметова", "current_password": PASSWORD}),
    ("current_password", "x" * 10_000, {"surname": "Ахметова", "reason": "Marriage"}),
    ("current_password", "x" * 10_000, {"email": "new@example.kz"}),
    ("submission_token", "x" * 10_000, {"surname": "Ахметова", **NAME_CHANGE}),
    ("submission_token", "short", {"surname": "Ахметова", **NAME_CHANGE}),
    ("submission_token", "a" * 30 + "\x00", {"surname": "Ахметова", **NAME_CHANGE}),
    ("submission_token", "", {"phone": "+77019999999"}),
]


@pytest.mark.parametrize("field, value, extra", BAD_INPUT,
                         ids=[f"{f}-{i}" for i, (f, _v, _e) in enumerate(BAD_INPUT)])
def test_bad_input_is_refused_with_a_message_and_nothing_written(app, client, create_user, login, fetch, state,
                                                                  outbox, field, value, extra):
    user = create_user(phone="+77011234567")
    login(user)
    before, mails = state(), len(outbox())
    response = submit(client, documents=[upload(PDF, "m.pdf")], **{**extra, field: value})
    assert response.status_code == 200
    assert 'class="error"' in response.text
    stored = fetch(User, user.id)
    assert (stored.email, stored.pending_email, stored.phone, stored.surname, stored.given_name,
            stored.patronymic) == (user.email, None, "+77011234567", "Сейітова", "Айгерім", None)
    assert state() == before
    assert len(outbox()) == mails


BAD_DOCUMENTS = {
    "html renamed pdf": [(HTML_AS_PDF, "scan.pdf")],
    "empty file": [(b"", "scan.pdf")],
    "one good one bad": [(PDF, "ok.pdf"), (b"MZ\x90\x00 windows executable", "photo.png")],
    "too many files": [(PDF, f"scan{i}.pdf") for i in range(6)],
}


@pytest.mark.parametrize("name_change", [True, False], ids=["with-name-change", "phone-only"])
@pytest.mark.parametrize("files", BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_bad_documents_are_refused_with_a_message_and_nothing_written(app, client, create_user, login, fetch,
                                                                       state, files, name_change):
    user = create_user(phone="+77011234567")
    login(user)
    before = state()
    extra = {"surname": "Ахметова", **NAME_CHANGE} if name_change else {"phone": "+77019999999"}
    response = submit(client, documents=[upload(data, name) for data, name in files], **extra)
    assert response.status_code == 200
    assert 'class="error"' in response.text
    stored = fetch(User, user.id)
    assert (stored.phone, stored.surname) == ("+77011234567", "Сейітова")
    assert state() == before


def test_the_maximum_number_of_files_is_accepted(app, client, create_user, login):
    user = create_user()
    login(user)
    response = rename(client, surname="Ахметова", documents=[upload(PDF, f"s{i}.pdf") for i in range(5)])
    assert response.status_code == 302
    assert len(rows(app, Document, Document.owner_id == user.id, Document.kind == "correction")) == 5


def _multipart(fields: dict[str, bytes], boundary="----cabinet-test") -> tuple[bytes, str]:
    body = b"".join(
        b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
        + value + b"\r\n" for name, value in fields.items()
    ) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("field, extra", [
    ("surname", {"reason": "Marriage", "current_password": PASSWORD}),
    ("given_name", {"reason": "Marriage", "current_password": PASSWORD}),
    ("patronymic", {"reason": "Marriage", "current_password": PASSWORD}),
    ("email", {"current_password": PASSWORD}),
    ("phone", {}),
    ("reason", {"surname": "Ахметова", "current_password": PASSWORD}),
])
def test_invalid_utf8_is_refused_without_writing(client, create_user, login, fetch, state, field, extra):
    user = create_user(phone="+77011234567")
    login(user)
    fields = {name: value.encode() for name, value in {**form_values(client), **extra}.items()}
    fields[field] = "Ахмет".encode() + b"\xff\xfe\xc3" + "ова".encode()
    body, content_type = _multipart(fields)
    before = state()
    response = client.post(EDIT, data=body, content_type=content_type)
    assert response.status_code == 200
    assert 'class="error"' in response.text
    stored = fetch(User, user.id)
    assert (stored.email, stored.pending_email, stored.phone, stored.surname) == \
        (user.email, None, "+77011234567", "Сейітова")
    assert state() == before


def test_invalid_utf8_in_a_urlencoded_post_writes_nothing(client, create_user, login, state):
    user = create_user()
    login(user)
    token = form_values(client)["submission_token"]
    before = state()
    response = client.post(EDIT, data=b"phone=%2B77019999999&submission_token=" + token.encode() + b"&surname=\xff\xfe",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert state() == before
