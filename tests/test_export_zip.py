"""All my data as a ZIP a person opens: a page to read in their language, their scans, the JSON beside it."""

import hashlib
import io
import json
import re
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.audit import trail
from cabinet.audit.models import AuditEvent
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.i18n import local_today
from tests.helpers import PNG, load, pending_correction, statements_run, upload

A_SCAN = PNG + b"a's own scan bytes"
A_ATTACHMENT = PNG + b"a's complaint attachment"
B_SCAN = PNG + b"only-b's-bytes"
#: what a developer's JSON says and a person's page must not
ENGLISH_KEYS = ("actor_id", "profile_history", "old_value", "changed_at", '"self"', "basis_document", "consent.grant",
                "staff.subject_viewed", "under_review", "registered_at", "third_party", "sha256\"")
ISO_IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def checked(name: str, data: bytes) -> storage.CheckedFile:
    return storage.CheckedFile(name, "image/png", data, hashlib.sha256(data).hexdigest())


@pytest.fixture
def people(app, create_user):
    """Subject A with data of every kind and a scan of their own, subject B with distinguishable data, staff."""
    a = create_user(email="a@example.kz", phone="+77011111111", surname="Әлиева")
    b = create_user(email="b@example.kz", phone="+77017777777", surname="Басқабаев", given_name="Бекзат")
    staff = create_user(email="staff@example.kz", roles=("support",), surname="Қызметкерова", given_name="Ерлан")
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.consents import service as consents
    from cabinet.disclosures import service as disclosures
    from cabinet.profile import service as profile

    with app.test_request_context():
        subject_a, subject_b, worker = (db.session.get(User, u.id) for u in (a, b, staff))
        profile.change_phone(subject_a, "+77012222222", actor=subject_a)
        consents.change(subject_a, "marketing", "grant", actor=Actor(subject_a), channel="cabinet")
        profile.request_name_correction(subject_a, {"surname": "Жаңабаева"}, "Неке куәлігі", [],
                                        actor=subject_a, token="a" * 32, due_on=date(2026, 3, 3))
        disclosures.record(subject_a, actor=worker, recipient="Прокуратура", basis="3.4.1",
                           categories="ТАӘ, телефон", disclosed_on=date(2026, 2, 2), reference="№ 12/345")
        trail.record("staff.subject_viewed", actor=worker, subject=subject_a, obj=subject_a,
                     details={"reason": "Қоңырау бойынша"})
        storage.store(checked("../../etc/паспорт:1.png", A_SCAN), actor=subject_a, subject=subject_a,
                      kind="registration")
        complaint_operations.file(Actor(subject_a), subject_a, subject_line="Шот қате", body="Шот қате есептелген",
                                  desired_outcome="Қайта есептеу", scans=[checked("шот.png", A_ATTACHMENT)],
                                  token="zip-a-" + "x" * 20)
        profile.change_phone(subject_b, "+77018888888", actor=subject_b)
        disclosures.record(subject_b, actor=worker, recipient="B-only recipient", basis="3.4.2",
                           categories="B-only categories", disclosed_on=date(2026, 2, 3), reference="B-ref")
        storage.store(checked("b-secret.png", B_SCAN), actor=subject_b, subject=subject_b, kind="registration")
        complaint_operations.file(Actor(subject_b), subject_b, subject_line="B-only complaint", body="B-only text",
                                  desired_outcome="", scans=[], token="zip-b-" + "x" * 20)
        db.session.commit()
    return {"a": a, "b": b, "staff": staff}


def download(client, locale=None) -> tuple:
    if locale:
        client.get(f"/lang/{locale}")
    response = client.get("/cabinet/export.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    return response, archive


def read(archive, suffix: str) -> bytes:
    return archive.read(next(n for n in archive.namelist() if n.endswith(suffix)))


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags, attributes (datetime="…") and style sheet."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def test_the_archive_opens_and_holds_the_page_the_json_the_readme_and_every_scan(app, client, login, people):
    a = people["a"]
    login(a)
    response, archive = download(client)
    assert response.mimetype == "application/zip"
    with app.app_context():
        root = f"cabinet-export-{local_today().isoformat()}"  # the operator's day (Astana), not the machine's
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert f"{root}.zip" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    names = archive.namelist()
    assert all(n.startswith(root + "/") for n in names)
    with app.app_context():
        documents = db.session.scalars(select(Document).where(Document.owner_id == a.id).order_by(Document.id)).all()
    scans = sorted(n for n in names if n.startswith(f"{root}/documents/"))
    assert {f"{root}/my-data.html", f"{root}/data.json", f"{root}/README.txt"} == set(names) - set(scans)
    assert len(scans) == len(documents) == 3  # the registration scan, A's own, the complaint's attachment
    assert all(part not in ("", ".", "..") and ":" not in part and "\\" not in part
               for n in names for part in n.split("/"))
    own = next(n for n in scans if "паспорт" in n)
    assert own.startswith(f"{root}/documents/") and own.endswith(".png")
    assert archive.read(own) == A_SCAN
    assert archive.read(next(n for n in scans if "шот" in n)) == A_ATTACHMENT
    page = read(archive, "my-data.html").decode("utf-8")
    assert f'href="{own.removeprefix(root + "/")}"' in page  # the page links the scan beside it
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_the_page_is_in_kazakh_with_words_not_keys(client, login, people):
    login(people["a"])
    _response, archive = download(client)
    page = read(archive, "my-data.html").decode("utf-8")
    assert '<html lang="kk">' in page
    for heading in ("Менің деректерім", "Өзгерістер тарихы", "Құжаттар", "Келісімдер", "Шағымдар",
                    "Деректерімнің берілуі", "Қол жеткізу журналы"):
        assert f">{heading}</" in page, heading
    for english in ("History of changes", "Surname", "Consents", "Access log", "Signed in", *ENGLISH_KEYS):
        assert english not in page, english
    seen = text_of(page)
    assert not ISO_IN_TEXT.search(seen), ISO_IN_TEXT.search(seen)
    assert "Астана уақыты" in seen and "жылғы" in seen  # moments as a person writes them, the zone named
    assert "Әлиева" in seen and "+77011111111" in seen and "+77012222222" in seen
    assert "Ерлан Қызметкерова" in seen and "Қоңырау бойынша" in seen and "Прокуратура" in seen
    assert "Сіз" in seen  # who changed the phone: the subject, in words
    readme = read(archive, "README.txt").decode("utf-8-sig")
    assert "my-data.html" in readme and "data.json" in readme


def test_the_page_is_in_russian_when_the_cabinet_is(client, login, people):
    login(people["a"])
    _response, archive = download(client, "ru")
    page = read(archive, "my-data.html").decode("utf-8")
    assert '<html lang="ru">' in page
    for heading in ("Мои данные", "История изменений", "Документы", "Согласия", "Жалобы", "Журнал доступа"):
        assert f">{heading}</" in page, heading
    assert "Менің деректерім" not in page
    for english in ENGLISH_KEYS:
        assert english not in page, english
    assert "время Астаны" in text_of(page)


def test_data_json_is_the_machines_export(client, login, people):
    login(people["a"])
    _response, archive = download(client)
    inside = json.loads(read(archive, "data.json"))
    outside = client.get("/cabinet/export").get_json()
    # the JSON download comes after the archive's, so it also lists that download; otherwise they are one
    assert outside["access_log"][-1]["action"] == "export.downloaded"
    assert inside == {**outside, "access_log": outside["access_log"][:-1]}


def test_another_subjects_data_never_appears(client, login, people):
    login(people["a"])
    _response, archive = download(client)
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert B_SCAN not in everything
    text = everything.decode("utf-8", errors="replace")
    for secret in ("b@example.kz", "+77017777777", "+77018888888", "Басқабаев", "Бекзат", "B-only", "b-secret",
                   hashlib.sha256(B_SCAN).hexdigest()):
        assert secret not in text, secret
    assert not any("b-secret" in n for n in archive.namelist())


def test_the_download_is_in_the_trail(app, client, login, people):
    a = people["a"]
    login(a)
    download(client)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all()
        assert [(e.actor_id, e.subject_id, e.details) for e in events] == [(a.id, a.id, {"format": "zip"})]
        assert trail.verify().ok


def test_staff_acting_on_the_subjects_behalf_download_it_recorded_as_acting(app, people):
    a, staff = people["a"], people["staff"]
    browser = app.test_client()
    browser.post("/login", data={"email": staff.email, "password": staff.password})
    started = browser.post(f"/staff/subjects/{a.id}/act", content_type="multipart/form-data",
                           data={"reason": "Жазбаша өтініш № 7", "basis": upload(name="өтініш.pdf")})
    assert started.status_code == 302
    _response, archive = download(browser)
    page = read(archive, "my-data.html").decode("utf-8")
    assert "Әлиева" in page and "Қызметкерова</strong>" not in page
    with app.app_context():
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.downloaded"))
        assert (event_.actor_id, event_.subject_id) == (staff.id, a.id)
        assert event_.details["format"] == "zip" and event_.details["on_behalf"]["reason"] == "Жазбаша өтініш № 7"
    login_page = app.test_client()
    login_page.post("/login", data={"email": a.email, "password": a.password})
    log = login_page.get("/cabinet/access-log").text
    assert 'data-action="export.downloaded"' in log and "Ерлан Қызметкерова" in log


def test_a_scan_whose_bytes_changed_or_vanished_is_named_so(app, client, login, people):
    a = people["a"]
    with app.app_context():
        documents = db.session.scalars(select(Document).where(Document.owner_id == a.id).order_by(Document.id)).all()
        storage.path_of(documents[0]).write_bytes(b"%PDF-1.4 not what was uploaded")
        storage.path_of(documents[1]).unlink()
        ids = [d.id for d in documents]
    login(a)
    _response, archive = download(client, "ru")
    page = read(archive, "my-data.html").decode("utf-8")
    rows = dict(re.findall(r'<tr data-document="(\d+)">(.*?)</tr>', page, re.S))
    assert "не совпадает" in rows[str(ids[0])] or "does not match" in rows[str(ids[0])]
    assert "не найден" in rows[str(ids[1])] or "was not found" in rows[str(ids[1])]
    assert not any(n.split("/documents/")[-1].startswith(f"{ids[1]}-") for n in archive.namelist())
    assert "does not match" not in rows[str(ids[2])] and "не совпадает" not in rows[str(ids[2])]


def statements_of(app, client, url) -> list[str]:
    with statements_run(app) as statements:
        assert client.get(url).status_code == 200
    return [statement for statement, _parameters in statements]


def test_the_archive_makes_a_bounded_number_of_queries(app, client, create_user, login, policy):
    user = create_user()
    pending_correction(app, user.id)
    login(user)
    load(app, create_user, policy, user.id, n=1, versions=("2",), others=1)
    statements_of(app, client, "/cabinet/export.zip")  # warm-up
    few = statements_of(app, client, "/cabinet/export.zip")
    load(app, create_user, policy, user.id, n=30, versions=("3", "4", "5"), others=50)
    statements_of(app, client, "/cabinet/export.zip")
    many = statements_of(app, client, "/cabinet/export.zip")
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= 23, "\n".join(many)  # the JSON export's reads, the staff names on the page, the trail
