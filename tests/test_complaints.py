"""The subject's written pre-court complaint (policy 5.2): filing, preview, page, PDF, supplement, withdrawal."""

import hashlib
import re

import pytest
from sqlalchemy import select

from cabinet.dates import written_date as format_date
from cabinet.extensions import db
from tests.helpers import (
    CODE,
    NUMBER,
    PDF,
    PNG,
    TOKEN,
    complaint_form,
    due_now,
    file_complaint,
    login_as,
    mail_queue,
    pdf_text,
    upload,
    written,
)


@pytest.fixture
def subject(create_user, login):
    user = create_user(surname="Сейітова", given_name="Әйгерім", patronymic="Нұрланқызы")
    login(user)
    return user


# --- pages in both languages ---------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_complaint_pages_render_in_both_languages(client, subject, lang):
    client.get(f"/lang/{lang}")
    number = file_complaint(client)
    for url in ("/cabinet/complaints", "/cabinet/complaints/new", f"/cabinet/complaints/{number}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.text
        assert response.headers["Cache-Control"] == "no-store"
    assert client.post("/cabinet/complaints/new", data=complaint_form(preview="1", submission_token="x" * 24)
                       ).text.count(f'<html lang="{lang}">') == 1


def test_nav_links_to_complaints(client, subject):
    assert 'href="/cabinet/complaints"' in client.get("/cabinet").text


# --- filing -----------------------------------------------------------------------------------------

def test_filing_registers_number_due_date_receipt_and_mail(app, client, subject, outbox):
    from cabinet.complaints.models import Complaint
    from cabinet.complaints.numbering import due_date, local_day
    from cabinet.workdays.service import calendar

    number = file_complaint(client, attachments=[upload(PDF, "акт.pdf")])
    assert re.fullmatch(r"BE-\d{4}-000001", number)
    with app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
        assert complaint.status == "registered"
        assert complaint.body == "Менің деректерім үшінші тұлғаға берілді.\nТексеріңіз."
        assert complaint.due_on == due_date(complaint.received_at)
        assert calendar().working_days_between(local_day(complaint.received_at), complaint.due_on) == 30
        assert number.split("-")[1] == str(local_day(complaint.received_at).year)
        due = complaint.due_on
    page = client.get(f"/cabinet/complaints/{number}").text
    assert number in page
    assert f'<time datetime="{due.isoformat()}">' in page
    assert hashlib.sha256(PDF).hexdigest() in page
    assert 'data-step="registered"' in page
    (mail,) = outbox()
    assert mail["To"] == subject.email
    assert number in mail["Subject"] and number in mail.get_content()
    assert f"http://cabinet.test/cabinet/complaints/{number}" in mail.get_content()
    assert format_date(due, "kk") in mail.get_content()


def test_mail_is_in_the_subjects_language(app, client, subject, outbox):
    from cabinet.complaints.models import Complaint

    client.post("/lang/ru")  # the switcher's form: the account's language, so its mail's
    file_complaint(client)
    with app.app_context():
        due = db.session.scalar(select(Complaint.due_on))
    (mail,) = outbox()
    assert format_date(due, "ru") in mail.get_content()
    assert format_date(due, "kk") not in mail.get_content()


def test_numbers_follow_each_other(client, subject):
    first = file_complaint(client, submission_token="a" * 24)
    second = file_complaint(client, submission_token="b" * 24, subject="Екінші шағым")
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_same_form_sent_twice_files_once_and_redirects_to_the_original(app, client, subject, outbox):
    first = file_complaint(client, attachments=[upload()])
    again = client.post("/cabinet/complaints/new", data=complaint_form(attachments=[upload()]))
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/cabinet/complaints/{first}")
    assert written(app)["complaints"] == 1
    assert written(app)["documents"] == 2  # the registration scan and one attachment
    assert len(outbox()) == 1


def test_double_click_whose_twin_filed_meanwhile_redirects_instead_of_asking(app, client, subject, monkeypatch):
    """A double click: the second request looked for its token before the first committed and finds the twin as
    a recent duplicate; it is the same form, so it leads to the complaint rather than asking "file it again?"."""
    from cabinet.complaints import service

    first = file_complaint(client)
    monkeypatch.setattr(service, "complaint_by_token", lambda token: None)  # looked before the twin committed
    again = client.post("/cabinet/complaints/new", data=complaint_form())
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/cabinet/complaints/{first}")
    assert written(app)["complaints"] == 1


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_back_and_file_again_asks_before_filing_the_same_complaint_twice(app, client, subject, lang):
    """Back after filing restores the text under a new token: the same subject and text within a day is asked
    about — open the one filed, or file a new one anyway."""
    client.get(f"/lang/{lang}")
    first = file_complaint(client)
    again = client.post("/cabinet/complaints/new",
                        data=complaint_form(submission_token="back-token-00000000000001", body="  менің деректерім "
                                            "үшінші тұлғаға берілді.\n\nТексеріңіз.  "))  # spacing and case aside
    assert again.status_code == 200 and f'data-duplicate="{first}"' in again.text
    assert f'href="/cabinet/complaints/{first}"' in again.text and 'name="file_anyway"' in again.text
    assert written(app)["complaints"] == 1
    anyway = client.post("/cabinet/complaints/new", data=complaint_form(submission_token="back-token-00000000000001",
                                                                         file_anyway="yes"))
    assert anyway.status_code == 302 and NUMBER.search(anyway.headers["Location"]).group(1) != first
    assert written(app)["complaints"] == 2
    other = file_complaint(client, submission_token="back-token-00000000000002", subject="Басқа мәселе")
    assert other not in (first,)  # another subject is filed at once


def test_token_of_another_subjects_complaint_files_nothing(app, client, create_user, subject):
    file_complaint(client)
    other = login_as(app, create_user(email="other@example.kz"))
    before = written(app)
    response = other.post("/cabinet/complaints/new", data=complaint_form())
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert written(app) == before


def test_preview_shows_the_text_and_files_nothing(app, client, subject):
    """Nothing is filed; the chosen file is kept as a draft for the form (tests/test_complaint_drafts.py)."""
    before = written(app)
    response = client.post("/cabinet/complaints/new", data=complaint_form(preview="1", attachments=[upload()]))
    assert response.status_code == 200
    assert 'class="complaint-preview"' in response.text
    assert "Менің деректерім үшінші тұлғаға берілді." in response.text
    assert f'value="{TOKEN}"' in response.text  # filing from the preview keeps the form's token
    after = written(app)
    assert {k: after[k] for k in ("complaints", "complaint_events", "complaint_attachments", "documents")} == \
        {k: before[k] for k in ("complaints", "complaint_events", "complaint_attachments", "documents")}


@pytest.mark.parametrize(("field", "changes"), [
    ("subject", {"subject": "ш" * 201}),
    ("subject", {"subject": ""}),
    ("body", {"body": "ә" * 10_001}),
    ("body", {"body": "NUL \x00 inside"}),
    ("body", {"body": "   "}),
    ("desired_outcome", {"desired_outcome": "ө" * 2_001}),
    ("desired_outcome", {"desired_outcome": "bell \x07"}),
    ("attachments", {"attachments": [upload(b"GIF89a not a scan", "photo.gif")]}),
    ("attachments", {"attachments": [upload(b"", "empty.pdf")]}),
    ("attachments", {"attachments": [upload(PNG, f"{i}.png") for i in range(6)]}),
    ("submission_token", {"submission_token": None}),
])
def test_bad_input_shows_a_message_and_writes_nothing(app, client, subject, outbox, field, changes):
    before = written(app)
    response = client.post("/cabinet/complaints/new", data=complaint_form(**changes))
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    if field != "submission_token":
        block = re.search(rf'<div class="field has-error">(?:(?!</div>).)*name="{field}"', response.text, re.S)
        assert block, field
    assert written(app) == before
    assert outbox() == []


def test_limits_are_stated_on_the_form(client, subject):
    html = client.get("/cabinet/complaints/new").text
    for limit in ("200", "10000", "2000"):
        assert limit in html
    assert 'maxlength="200"' in html


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection on, as in production."""
    from cabinet.app import create_app

    made = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY", "TESTING", "RATELIMIT_ENABLED",
                                                      "UPLOAD_DIR", "OUTBOX_DIR", "BASE_URL")},
                       "WTF_CSRF_ENABLED": True})
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def test_csrf_is_enforced_on_filing(csrf_app, create_user):
    user = create_user()
    client = csrf_app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert client.post("/cabinet/complaints/new", data=complaint_form()).status_code == 400
    assert written(csrf_app)["complaints"] == 0


# --- access -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("get", ""), ("get", ".pdf"), ("post", "/supplement"), ("post", "/withdraw")])
def test_another_subjects_complaint_is_404(app, client, create_user, subject, method, path):
    number = file_complaint(client)
    other = login_as(app, create_user(email="other@example.kz"))
    before = written(app)
    response = getattr(other, method)(f"/cabinet/complaints/{number}{path}",
                                      data={"text": "x", "confirm": "y", "submission_token": "t" * 24})
    assert response.status_code == 404
    assert written(app) == before
    assert other.get("/cabinet/complaints/BE-2026-999999").status_code == 404


@pytest.mark.parametrize("url", ["/cabinet/complaints", "/cabinet/complaints/new",
                                 "/cabinet/complaints/BE-2026-000001", "/cabinet/complaints/BE-2026-000001.pdf"])
def test_anonymous_visitors_are_sent_to_sign_in(client, policy, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_staff_without_subject_role_cannot_file(app, create_user):
    staff = login_as(app, create_user(email="staff@example.kz", roles=("support",)))
    assert staff.get("/cabinet/complaints/new").status_code == 403


# --- the complaint's page ---------------------------------------------------------------------------

def test_working_days_left_and_overdue(app, client, subject, monkeypatch):
    from cabinet.complaints import views
    from cabinet.complaints.models import Complaint
    from cabinet.workdays.service import calendar

    number = file_complaint(client)
    with app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
        due = complaint.due_on
        late = calendar().add_working_days(due, 3)
    page = client.get(f"/cabinet/complaints/{number}").text
    assert "30" in page and 'class="warn"' not in page
    monkeypatch.setattr(views, "local_today", lambda: late)
    page = client.get(f"/cabinet/complaints/{number}").text
    assert re.search(r'<span class="warn">[^<]*3[^<]*</span>', page)
    listing = client.get("/cabinet/complaints").text
    assert number in listing


def test_pdf_holds_everything_a_court_needs(app, client, subject):
    from cabinet.complaints.models import Complaint

    scan_hash = hashlib.sha256(PNG).hexdigest()
    number = file_complaint(client, attachments=[upload(PNG, "скан.png")])
    with app.app_context():
        due = db.session.scalar(select(Complaint.due_on).where(Complaint.number == number))
    for lang in ("kk", "ru"):
        client.get(f"/lang/{lang}")
        response = client.get(f"/cabinet/complaints/{number}.pdf")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        text = pdf_text(response.data)
        flat = re.sub(r"\s", "", text)
        assert number in text
        assert "Сейітова Әйгерім Нұрланқызы" in text
        assert subject.email in text
        assert format_date(due, lang) in text
        assert scan_hash in flat
        assert "Деректерім рұқсатсыз берілді" in text
        assert "Деректерді беруді тоқтатыңыз." in text
        operator = app.config["OPERATOR_NAME_RU" if lang == "ru" else "OPERATOR_NAME"]  # as registered in each language
        assert operator in text and app.config["OPERATOR_BIN"] in text
        assert CODE.search(text)


def test_printing_is_recorded(app, client, subject):
    from cabinet.audit.models import AuditEvent

    number = file_complaint(client)
    client.get(f"/cabinet/complaints/{number}.pdf")
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == subject.id)).all()
    assert "complaint.filed" in actions and "complaint.printed" in actions


def test_supplement_is_added_once_and_printed(app, client, subject):
    number = file_complaint(client)
    data = {"text": "Қосымша: тағы бір дерек.", "submission_token": "s" * 24, "attachments": [upload()]}
    assert client.post(f"/cabinet/complaints/{number}/supplement", data=data).status_code == 302
    data["attachments"] = [upload()]
    assert client.post(f"/cabinet/complaints/{number}/supplement", data=data).status_code == 302
    page = client.get(f"/cabinet/complaints/{number}").text
    assert page.count('data-step="supplement"') == 1
    assert "Қосымша: тағы бір дерек." in page
    assert "Қосымша: тағы бір дерек." in pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)


def test_bad_supplement_writes_nothing(app, client, subject):
    number = file_complaint(client)
    before = written(app)
    for data in ({"text": "x\x00", "submission_token": "s" * 24},
                 {"text": "ok", "submission_token": "s" * 24, "attachments": [upload(b"MZ exe", "a.exe")]},
                 {"text": "ә" * 10_001, "submission_token": "s" * 24}):
        response = client.post(f"/cabinet/complaints/{number}/supplement", data=data)
        assert response.status_code == 200
        assert 'role="alert"' in response.text
    assert written(app) == before


def test_withdrawal_needs_confirmation_then_closes_the_complaint(app, client, subject):
    number = file_complaint(client)
    before = written(app)
    assert client.post(f"/cabinet/complaints/{number}/withdraw", data={}).status_code == 200
    assert written(app) == before
    assert client.post(f"/cabinet/complaints/{number}/withdraw", data={"confirm": "y"}).status_code == 302
    page = client.get(f"/cabinet/complaints/{number}").text
    assert 'data-step="withdrawn"' in page
    assert "complaint-status-withdrawn" in page
    assert 'name="confirm"' not in page  # no second withdrawal, no supplement form
    response = client.post(f"/cabinet/complaints/{number}/supplement",
                           data={"text": "late", "submission_token": "s" * 24}, follow_redirects=True)
    assert "flash-error" in response.text
    assert page.count('data-step="supplement"') == 0


def test_open_complaint_holds_back_withdrawing_all_consent(app, client, subject):
    from cabinet.consents.withdrawal import unfinished_obligations

    number = file_complaint(client)
    with app.app_context():
        from cabinet.accounts.models import User

        obligations = unfinished_obligations(db.session.get(User, subject.id))
    assert [(o.kind, o.reference) for o in obligations] == [("complaint", number)]
    client.post(f"/cabinet/complaints/{number}/withdraw", data={"confirm": "y"})
    with app.app_context():
        assert unfinished_obligations(db.session.get(User, subject.id)) == []


def test_export_lists_complaints_with_timeline(client, subject):
    number = file_complaint(client, attachments=[upload()])
    client.post(f"/cabinet/complaints/{number}/supplement", data={"text": "Қосымша", "submission_token": "s" * 24})
    data = client.get("/cabinet/export").get_json()
    (complaint,) = data["complaints"]
    assert complaint["number"] == number
    assert complaint["status"] == "registered"
    assert complaint["filed_at"] and complaint["due_on"]
    assert complaint["subject"] == "Деректерім рұқсатсыз берілді"
    assert complaint["attachments"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert [s["kind"] for s in complaint["timeline"]] == ["registered", "supplement"]


def test_a_mail_server_down_does_not_hide_a_filed_complaint(app, client, subject, closed_port, outbox):

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"
    number = file_complaint(client)
    assert client.get(f"/cabinet/complaints/{number}").status_code == 200
    assert written(app)["complaints"] == 1
    (queued,) = mail_queue(app)
    assert queued.template == "complaint_received" and queued.sent_at is None and queued.attempts == 1
    assert "ConnectionRefusedError" in queued.last_error
    assert queued.state == "queued" and queued.next_attempt_at > queued.created_at  # tried again after a while
    app.config["SMTP_URL"] = None  # the server is back: when the back-off ends, the receipt goes
    due_now(app)
    result = app.test_cli_runner().invoke(args=["mail", "send-queued", "--older-than", "0"])
    assert result.output.strip() == "1 sent, 0 still queued"
    (receipt,) = outbox()
    assert number in receipt.get_content()
