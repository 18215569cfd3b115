"""Scans: checked by content, stored under random names with their hash, downloaded only by their owner."""

import hashlib
import io
import re
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from cabinet.accounts.models import User
from cabinet.audit.models import AuditEvent
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from tests.helpers import PASSWORD, PDF, PNG, complaint_form, registration, upload, written

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


@pytest.mark.parametrize("data, name, content_type, kept", [
    (PDF, "scan.pdf", "application/pdf", "scan.pdf"),
    (JPEG, "photo.jpg", "image/jpeg", "photo.jpg"),
    (JPEG, "photo.JPEG", "image/jpeg", "photo.jpg"),
    (PNG, "photo.png", "image/png", "photo.png"),
    (PDF, "scan.txt", "application/pdf", "scan.pdf"),
    (PDF, "poly.html", "application/pdf", "poly.pdf"),
    (PNG, "no-extension", "image/png", "no-extension.png"),
])
def test_scans_are_accepted_by_content_and_named_by_it(app, data, name, content_type, kept):
    with app.test_request_context():
        (checked,) = storage.check_uploads([file(data, name)])
    assert checked.content_type == content_type and checked.name == kept
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
    ("invoice\u202efdp.exe", "invoicefdp.pdf"),
    ('a"b<c>d:e|f?g*h.pdf', "abcdefgh.pdf"),
    ("  spaced.pdf  ", "spaced.pdf"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ("/", "document.pdf"),
    ("\x00\x01", "document.pdf"),
    (".htaccess", "htaccess.pdf"),
    ("...", "document.pdf"),
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
    assert not (Path(app.static_folder) / "marriage.png").exists()


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


# --- PDFs that could act when opened (ASVS V5.2.2) --------------------------------------------------------------

#: what a reader could do with each, as the cabinet names the reason
ACTIVE = {
    "JavaScript": (b"<</S/JavaScript/JS(app.alert(1))>>", "script"),
    "OpenAction with JS": (b"<</Type/Catalog/OpenAction<</S/JavaScript/JS 7 0 R>>>>", "script"),
    "JS alone": (b"<</JS(app.alert(1))>>", "script"),
    "Launch": (b"<</OpenAction<</S/Launch/F(cmd.exe)>>>>", "launch"),
    "EmbeddedFile": (b"<</Type/EmbeddedFile/Length 3>>", "embedded"),
    "EmbeddedFiles": (b"<</Names<</EmbeddedFiles 8 0 R>>>>", "embedded"),
    "AA": (b"<</Type/Page/AA<</O<</S/URI/URI(https://evil.example)>>>>>>", "actions"),
    "RichMedia": (b"<</Type/Annot/Subtype/RichMedia>>", "media"),
    "XFA": (b"<</AcroForm<</XFA 9 0 R>>>>", "xfa"),
}


def pdf_with(objects: bytes) -> bytes:
    return PDF.replace(b"trailer", b"3 0 obj" + objects + b"endobj\ntrailer")


def hex_escaped(objects: bytes) -> bytes:
    """Every name of two letters or more with its second letter as #xx, which a reader decodes: /J#61vaScript."""
    return re.sub(rb"/(\w)(\w+)", lambda m: b"/" + m[1] + b"#%02x" % m[2][0] + m[2][1:], objects)


def in_object_stream(objects: bytes) -> bytes:
    """The object compressed inside an object stream: where a reader finds it and a search of the bytes does not."""
    packed = zlib.compress(b"3 0 " + objects)
    return PDF.replace(b"trailer", b"5 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length "
                       + str(len(packed)).encode() + b">>stream\n" + packed + b"\nendstream\nendobj\ntrailer")


FORMS = {"as written": pdf_with, "hex-escaped": lambda o: pdf_with(hex_escaped(o)),
         "in an object stream": in_object_stream,
         "hex-escaped in an object stream": lambda o: in_object_stream(hex_escaped(o))}


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("what", ACTIVE)
def test_a_pdf_that_could_act_is_refused_naming_the_file_and_why(app, what, form, lang):
    objects, reason = ACTIVE[what]
    data = FORMS[form](objects)
    assert hex_escaped(objects) != objects and zlib.compress(objects) not in data
    with app.test_request_context(headers={"Accept-Language": lang}):
        with pytest.raises(storage.UploadRejected) as refused:
            storage.check_uploads([file(PDF), file(data, "сенімхат.pdf")])
        assert str(refused.value) == storage._active_pdf(reason, "сенімхат.pdf")
    assert "сенімхат.pdf" in str(refused.value) and re.search("[а-яә]", str(refused.value).replace("сенімхат", ""))


def test_an_encrypted_pdf_is_refused_as_impossible_to_check(app):
    with app.test_request_context():
        with pytest.raises(storage.UploadRejected) as refused:
            storage.check_uploads([file(PDF.replace(b"trailer<<", b"trailer<</Encrypt 6 0 R"), "bank.pdf")])
        assert str(refused.value) == storage._active_pdf("encrypted", "bank.pdf")


def test_a_compression_bomb_is_refused_without_inflating_it_all(app):
    app.config["MAX_UPLOAD_BYTES"] = 64 * 1024  # the cabinet inflates up to 8 times that: 512 KB
    bomb = in_object_stream(b" " * (64 * 1024 * 1024) + b"<</S/JavaScript>>")
    assert len(bomb) < 64 * 1024
    with app.test_request_context():
        with pytest.raises(storage.UploadRejected) as refused:
            storage.check_uploads([file(bomb, "bomb.pdf")])
        assert str(refused.value) == storage._active_pdf("unchecked", "bomb.pdf")


def test_plain_pdfs_still_pass(app):
    """Pages, an object stream of plain objects, what pypdf writes, and binary image data in which the bytes of
    /JS( or /AA<< happen to occur: none of it is taken for active content."""
    from pypdf import PdfWriter

    written_by_pypdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": "Сенімхат"})
    writer.write(written_by_pypdf)
    image = (b"4 0 obj<</Type/XObject/Subtype/Image/Width 8/Height 8/Filter/DCTDecode/Length 40>>stream\n"
             + JPEG[:8] + b"/JS(x)/AA<</XFA[/JavaScript" + b"\xff\xd9" + b"\nendstream\nendobj\n")
    plain = [PDF, in_object_stream(b"<</Type/Page/Parent 2 0 R>>"), written_by_pypdf.getvalue(),
             PDF.replace(b"trailer", b"3 0 obj<</Type/Catalog/OpenAction[1 0 R/Fit]>>endobj\ntrailer"),
             PDF.replace(b"trailer", image.replace(b"/JavaScript", b"\x00JavaScript") + b"trailer")]
    with app.test_request_context():
        assert [c.data for c in storage.check_uploads([file(data) for data in plain])] == plain


POLYGLOT = b"%PDF-1.4\n<!doctype html><html><script>alert(document.cookie)</script></html>\n"


def test_a_pdf_html_polyglot_is_stored_and_served_as_a_pdf(app, client, create_user, login):
    user = create_user()
    login(user)
    page = client.get("/cabinet/profile/edit").text
    token = re.search(r'name="submission_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/cabinet/profile/edit", content_type="multipart/form-data", data={
        "surname": "Ахметова", "reason": "Marriage", "current_password": PASSWORD, "submission_token": token,
        "documents": [upload(POLYGLOT, "poly.html")]})
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.kind == "correction"))
    assert (document.original_name, document.content_type) == ("poly.pdf", "application/pdf")
    served = client.get(f"/cabinet/documents/{document.id}")
    assert served.status_code == 200 and served.data == POLYGLOT
    assert served.mimetype == "application/pdf" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == "attachment; filename=poly.pdf"


def test_a_file_stored_under_a_wrong_name_is_served_by_what_it_is(app, client, create_user, login):
    """A row from before the checks named the file: the download goes by the bytes, not by the row."""
    user = create_user()
    with app.test_request_context():
        subject = db.session.get(User, user.id)
        old = storage.CheckedFile("poly.html", "text/html", POLYGLOT, hashlib.sha256(POLYGLOT).hexdigest())
        document_id = storage.store(old, actor=subject, subject=subject, kind="registration").id
        db.session.commit()
    login(user)
    served = client.get(f"/cabinet/documents/{document_id}")
    assert served.mimetype == "application/pdf" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == "attachment; filename=poly.pdf"


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("where", ["register", "profile edit", "new complaint"])
def test_the_forms_show_why_a_pdf_was_refused(app, client, create_user, login, policy, where, lang):
    evil = upload(pdf_with(ACTIVE["JavaScript"][0]), "evil.pdf")
    client.get(f"/lang/{lang}")
    if where == "register":
        before = written(app)
        response = client.post("/register", data=registration(documents=[evil]))
    else:
        login(create_user())
        before = written(app)
        if where == "profile edit":
            page = client.get("/cabinet/profile/edit").text
            token = re.search(r'name="submission_token"[^>]*value="([^"]+)"', page).group(1)
            response = client.post("/cabinet/profile/edit", data={
                "surname": "Ахметова", "reason": "Marriage", "current_password": PASSWORD,
                "submission_token": token, "documents": [evil]})
        else:
            response = client.post("/cabinet/complaints/new", data=complaint_form(attachments=[evil]))
    assert response.status_code == 200 and f'<html lang="{lang}">' in response.text
    with app.test_request_context(headers={"Accept-Language": lang}):
        message = storage._active_pdf("script", "evil.pdf")
    assert message in response.text
    after = written(app)
    after.pop("audit_events"), before.pop("audit_events")  # a page view may be recorded, nothing else
    assert after == before
