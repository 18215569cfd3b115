"""Property-based tests of the upload checks: whatever bytes, names and counts arrive, a scan is accepted only when it
is one, and anything else is refused with a message the visitor can read (an UploadRejected, never another error).

`check_uploads` is run directly on generated files against a model of what it must decide; a second property files
complaints with generated attachments through the browser's form and checks the database and the upload folder.
"""

import hashlib
import io
import re
import unicodedata
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from cabinet.app import create_app
from cabinet.documents import storage
from cabinet.documents.active import active_content
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.i18n import reload_changed_catalogs
from tests.helpers import PDF, PNG

#: reproducible in CI: the same examples on every run, no example database left in the working tree
CI = settings(derandomize=True, database=None, deadline=None, print_blob=True)
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb0043") + b"\x08" * 64 + b"\xff\xd9"
SCANS = {"application/pdf": PDF, "image/jpeg": JPEG, "image/png": PNG}
SIGNATURES = dict((ctype, magic) for magic, ctype in storage.SIGNATURES)
#: small limits so that "too large" and "too many" are cheap to generate; the real ones are tested in test_documents
MAX_BYTES, MAX_FILES = 4096, 3
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")

# --- generated files -------------------------------------------------------------------------------------------

real_scans = st.sampled_from(list(SCANS.values()))
#: what arrives with a scan's name: binary noise, other formats, pieces and polyglots of real scans
contents = st.one_of(
    real_scans,
    st.binary(max_size=300),
    st.builds(lambda scan, cut: scan[:cut], real_scans, st.integers(0, 8)),  # truncated headers
    st.builds(lambda scan, tail: scan + tail, real_scans, st.binary(max_size=200)),  # a scan with anything after
    st.builds(lambda head, scan: head + scan, st.sampled_from([  # another format first, a scan inside
        b"GIF89a\x01\x00", b"PK\x03\x04", b"<!DOCTYPE html><script>alert(1)</script>", b"MZ\x90\x00", b" ", b"\n",
        b"\xef\xbb\xbf", b"\x00"]), real_scans),
    st.builds(lambda scan, html: scan + html, real_scans, st.just(b"<html><script>alert(1)</script></html>")),
    st.just(b""),
    st.builds(lambda scan, extra: scan + b"\0" * (MAX_BYTES - len(scan) + extra), real_scans,
              st.integers(-2, 2)),  # around the size limit
)
names = st.one_of(
    st.sampled_from(["scan.pdf", "photo.jpg", "photo.png", "скан.pdf", "../../etc/passwd.pdf", "..\\..\\boot.ini.png",
                     "/var/www/static/x.pdf", "a\x00b.pdf", "\u202egpj.exe.pdf", "CON.pdf", ".", "..", " ", "\t.pdf",
                     "x" * 5000 + ".pdf", "a/", "<script>.png", "Ә" * 300]),
    st.text(max_size=300),
    st.builds(lambda stem, ext: stem + ext, st.text(max_size=40), st.sampled_from([".pdf", ".jpg", ".png", ""])),
)
uploads = st.lists(st.tuples(contents, st.one_of(names, st.sampled_from(["", None]))), max_size=MAX_FILES + 2)
#: names as a browser sends them: it escapes quotes, backslashes and line breaks (the test client does not, and the
#: multipart parser would then take the part for a text field)
sent_names = names.filter(lambda name: not set(name) & set('"\\\r\n')).map(lambda name: name or "x")
sent_uploads = st.lists(st.tuples(contents, sent_names), max_size=MAX_FILES + 2)


def as_files(drawn) -> list[FileStorage]:
    return [FileStorage(stream=io.BytesIO(data), filename=name) for data, name in drawn]


@pytest.fixture(scope="module")
def checker(translations_dir):
    """An application only for its configuration and translations: the checks touch no database."""
    return create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "uploads", "TESTING": True,
                       "MAX_UPLOAD_BYTES": MAX_BYTES, "MAX_UPLOAD_FILES": MAX_FILES,
                       "TRANSLATIONS_DIR": translations_dir})


@contextmanager
def asking(app, **request):
    """A request context with this app's catalogs, as a real request's first hook makes sure: Flask-Babel's cache
    belongs to the process, and an earlier test may have left its own hand-made catalogs in it."""
    with app.test_request_context(**request):
        reload_changed_catalogs()
        yield


def expected_verdict(drawn, required: bool) -> bool:
    """The model: a file field without a name was left empty; every attached file must be a scan within limits."""
    attached = [data for data, name in drawn if name]
    if len(attached) > MAX_FILES or (required and not attached):
        return False
    return all(0 < len(data) <= MAX_BYTES and storage.sniff(data) and not active(data) for data in attached)


def active(data: bytes) -> bool:
    """A PDF that could act when opened (tested by example in test_documents); random bytes hardly ever are."""
    return storage.sniff(data) == "application/pdf" and active_content(data, 8 * MAX_BYTES) is not None


@settings(CI, max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(drawn=uploads, required=st.booleans(), locale=st.sampled_from(["kk", "ru"]))
def test_an_upload_is_accepted_only_when_every_file_is_a_scan_within_the_limits(checker, drawn, required, locale):
    with asking(checker, headers={"Accept-Language": locale}):
        try:
            checked = storage.check_uploads(as_files(drawn), required=required)
        except storage.UploadRejected as refused:
            assert not expected_verdict(drawn, required), "a valid upload was refused"
            message = str(refused)
            assert CYRILLIC.search(message) and "The file" not in message, f"not in {locale}: {message!r}"
            return
    assert expected_verdict(drawn, required), "an upload the rules refuse was accepted"
    attached = [(data, name) for data, name in drawn if name]
    assert [c.data for c in checked] == [data for data, _name in attached], "a file was dropped or changed"
    for item in checked:
        assert item.content_type in SIGNATURES
        assert item.data.startswith(SIGNATURES[item.content_type]), "served as a type its bytes do not start as"
        assert item.sha256 == hashlib.sha256(item.data).hexdigest()


@settings(CI, max_examples=300)
@given(name=st.one_of(names, st.text()))
def test_a_kept_file_name_is_one_plain_printable_name(checker, name):
    """The name is only shown and offered on download (files are stored under random keys), but it must be safe."""
    with asking(checker):
        (checked,) = storage.check_uploads([FileStorage(stream=io.BytesIO(PDF), filename=name or "x")])
    kept = checked.name
    assert 0 < len(kept) <= 200 and kept.endswith(".pdf")  # named by what it is, whatever it was called
    assert not set(kept) & set('/\\"<>:|?*'), kept
    assert kept == kept.strip() and all(ch.isprintable() for ch in kept), repr(kept)
    assert unicodedata.is_normalized("NFC", kept)


@settings(CI, max_examples=30)
@given(count=st.integers(MAX_FILES + 1, MAX_FILES + 20), locale=st.sampled_from(["kk", "ru"]))
def test_too_many_files_are_refused_saying_how_many_are_allowed(checker, count, locale):
    with asking(checker, headers={"Accept-Language": locale}), \
            pytest.raises(storage.UploadRejected) as refused:
        storage.check_uploads(as_files([(PDF, f"{i}.pdf") for i in range(count)]))
    assert str(MAX_FILES) in str(refused.value) and CYRILLIC.search(str(refused.value))


@settings(CI, max_examples=30)
@given(scan=real_scans, extra=st.integers(1, 5000), name=names)
def test_a_file_over_the_size_limit_is_refused_by_name(checker, scan, extra, name):
    assume(name)
    data = scan + b"\0" * (MAX_BYTES - len(scan) + extra)
    with asking(checker, headers={"Accept-Language": "kk"}), \
            pytest.raises(storage.UploadRejected) as refused:
        storage.check_uploads([FileStorage(stream=io.BytesIO(data), filename=name)])
    assert storage._clean_name(name) in str(refused.value)


# --- through the complaint form: accepted files are stored with their rows, refused ones leave nothing ------------


def snapshot(app) -> tuple[int, int, list[str]]:
    with app.app_context():
        documents = db.session.scalar(select(func.count()).select_from(Document))
        rows = sum(db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables)
    folder = Path(app.config["UPLOAD_DIR"])
    return documents, rows, sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def signed_in(app, client, create_user, login):
    """A subject signed in once for all the examples of a test (each example files a new complaint)."""
    app.config.update(MAX_UPLOAD_BYTES=MAX_BYTES, MAX_UPLOAD_FILES=MAX_FILES)
    login(create_user())
    return client


@settings(CI, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=sent_uploads)
def test_a_complaint_keeps_exactly_the_attached_scans_or_nothing(app, signed_in, drawn):
    """Examples share the signed-in subject: each files its own complaint (a new token and subject), so they do not
    interfere."""
    token = uuid.uuid4().hex
    before = snapshot(app)
    files = [(io.BytesIO(data), name) for data, name in drawn if name]
    response = signed_in.post("/cabinet/complaints/new", content_type="multipart/form-data", data={
        "subject": f"Деректерім {token[:8]}", "body": "Мәтін", "submission_token": f"prop-{token}",
        "attachments": files})
    after = snapshot(app)
    assert response.status_code in (200, 302), response.status_code
    if expected_verdict(drawn, required=False):
        assert response.status_code == 302, "a valid complaint was refused"
        assert after[0] - before[0] == len(files), "not every attached scan was kept"
        new = sorted(set(after[2]) - set(before[2]))
        assert len(new) == len(files) and set(before[2]) <= set(after[2])
        with app.app_context():
            for key in new:
                document = db.session.scalar(select(Document).where(Document.storage_key == key))
                data = (Path(app.config["UPLOAD_DIR"]) / key).read_bytes()
                assert document.content_type == storage.sniff(data) and document.size == len(data)
    else:
        assert 'class="error"' in response.text, "refused without saying why"
        assert after == before, "a refused complaint wrote something"
