"""Staff handling of complaints: the queue, review, the answer, internal notes, recorded views, verification."""

import hashlib
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select

from cabinet.extensions import db
from tests.helpers import (
    CODE,
    PDF,
    PDF_WITH_JS,
    PNG,
    complaint_form,
    due_now,
    file_at,
    file_complaint,
    lifted_trigger,
    login_as,
    pdf_text,
    status_of,
    upload,
    written,
)

NOTE = "ІШКІ-ЕСКЕРТПЕ-7f3a: тек қызметкерлерге"


@pytest.fixture
def subject(create_user, login):
    user = create_user(surname="Сейітова", given_name="Әйгерім")
    login(user)
    return user


@pytest.fixture
def staff(app, create_user):
    return login_as(app, create_user(email="support@example.kz", roles=("support",)))


def answer(staff, number, text="Жауап: деректер берілмейді.", token="answer-token-000000000001", **extra):
    return staff.post(f"/staff/complaints/{number}", data={"answer": text, "submission_token": token, **extra})


# --- access -----------------------------------------------------------------------------------------

STAFF_URLS = ["/staff/complaints", "/staff/complaints/verify", "/staff/complaints/{n}", "/staff/complaints/{n}.pdf"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_pages_are_for_support_and_admin_only(app, client, create_user, subject, url):
    number = file_complaint(client)
    url = url.format(n=number)
    assert client.get(url).status_code == 403  # a subject
    admin = login_as(app, create_user(email="admin@example.kz", roles=("admin",)))
    assert admin.get(url).status_code == 200
    anonymous = app.test_client()
    assert "/login" in anonymous.get(url).headers["Location"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_staff_pages_render_in_both_languages(client, subject, staff, lang):
    number = file_complaint(client)
    staff.get(f"/lang/{lang}")
    for url in ("/staff/complaints", f"/staff/complaints/{number}", "/staff/complaints/verify",
                "/staff/complaints?status=all", "/staff/complaints?status=answered"):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.text
    assert 'href="/staff/complaints"' in staff.get("/staff").text


def test_nobody_handles_their_own_complaint(app, create_user):
    both = create_user(email="both@example.kz", roles=("subject", "support"))
    browser = login_as(app, both)
    number = file_complaint(browser)
    assert browser.get(f"/staff/complaints/{number}").status_code == 403
    assert answer(browser, number).status_code == 403


def test_unknown_number_is_404(staff, policy):
    assert staff.get("/staff/complaints/BE-2026-999999").status_code == 404


# --- the queue --------------------------------------------------------------------------------------

def test_queue_is_sorted_by_due_date_and_marks_overdue_and_due_soon(app, create_user, staff, monkeypatch):
    from cabinet.complaints import staff_views

    user = create_user()
    far, _ = file_at(app, user.id, datetime(2026, 6, 1, 6, tzinfo=UTC), monkeypatch)
    overdue, _ = file_at(app, user.id, datetime(2026, 3, 2, 6, tzinfo=UTC), monkeypatch)
    soon, soon_due = file_at(app, user.id, datetime(2026, 4, 20, 6, tzinfo=UTC), monkeypatch)
    # 1 and 7 May, 11 May (for 9 May, a Saturday) and 27 May (Kurban Ait) are days off on the way
    assert soon_due == date(2026, 6, 5)
    monkeypatch.setattr(staff_views, "local_today", lambda: date(2026, 5, 29))  # 5 working days before it
    html = staff.get("/staff/complaints").text
    rows = re.findall(r'<tr class="([^"]*)" data-number="([^"]+)"', html)
    assert rows == [("overdue", overdue), ("due-soon", soon), ("", far)]


def test_queue_filters_by_status(app, client, subject, staff):
    first = file_complaint(client, submission_token="a" * 24)
    second = file_complaint(client, submission_token="b" * 24, subject="Екінші шағым")
    answer(staff, second)
    assert first in staff.get("/staff/complaints").text and second not in staff.get("/staff/complaints").text
    answered = staff.get("/staff/complaints?status=answered").text
    assert second in answered and first not in answered
    everything = staff.get("/staff/complaints?status=all").text
    assert first in everything and second in everything
    assert staff.get("/staff/complaints?status=nonsense").status_code == 200


def test_queue_is_paginated_with_a_bounded_number_of_queries(app, create_user, staff, monkeypatch):
    user = create_user()

    def queries(url):
        with app.app_context():
            engine = db.engine
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert staff.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    for day in range(1, 4):
        file_at(app, user.id, datetime(2026, 6, day, 6, tzinfo=UTC), monkeypatch)
    few = queries("/staff/complaints")
    for day in range(1, 28):
        file_at(app, user.id, datetime(2026, 7, day, 6, tzinfo=UTC), monkeypatch)
    assert queries("/staff/complaints") == few
    assert staff.get("/staff/complaints").text.count("data-number=") == 25
    assert staff.get("/staff/complaints?page=2").text.count("data-number=") == 5
    assert staff.get("/staff/complaints?page=99").text.count("data-number=") == 5


# --- handling -------------------------------------------------------------------------------------

def test_every_staff_view_is_in_the_subjects_access_log(app, client, subject, staff):
    from cabinet.audit.models import AuditEvent

    number = file_complaint(client)
    staff.get(f"/staff/complaints/{number}")
    staff.get(f"/staff/complaints/{number}.pdf")
    with app.app_context():
        seen = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == subject.id,
                                                                  AuditEvent.action.like("complaint.%"))
                                .order_by(AuditEvent.seq)).all()
    assert seen == ["complaint.filed", "complaint.viewed", "complaint.printed"]
    log = client.get("/cabinet/access-log").text
    assert 'data-action="complaint.viewed"' in log and 'data-action="complaint.printed"' in log


def test_review_then_answer_reaches_the_subject(app, client, subject, staff, outbox):
    number = file_complaint(client)
    assert staff.post(f"/staff/complaints/{number}/review").status_code == 302
    assert status_of(app, number) == "under_review"
    assert 'data-step="under_review"' in client.get(f"/cabinet/complaints/{number}").text
    assert staff.post(f"/staff/complaints/{number}/review", follow_redirects=True).text.count("flash-error") == 1

    response = answer(staff, number, attachments=[upload(PNG, "жауап.png")])
    assert response.status_code == 302
    assert status_of(app, number) == "answered"
    page = client.get(f"/cabinet/complaints/{number}").text
    assert "Жауап: деректер берілмейді." in page
    assert hashlib.sha256(PNG).hexdigest() in page
    assert 'data-step="answered"' in page and 'name="confirm"' not in page
    download = re.search(r'href="(/cabinet/documents/\d+)">жауап.png', page).group(1)
    assert client.get(download).data == PNG

    mails = outbox()
    assert len(mails) == 2 and mails[1]["To"] == subject.email
    assert number in mails[1]["Subject"] and f"/cabinet/complaints/{number}" in mails[1].get_content()
    text = pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)
    assert "Жауап: деректер берілмейді." in text


def test_answer_is_given_once(app, client, subject, staff, outbox):
    number = file_complaint(client)
    answer(staff, number)
    answer(staff, number)  # the same form again
    before = written(app)
    response = answer(staff, number, text="Екінші жауап", token="answer-token-000000000002")
    assert response.status_code == 302
    assert written(app) == before
    assert client.get(f"/cabinet/complaints/{number}").text.count('data-step="answered"') == 1
    assert len(outbox()) == 2
    supplement = client.post(f"/cabinet/complaints/{number}/supplement",
                             data={"text": "кеш", "submission_token": "s" * 24})
    assert supplement.status_code == 302 and written(app) == before


@pytest.mark.parametrize("changes", [{"text": ""}, {"text": "ә" * 20_001}, {"text": "NUL\x00"},
                                     {"attachments": [upload(b"GIF89a", "x.gif")]},
                                     {"attachments": [upload(PDF_WITH_JS, "answer.pdf")]}, {"token": "short"}])
def test_bad_answer_shows_a_message_and_writes_nothing(app, client, subject, staff, outbox, changes):
    number = file_complaint(client)
    staff.get(f"/staff/complaints/{number}")
    before = written(app)
    extra = {"attachments": changes.pop("attachments")} if "attachments" in changes else {}
    kwargs = {"text": "Жауап", "token": "answer-token-000000000001", **changes}
    response = answer(staff, number, **kwargs, **extra)
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    after = written(app)
    assert after.pop("audit_events") == before.pop("audit_events") + 1  # only the page view is recorded
    assert after == before
    assert status_of(app, number) == "registered"
    assert len(outbox()) == 1


def test_staff_download_only_this_complaints_attachments(app, client, subject, staff):
    number = file_complaint(client, attachments=[upload()])
    page = staff.get(f"/staff/complaints/{number}").text
    link = re.search(rf'href="(/staff/complaints/{number}/documents/(\d+))"', page)
    assert staff.get(link.group(1)).data == PDF
    registration_scan = int(link.group(2)) - 1
    assert staff.get(f"/staff/complaints/{number}/documents/{registration_scan}").status_code == 404


# --- internal notes -----------------------------------------------------------------------------------

def test_internal_notes_are_never_shown_to_the_subject(app, client, subject, staff):
    number = file_complaint(client)
    assert staff.post(f"/staff/complaints/{number}/notes",
                      data={"note-text": NOTE, "note-submission_token": "n" * 24}).status_code == 302
    staff.post(f"/staff/complaints/{number}/notes", data={"note-text": NOTE, "note-submission_token": "n" * 24})
    assert staff.get(f"/staff/complaints/{number}").text.count(NOTE) == 1
    answer(staff, number)
    for url in (f"/cabinet/complaints/{number}", "/cabinet/complaints", "/cabinet/access-log", "/cabinet/export"):
        assert NOTE not in client.get(url).get_data(as_text=True), url
    assert NOTE not in pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)
    assert NOTE not in pdf_text(staff.get(f"/staff/complaints/{number}.pdf").data)


def test_empty_note_is_refused(app, client, subject, staff):
    number = file_complaint(client)
    before = written(app)
    response = staff.post(f"/staff/complaints/{number}/notes",
                          data={"note-text": " ", "note-submission_token": "n" * 24}, follow_redirects=True)
    assert "flash-error" in response.text
    after = written(app)
    assert after.pop("audit_events") == before.pop("audit_events") + 1  # the page view after the redirect
    assert after == before


def test_a_note_form_used_on_another_complaint_is_refused_not_reported_saved(app, client, subject, staff):
    first = file_complaint(client)
    second = file_complaint(client, submission_token="s" * 24, subject="Екінші шағым")
    staff.post(f"/staff/complaints/{first}/notes", data={"note-text": NOTE, "note-submission_token": "n" * 24},
               follow_redirects=True)
    response = staff.post(f"/staff/complaints/{second}/notes",
                          data={"note-text": "Басқа ескертпе", "note-submission_token": "n" * 24},
                          follow_redirects=True)
    assert "flash-error" in response.text and "Нысанның мерзімі өтіп кетті" in response.text
    assert "Ескертпе сақталды." not in response.text and "Басқа ескертпе" not in response.text


# --- verification -----------------------------------------------------------------------------------

def verify(staff, number, code):
    response = staff.post("/staff/complaints/verify", data={"number": number, "code": code})
    assert response.status_code == 200
    return re.search(r'data-result="(\w+)"', response.text).group(1)


def test_verification_accepts_the_printed_code_and_rejects_a_changed_one(app, client, subject, staff):
    number = file_complaint(client, attachments=[upload()])
    code = CODE.search(pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)).group(0)
    assert verify(staff, number, code) == "genuine"
    assert verify(staff, number.lower(), " " + code.lower().replace("-", " ") + " ") == "genuine"
    changed = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert verify(staff, number, changed) == "mismatch"
    assert verify(staff, "BE-2026-999999", code) == "mismatch"
    other = file_complaint(client, submission_token="o" * 24, subject="Басқа шағым")
    assert verify(staff, other, code) == "mismatch"


def test_an_earlier_printout_still_verifies_after_the_answer(app, client, subject, staff):
    number = file_complaint(client)
    before = CODE.search(pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)).group(0)
    answer(staff, number)
    after = CODE.search(pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)).group(0)
    assert after != before
    assert verify(staff, number, before) == "genuine"
    assert verify(staff, number, after) == "genuine"


def test_verification_fails_when_the_stored_snapshot_is_altered(app, client, subject, staff):
    """The database refuses to change a version; one changed anyway (its trigger dropped) no longer verifies."""
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from cabinet.complaints.models import ComplaintVersion

    number = file_complaint(client)
    code = CODE.search(pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)).group(0)
    altered = "UPDATE complaint_versions SET snapshot = replace(snapshot, 'Тексеріңіз', 'Тексермеңіз')"
    with app.app_context():
        with pytest.raises(DatabaseError):
            db.session.execute(text(altered))
        db.session.rollback()
    with lifted_trigger(app, "complaint_versions"):
        with app.app_context():
            db.session.execute(text(altered))
            db.session.commit()
            assert "Тексермеңіз" in db.session.scalar(select(ComplaintVersion.snapshot))
        assert verify(staff, number, code) == "mismatch"


# --- acting on behalf -------------------------------------------------------------------------------

def test_staff_acting_on_behalf_files_through_the_same_pages(app, create_user, staff):
    from cabinet.complaints.models import Complaint

    user = create_user(email="visitor@example.kz")
    started = staff.post(f"/staff/subjects/{user.id}/act",
                         data={"reason": "Кеңседе жазбаша өтініш бойынша", "basis": upload(PDF, "өтініш.pdf")})
    assert started.status_code == 302
    number = file_complaint(staff, **complaint_form(submission_token="behalf-token-00000000001"))
    with app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
        assert complaint.user_id == user.id and complaint.filed_by_id != user.id
    visitor = login_as(app, user)
    assert 'data-action="complaint.filed"' in visitor.get("/cabinet/access-log").text


# --- the notices' real state ------------------------------------------------------------------------

def notice_states(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-mail-state="(\w+)" data-template="(\w+)"', page)


def test_pages_show_each_notice_as_it_really_is(app, client, subject, staff, closed_port):
    """Not "the complainant is notified": queued, not sent yet after a failure, sent at a time."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"  # the mail server is down
    number = file_complaint(client)
    answer(staff, number)
    page = staff.get(f"/staff/complaints/{number}").text
    assert notice_states(page) == [("queued", "complaint_received"), ("queued", "complaint_answered")]
    assert page.count('data-attempts="1"') == 2  # "not sent yet: 1 attempt failed, the next at …"
    app.config["SMTP_URL"] = None  # back: the next attempt goes
    due_now(app)
    assert app.test_cli_runner().invoke(args=["mail", "send-queued"]).output.startswith("2 sent")
    for page in (staff.get(f"/staff/complaints/{number}").text, client.get(f"/cabinet/complaints/{number}").text):
        assert notice_states(page) == [("sent", "complaint_received"), ("sent", "complaint_answered")]
        assert page.count("<time") >= 4  # received, due, and each mail's sending time


def test_a_notice_of_another_complaint_is_not_shown(app, client, subject, staff):
    first = file_complaint(client)
    second = file_complaint(client, subject="Басқа шағым", submission_token="other-token-000000000001")
    answer(staff, first)
    assert [t for _s, t in notice_states(client.get(f"/cabinet/complaints/{second}").text)] == ["complaint_received"]
    assert [t for _s, t in notice_states(staff.get(f"/staff/complaints/{first}").text)] == [
        "complaint_received", "complaint_answered"]


@pytest.mark.parametrize(("lang", "says"), [("kk", "Өтініш берушінің тілі — қазақ тілі"),
                                            ("ru", "Язык заявителя — русский")])
def test_staff_see_the_complainants_language_before_answering(app, client, subject, staff, lang, says):
    client.get(f"/lang/{lang}")  # the complainant's language, stored with the account and frozen with the filing
    client.post(f"/lang/{lang}")
    number = file_complaint(client)
    page = staff.get(f"/staff/complaints/{number}").text
    assert f'data-answer-language="{lang}"' in page
    staff.get(f"/lang/{lang}")
    assert says in staff.get(f"/staff/complaints/{number}").text
