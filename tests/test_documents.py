"""Scans: checked by content, stored under random names with their hash, downloaded only by their owner."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from cabinet.accounts.models import User
from cabinet.audit.models import AuditEvent
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from tests.conftest import PASSWORD, PDF, PNG, upload

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb0043") + b"\x08" * 64 + b"\xff\xd9"
HTML = b"<!DOCTYPE html><html><script>document.location='https://evil.example'</script></html>"


def file(data: bytes, name: str = "scan.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def uploaded_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- checks, unit level ---------------------------------------------------------------------


@pytest.mark.parametrize("data, expected", [
    (PDF, "application/pdf"),
    (JPEG, "image/jpeg"),
    (PNG, "image/png"),
    (HTML, None),
    (b"GIF89a\x01\x00\x01\x00", None),
    (b"MZ\x90\x00", None),
    (b" %PDF-1.4", None),
    (b"", None),
])
def test_sniff_goes_by_content(data, expected):
    assert storage.sniff(data) == expected


@pytest.mark.parametrize("data, name, content_type", [
    (PDF, "scan.pdf", "application/pdf"),
    (JPEG, "photo.jpg", "image/jpeg"),
    (PNG, "photo.png", "image/png"),
    (PDF, "scan.txt", "application/pdf"),
    (PNG, "no-extension", "image/png"),
])
def test_scans_are_accepted_by_content_whatever_their_name(app, data, name, content_type):
    with app.test_request_context():
        (checked,) = storage.check_uploads([file(data, name)])
    assert checked.content_type == content_type
    assert checked.data == data
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("data, name", [
    (HTML, "scan.pdf"),
    (HTML, "photo.png"),
    (b"", "scan.pdf"),
    (b"GIF89a\x01\x00\x01\x00", "scan.gif"),
    (b"PK\x03\x04 zip with a pdf name", "scan.pdf"),
])
def test_other_content_is_refused(app, data, name):
    with app.test_request_context(), pytest.raises(storage.UploadRejected):
        storage.check_uploads([file(data, name)])


def test_one_bad_file_refuses_the_whole_upload(app):
    with app.test_request_context(), pytest.raises(storage.UploadRejected):
        storage.check_uploads([file(PDF), file(HTML, "second.pdf")])


def test_size_limit(app):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    exactly = PDF + b"\n" * (1000 - len(PDF))
    with app.test_request_context():
        assert len(storage.check_uploads([file(exactly)])[0].data) == 1000
        with pytest.raises(storage.UploadRejected):
            storage.check_uploads([file(exactly + b"\n")])


def test_default_size_limit_is_ten_megabytes(app):
    assert app.config["MAX_UPLOAD_BYTES"] == 10 * 1024 * 1024
    big = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
    with app.test_request_context(), pytest.raises(storage.UploadRejected):
        storage.check_uploads([file(big)])


@pytest.mark.parametrize("lang, written", [("kk", "2,5 МБ"), ("ru", "2,5 МБ")])
def test_the_size_named_to_the_user_is_the_configured_one(app, client, policy, lang, written):
    """Hints, the refusal and the 413 page say what the setting says, in the reader's way of writing numbers."""
    app.config["MAX_UPLOAD_BYTES"] = 5 * 1024 * 1024 // 2
    app.config["MAX_CONTENT_LENGTH"] = 3 * 1024 * 1024
    client.get(f"/lang/{lang}")
    page = client.get("/register").text
    assert written in page and "10 МБ" not in page
    with app.test_request_context(headers={"Accept-Language": lang}), \
            pytest.raises(storage.UploadRejected, match=written):
        storage.check_uploads([file(PDF + b"0" * (5 * 1024 * 1024 // 2))])
    too_big = client.post("/register", data={"documents": (io.BytesIO(b"0" * (3 * 1024 * 1024 + 1)), "a.pdf")})
    assert too_big.status_code == 413 and written in too_big.text and "3 МБ" in too_big.text


def test_count_limit(app):
    limit = app.config["MAX_UPLOAD_FILES"]
    with app.test_request_context():
        assert len(storage.check_uploads([file(PDF, f"{i}.pdf") for i in range(limit)])) == limit
        with pytest.raises(storage.UploadRejected):
            storage.check_uploads([file(PDF, f"{i}.pdf") for i in range(limit + 1)])


def test_required_upload(app):
    with app.test_request_context():
        assert storage.check_uploads([]) == []
        assert storage.check_uploads([FileStorage(stream=io.BytesIO(b""), filename="")]) == []
        with pytest.raises(storage.UploadRejected):
            storage.check_uploads([], required=True)
        with pytest.raises(storage.UploadRejected):
            storage.check_uploads([FileStorage(stream=io.BytesIO(b""), filename="")], required=True)


@pytest.mark.parametrize("given, cleaned", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("/var/www/static/evil.pdf", "evil.pdf"),
    ("C:\\Users\\aigerim\\Desktop\\скан.pdf", "скан.pdf"),
    ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
    ("sc\x00an\r\n.pdf", "scan.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ('a"b<c>d:e|f?g*h.pdf', "abcdefgh.pdf"),
    ("  spaced.pdf  ", "spaced.pdf"),
    ("x" * 300 + ".pdf", "x" * 200),
    ("/", "document"),
    ("\x00\x01", "document"),
    ("Ә\u0301.pdf", "Ә\u0301.pdf"),
    ("e\u0301.pdf", "\u00e9.pdf"),
])
def test_file_names_are_cleaned(app, given, cleaned):
    with app.test_request_context():
        (checked,) = storage.check_uploads([file(PDF, given)])
    assert checked.name == cleaned
    assert "/" not in checked.name and "\\" not in checked.name
    assert all(ch.isprintable() for ch in checked.name)


# --- storing --------------------------------------------------------------------------------


def checked_file(data=PDF, name="passport.pdf"):
    return storage.CheckedFile(name, storage.sniff(data), data, hashlib.sha256(data).hexdigest())


def test_stored_under_a_random_name_with_its_hash(app, create_user):
    user = create_user()
    before = uploaded_files(app)
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        first = storage.store(checked_file(PNG, "passport.png"), actor=subject, subject=subject, kind="registration")
        second = storage.store(checked_file(PNG, "passport.png"), actor=subject, subject=subject, kind="registration")
        db.session.commit()
        first_id, key, path = first.id, first.storage_key, storage.path_of(first)
        assert first.storage_key != second.storage_key
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert path.parent == Path(app.config["UPLOAD_DIR"]) and path.name == key
    assert path.read_bytes() == PNG
    assert "passport.png" not in uploaded_files(app)
    assert len(uploaded_files(app)) == len(before) + 2
    with app.app_context():
        stored = db.session.get(Document, first_id)
        assert (stored.original_name, stored.content_type, stored.size, stored.owner_id) == \
            ("passport.png", "image/png", len(PNG), user.id)
        assert stored.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.uploaded",
                                                           AuditEvent.object_id == str(first_id)))
        assert (event.actor_id, event.subject_id, event.details["sha256"]) == (user.id, user.id, stored.sha256)


def test_a_rolled_back_transaction_leaves_no_file(app, create_user):
    user = create_user()
    before = uploaded_files(app)
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        document = storage.store(checked_file(), actor=subject, subject=subject, kind="registration")
        path = storage.path_of(document)
        assert path.exists()
        db.session.rollback()
        assert not path.exists()
        assert db.session.scalar(select(Document).where(Document.storage_key == path.name)) is None
    assert uploaded_files(app) == before


def test_a_failure_inside_store_leaves_no_file(app, create_user, monkeypatch):
    user = create_user()
    before = uploaded_files(app)

    def broken_trail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(storage.trail, "record", broken_trail)
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        with pytest.raises(RuntimeError):
            storage.store(checked_file(), actor=subject, subject=subject, kind="registration")
        db.session.rollback()
    assert uploaded_files(app) == before


def test_a_session_ended_without_commit_leaves_no_file(app, create_user):
    """A request that stores a file and then returns without committing (teardown closes the session)."""
    user = create_user()
    before = uploaded_files(app)
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        storage.store(checked_file(), actor=subject, subject=subject, kind="registration")
        db.session.remove()
    assert uploaded_files(app) == before


def test_a_committed_file_survives_later_rollbacks(app, create_user):
    user = create_user()
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        path = storage.path_of(storage.store(checked_file(), actor=subject, subject=subject, kind="registration"))
        db.session.commit()
        db.session.get(User, user.id).phone = "+77019999999"
        db.session.rollback()
        db.session.remove()
    assert path.read_bytes() == PDF


def test_files_uploaded_through_the_form_get_random_names(app, client, create_user, login):
    user = create_user()
    login(user)
    page = client.get("/cabinet/profile/edit").text
    token = re.search(r'name="submission_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/cabinet/profile/edit", content_type="multipart/form-data", data={
        "surname": "Ахметова", "reason": "Marriage", "current_password": PASSWORD, "submission_token": token,
        "documents": [upload(PNG, "../../../static/marriage.png")]})
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.kind == "correction"))
        assert document.original_name == "marriage.png"
        assert storage.path_of(document).read_bytes() == PNG
    assert "marriage.png" not in uploaded_files(app)
    assert not (Path(app.root_path).parent / "static" / "marriage.png").exists()


# --- download -------------------------------------------------------------------------------


def documents_of(app, user_id):
    with app.app_context():
        return list(db.session.scalars(select(Document).where(Document.owner_id == user_id).order_by(Document.id)))


def downloads(app):
    with app.app_context():
        return [(e.actor_id, e.subject_id, e.object_id) for e in
                db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.downloaded"))]


def test_owner_downloads_the_exact_bytes_as_an_attachment(app, client, create_user, login):
    user = create_user()
    (document,) = documents_of(app, user.id)
    login(user)
    response = client.get(f"/cabinet/documents/{document.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "id.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert downloads(app) == [(user.id, user.id, str(document.id))]


def test_listed_on_the_documents_page_with_a_download_link(app, client, create_user, login):
    user = create_user()
    (document,) = documents_of(app, user.id)
    login(user)
    page = client.get("/cabinet/documents").text
    assert f'href="/cabinet/documents/{document.id}"' in page
    assert document.sha256[:16] in page
    assert re.search(r'<time datetime="[^"]+\+05:00">', page)


def test_non_ascii_name_is_sent_in_the_rfc_5987_form(app, client, create_user, login):
    user = create_user()
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        document = storage.store(checked_file(PNG, "куәлік.png"), actor=subject, subject=subject, kind="registration")
        db.session.commit()
        document_id = document.id
    login(user)
    response = client.get(f"/cabinet/documents/{document_id}")
    assert response.status_code == 200
    assert response.data == PNG
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''%D0%BA%D1%83%D3%99%D0%BB%D1%96%D0%BA.png" in disposition


def test_another_subject_gets_404_and_nothing_is_recorded(app, client, create_user, login):
    owner, other = create_user(), create_user()
    (document,) = documents_of(app, owner.id)
    login(other)
    response = client.get(f"/cabinet/documents/{document.id}")
    assert response.status_code == 404
    assert PDF not in response.data
    assert downloads(app) == []


def test_anonymous_is_sent_to_sign_in(app, client, create_user):
    user = create_user()
    (document,) = documents_of(app, user.id)
    response = client.get(f"/cabinet/documents/{document.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert downloads(app) == []


@pytest.mark.parametrize("url", ["/cabinet/documents/999999", "/cabinet/documents/0", "/cabinet/documents/-1",
                                 "/cabinet/documents/abc", "/cabinet/documents/1.5",
                                 "/cabinet/documents/2147483648", "/cabinet/documents/99999999999999999999"])
def test_unknown_document_is_404(client, create_user, login, url):
    login(create_user())
    assert client.get(url).status_code == 404


def test_a_missing_file_is_404_not_an_error(app, client, create_user, login):
    user = create_user()
    (document,) = documents_of(app, user.id)
    with app.app_context():
        storage.path_of(document).unlink()
    login(user)
    assert client.get(f"/cabinet/documents/{document.id}").status_code == 404
    assert downloads(app) == []
