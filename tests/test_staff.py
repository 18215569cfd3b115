"""Support staff (policy 2.4): find a subject, open the record with a reason, act on their behalf on a documented
basis, review name corrections; the subject sees every step, and what is theirs alone stays theirs."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.acting.models import ActingSession
from cabinet.complaints.models import Complaint
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.profile.models import CorrectionRequest, ProfileChange
from tests.helpers import (
    PASSWORD,
    PDF,
    PDF_WITH_JS,
    PNG,
    REASON,
    act,
    count,
    decide,
    events,
    log_rows,
    login_as,
    rename,
    rows,
    submit,
    upload,
    written,
)

LANGS = ["kk", "ru"]


# --- helpers ----------------------------------------------------------------------------------------

@pytest.fixture
def subject(create_user):
    return create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім", phone="+77017654321")


@pytest.fixture
def support(create_user):
    return create_user(email="support@example.kz", roles=("support",), surname="Ахметов", given_name="Болат")


@pytest.fixture
def staff(app, support):
    """A separate browser signed in as support."""
    return login_as(app, support)


def open_record(staff, user_id, reason=REASON):
    return staff.post(f"/staff/subjects/{user_id}", data={"reason": reason})


def banner(html: str) -> str:
    match = re.search(r'<div class="acting-banner".*?</div>\s*</div>', html, re.S)
    return match.group(0) if match else ""


def flashes(html: str) -> str:
    match = re.search(r'<div class="flashes".*?</div>', html, re.S)
    return match.group(0) if match else ""


def token_of(html: str) -> str:
    return re.search(r'name="submission_token" type="hidden" value="([^"]+)"', html).group(1)


def mails_to(outbox, address):
    return [m for m in outbox() if m["To"] == address]


@pytest.fixture
def acting(app, staff, subject):
    """Support acting for the subject, on a PDF basis."""
    response = act(staff, subject.id, basis=upload(PDF, "өтініш.pdf"))
    assert response.headers["Location"].endswith("/cabinet")
    return staff


# --- finding a subject ------------------------------------------------------------------------------

QUERIES = {
    "surname prefix, Cyrillic lower-case": "сейіт",
    "surname prefix, Cyrillic upper-case": "СЕЙІТ",
    "given-name prefix, Cyrillic lower-case": "айгер",
    "e-mail prefix with @": "aigerim.s@",
    "e-mail prefix without @": "aigerim.s",
    "phone, local format": "8 701 765 43 21",
    "phone, international format": "+7 (701) 765-43-21",
}


@pytest.mark.parametrize("q", QUERIES.values(), ids=QUERIES.keys())
def test_search_finds_the_subject(app, staff, subject, create_user, q):
    create_user(email="other@example.kz", surname="Бекова", given_name="Дана", phone="+77021112233")
    response = staff.get("/staff/subjects", query_string={"q": q})
    assert response.status_code == 200
    found = re.findall(r'href="/staff/subjects/(\d+)"', response.text)
    assert found == [str(subject.id)]


def test_search_finds_a_surname_beginning_with_a_kazakh_letter(staff, create_user):
    user = create_user(email="a@example.kz", surname="Әбілқасымова", given_name="Ұлжан")
    for q in ("әбілқ", "ұлжан"):
        assert re.findall(r'href="/staff/subjects/(\d+)"', staff.get(f"/staff/subjects?q={q}").text) == [str(user.id)]


def test_search_finds_by_account_number(staff, subject, create_user):
    create_user(email="other@example.kz", surname="Бекова")
    found = re.findall(r'href="/staff/subjects/(\d+)"', staff.get(f"/staff/subjects?q={subject.id}").text)
    assert found == [str(subject.id)]


def test_search_finds_subjects_only_and_nobody_for_an_empty_query(staff, support, subject):
    assert 'href="/staff/subjects/' not in staff.get(f"/staff/subjects?q={support.id}").text
    assert 'href="/staff/subjects/' not in staff.get("/staff/subjects?q=Ахметов").text
    assert 'href="/staff/subjects/' not in staff.get("/staff/subjects?q=").text


def test_search_pages_25_at_a_time(staff, create_user):
    ids = [create_user(email=f"p{n:02}@example.kz", surname="Омарова", phone=f"+770155500{n:02}").id
           for n in range(27)]
    first = staff.get("/staff/subjects?q=омар")
    assert re.findall(r'href="/staff/subjects/(\d+)"', first.text) == [str(i) for i in ids[:25]]
    assert "page=2" in first.text and "page=0" not in first.text
    second = staff.get("/staff/subjects?q=омар&page=2")
    assert re.findall(r'href="/staff/subjects/(\d+)"', second.text) == [str(i) for i in ids[25:]]
    assert "page=1" in second.text and "page=3" not in second.text
    assert staff.get("/staff/subjects?q=омар&page=-4").status_code == 200


def test_search_results_tell_people_apart_without_their_contacts(staff, subject):
    html = staff.get("/staff/subjects?q=Сейіт").text
    assert "Сейітова" in html
    assert subject.email not in html
    assert "7654321" not in html and "765 43 21" not in html


@pytest.mark.parametrize("q", ["%", "_", "Сей%", "\\", "a" * 500, "' OR 1=1 --", "99999999999999999999"])
def test_search_takes_any_text_literally(staff, subject, q):
    response = staff.get("/staff/subjects", query_string={"q": q})
    assert response.status_code == 200
    assert 'href="/staff/subjects/' not in response.text


# --- opening a record -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_opening_a_record_asks_a_reason_and_the_subject_sees_it(app, client, login, staff, support, subject, lang):
    staff.get(f"/lang/{lang}")
    asked = staff.get(f"/staff/subjects/{subject.id}")
    assert asked.status_code == 200 and f'<html lang="{lang}">' in asked.text
    assert 'name="reason"' in asked.text
    assert subject.email not in asked.text and "7654321" not in asked.text  # nothing before the reason
    assert not events(app, "staff.subject_viewed")

    response = open_record(staff, subject.id)
    assert response.headers["Location"].endswith(f"/staff/subjects/{subject.id}")
    [viewed] = events(app, "staff.subject_viewed")
    assert (viewed.actor_id, viewed.subject_id, viewed.details["reason"]) == (support.id, subject.id, REASON)
    record = staff.get(f"/staff/subjects/{subject.id}").text
    assert subject.email in record and "+77017654321" in record

    login(subject)
    client.get(f"/lang/{lang}")
    [(action, text)] = [row for row in log_rows(client.get("/cabinet/access-log").text)
                        if row[0] == "staff.subject_viewed"]
    assert "Болат Ахметов" in text and REASON in text


@pytest.mark.parametrize("reason", ["", "   ", "abc", "x" * 501, "причина\x00"])
def test_a_record_without_a_proper_reason_stays_closed(app, staff, subject, reason):
    response = open_record(staff, subject.id, reason)
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert subject.email not in response.text
    assert not events(app, "staff.subject_viewed")


def test_the_record_is_shown_for_15_minutes_then_a_new_reason_is_asked(app, staff, subject):
    open_record(staff, subject.id)
    assert subject.email in staff.get(f"/staff/subjects/{subject.id}").text
    with staff.session_transaction() as session:
        session["viewing"] = {str(subject.id): time.time() - 1}
    again = staff.get(f"/staff/subjects/{subject.id}")
    assert 'name="reason"' in again.text and subject.email not in again.text
    assert len(events(app, "staff.subject_viewed")) == 1


def test_unknown_and_non_subject_records_are_not_found(staff, support, create_user):
    admin = create_user(email="admin@example.kz", roles=("admin",))
    for user_id in (987654, support.id, admin.id, 2**31 - 1, 2**31, 10**20):
        assert staff.get(f"/staff/subjects/{user_id}").status_code == 404, user_id
        assert open_record(staff, user_id).status_code == 404, user_id
        assert act(staff, user_id, basis=upload()).status_code == 404, user_id


# --- acting on a subject's behalf -------------------------------------------------------------------

BAD_BASES = {
    "no file": None,
    "an empty file": (b"", "empty.pdf"),
    "a text file": (b"I authorise Bolat.", "request.txt"),
    "HTML named .pdf": (b"<!doctype html><script>alert(1)</script>", "request.pdf"),
    "a PDF with JavaScript": (PDF_WITH_JS, "request.pdf"),
}


@pytest.mark.parametrize("basis", BAD_BASES.values(), ids=BAD_BASES.keys())
def test_acting_without_a_valid_basis_document_is_refused(app, staff, subject, outbox, basis):
    before = written(app)
    response = act(staff, subject.id, basis=basis and upload(*basis))
    assert response.headers["Location"].endswith(f"/staff/subjects/{subject.id}")
    assert "flash-error" in flashes(staff.get("/staff").text)
    assert written(app) == before
    assert not mails_to(outbox, subject.email)
    assert staff.get("/cabinet").status_code == 403


@pytest.mark.parametrize("reason", ["", "abc", "x" * 501, "себеп\x00"])
def test_acting_without_a_proper_reason_is_refused(app, staff, subject, reason):
    before = written(app)
    act(staff, subject.id, reason=reason, basis=upload())
    assert written(app) == before
    assert staff.get("/cabinet").status_code == 403


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("basis", [(PDF, "сенімхат.pdf"), (PNG, "letter.png")], ids=["PDF", "PNG"])
def test_acting_on_a_basis_opens_the_subjects_cabinet_under_a_banner(app, staff, support, subject, outbox, lang,
                                                                     basis):
    staff.get(f"/lang/{lang}")
    response = act(staff, subject.id, basis=upload(*basis))
    assert response.headers["Location"].endswith("/cabinet")

    [session] = rows(app, ActingSession)
    assert (session.staff_id, session.subject_id, session.reason) == (support.id, subject.id, REASON)
    assert session.ended_at is None and session.expires_at - session.started_at == timedelta(minutes=30)
    [basis_doc] = rows(app, Document, Document.id == session.basis_document_id)
    assert (basis_doc.owner_id, basis_doc.kind, basis_doc.uploaded_by_id) == (subject.id, "basis", support.id)
    [started] = events(app, "staff.acting_started")
    assert (started.actor_id, started.subject_id, started.details["reason"]) == (support.id, subject.id, REASON)
    [mail] = mails_to(outbox, subject.email)
    assert REASON in mail.get_content() and "Болат" in mail.get_content()

    page = staff.get("/cabinet")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert "Айгерім" in re.search(r"<h1>(.*?)</h1>", page.text, re.S).group(1)
    shown = banner(page.text)
    assert "Сейітова Айгерім" in shown and REASON in shown and 'action="/staff/act/stop"' in shown
    profile = staff.get("/cabinet/profile").text
    assert subject.email in profile and "+77017654321" in profile and banner(profile)
    documents = staff.get("/cabinet/documents").text
    assert "id.pdf" in documents and basis[1] in documents  # the subject's registration scan, and the basis


def test_the_banner_escapes_the_reason(acting_with_html_reason):
    html = acting_with_html_reason.get("/cabinet").text
    assert "<b>важно</b>" not in banner(html) and "&lt;b&gt;важно&lt;/b&gt;" in banner(html)


@pytest.fixture
def acting_with_html_reason(staff, subject):
    act(staff, subject.id, reason="Өтініш <b>важно</b>", basis=upload())
    return staff


def test_changes_while_acting_are_recorded_as_the_staff_members_for_the_subject(app, acting, support, subject):
    response = submit(acting, phone="8 702 555 44 33")
    assert response.headers["Location"].endswith("/cabinet/profile")
    assert rows(app, User, User.id == subject.id)[0].phone == "+77025554433"
    [change] = rows(app, ProfileChange, ProfileChange.field == "phone", ProfileChange.old_value.is_not(None))
    assert (change.user_id, change.actor_id, change.old_value) == (subject.id, support.id, "+77017654321")

    form = acting.get("/cabinet/complaints/new").text
    filed = acting.post("/cabinet/complaints/new", data={
        "subject": "Деректер", "body": "Азамат атынан шағым.", "submission_token": token_of(form)})
    [complaint] = rows(app, Complaint)
    assert filed.headers["Location"].endswith(f"/cabinet/complaints/{complaint.number}")
    assert (complaint.user_id, complaint.filed_by_id) == (subject.id, support.id)

    for action in ("profile.phone_changed", "complaint.filed"):
        [event] = events(app, action)
        assert (event.actor_id, event.subject_id) == (support.id, subject.id), action
        assert event.details["on_behalf"]["reason"] == REASON, action


def test_the_password_stays_the_subjects_alone(app, acting, subject):
    assert acting.get("/cabinet/password").status_code == 403
    assert acting.post("/cabinet/password", data={"current_password": PASSWORD, "password": "new-password-123456",
                                                  "password_confirm": "new-password-123456"}).status_code == 403
    assert not events(app, "account.password_changed")


@pytest.mark.parametrize("password", [PASSWORD, "wrong"])
def test_the_sign_in_email_stays_the_subjects_alone(app, acting, subject, outbox, password):
    response = submit(acting, email="taken-over@example.kz", current_password=password)
    assert response.status_code == 200 and 'class="error"' in response.text
    assert rows(app, User, User.id == subject.id)[0].pending_email is None
    assert not events(app, "profile.email_change_requested")
    assert not mails_to(outbox, "taken-over@example.kz")


def test_stopping_ends_the_act(app, acting, support, subject):
    response = acting.post("/staff/act/stop")
    assert response.headers["Location"].endswith("/staff")
    [session] = rows(app, ActingSession)
    assert session.ended_at is not None and session.end_reason == "stopped"
    [stopped] = events(app, "staff.acting_stopped")
    assert (stopped.actor_id, stopped.subject_id) == (support.id, subject.id)
    assert acting.get("/cabinet").status_code == 403
    assert not banner(acting.get("/staff").text)
    assert acting.post("/staff/act/stop").headers["Location"].endswith("/staff")  # twice: harmless
    assert len(events(app, "staff.acting_stopped")) == 1


def test_an_expired_act_no_longer_acts(app, acting, subject):
    from cabinet.database import utcnow

    with app.app_context():
        db.session.scalar(select(ActingSession)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert acting.get("/cabinet").status_code == 403
    assert submit_blindly(acting).status_code == 403
    assert rows(app, User, User.id == subject.id)[0].phone == "+77017654321"
    [act] = rows(app, ActingSession)
    assert act.end_reason == "expired" and act.ended_at == act.expires_at
    [expired] = events(app, "staff.acting_expired")
    assert (expired.actor_id, expired.subject_id) == (act.staff_id, subject.id)


def submit_blindly(client):
    """A profile change sent from a form opened before the act expired."""
    return client.post("/cabinet/profile/edit", data={"surname": "Сейітова", "given_name": "Айгерім",
                                                      "email": "aigerim.s@mail.kz", "phone": "+77029998877",
                                                      "submission_token": "t" * 24})


def test_acting_ends_when_the_staff_member_loses_the_support_role(app, acting, support, subject):
    with app.app_context():
        user = db.session.get(User, support.id)
        user.roles = [r for r in user.roles if r.role != "support"]
        db.session.commit()
    assert acting.get("/cabinet").status_code == 403
    assert submit_blindly(acting).status_code == 403


def test_a_new_act_ends_the_previous_one(app, acting, subject, create_user):
    other = create_user(email="other@example.kz", surname="Бекова", given_name="Дана")
    act(acting, other.id, reason="Сенімхат бойынша", basis=upload())
    first, second = rows(app, ActingSession)
    assert first.end_reason == "stopped" and second.ended_at is None
    assert "Бекова Дана" in banner(acting.get("/cabinet").text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_subject_sees_every_act_in_the_access_log_and_the_history(app, client, login, staff, subject, lang):
    open_record(staff, subject.id)
    act(staff, subject.id, basis=upload())
    submit(staff, phone="+77025554433")
    staff.post("/staff/act/stop")

    login(subject)
    client.get(f"/lang/{lang}")
    log = log_rows(client.get("/cabinet/access-log").text)
    by_staff = [(action, text) for action, text in log if "Болат Ахметов" in text]
    assert [action for action, _text in by_staff] == [
        "staff.acting_stopped", "profile.phone_changed", "staff.acting_started", "document.uploaded",
        "staff.subject_viewed"]
    for action, text in by_staff:
        if action in ("staff.subject_viewed", "staff.acting_started"):
            assert REASON in text, action

    history = client.get("/cabinet/profile/history").text
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", history, re.S) if "+77025554433" in r)
    assert "+77017654321" in row and "Болат Ахметов" in row


def test_every_change_made_while_acting_shows_the_acts_reason_in_the_access_log(client, login, staff, subject):
    act(staff, subject.id, basis=upload())
    submit(staff, phone="+77025554433")
    login(subject)
    [(_action, text)] = [row for row in log_rows(client.get("/cabinet/access-log").text)
                         if row[0] == "profile.phone_changed"]
    assert REASON in text


# --- session limits and the staff member's own powers -----------------------------------------------

def test_an_idle_staff_session_ends_after_15_minutes(staff):
    with staff.session_transaction() as session:
        session["seen_at"] = time.time() - 15 * 60 - 5
    response = staff.get("/staff")
    assert response.status_code == 302 and "/login?next=/staff" in response.headers["Location"]
    assert staff.get("/staff").status_code == 302


def test_an_idle_staff_session_while_acting_ends_the_act_for_that_browser(acting):
    with acting.session_transaction() as session:
        session["seen_at"] = time.time() - 16 * 60
    assert acting.get("/cabinet").status_code == 302
    assert acting.get("/cabinet").headers["Location"].startswith("/login")


def test_a_subjects_session_idle_20_minutes_goes_on(client, login, subject):
    login(subject)
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 20 * 60
    assert client.get("/cabinet").status_code == 200


def test_support_cannot_give_themselves_roles(app, staff, support):
    assert staff.get("/admin/users").status_code == 403
    assert staff.post("/admin/users", data={"user_id": support.id, "roles": ["support", "admin"]}).status_code == 403
    assert rows(app, User, User.id == support.id)[0].role_names == ["support"]
    assert not events(app, "account.roles_changed")


def test_support_downloads_a_subjects_scan_only_while_acting(app, staff, support, subject):
    [doc] = rows(app, Document, Document.owner_id == subject.id)
    assert staff.get(f"/cabinet/documents/{doc.id}").status_code == 403
    act(staff, subject.id, basis=upload())
    response = staff.get(f"/cabinet/documents/{doc.id}")
    assert response.status_code == 200 and response.data == PDF
    [downloaded] = events(app, "document.downloaded")
    assert (downloaded.actor_id, downloaded.subject_id) == (support.id, subject.id)
    assert downloaded.details["on_behalf"]["reason"] == REASON
    staff.post("/staff/act/stop")
    assert staff.get(f"/cabinet/documents/{doc.id}").status_code == 403


# --- name corrections -------------------------------------------------------------------------------

@pytest.fixture
def correction(app, client, login, subject):
    """The subject asks for a new surname, with a reason, a scan and the password."""
    login(subject)
    response = rename(client, surname="Жаңаева", reason="Неке / брак")
    assert response.status_code == 302
    [request] = rows(app, CorrectionRequest)
    return request


@pytest.mark.parametrize("lang", LANGS)
def test_staff_see_the_correction_due_the_next_working_day(app, staff, subject, correction, lang):
    from cabinet.i18n import local_today
    from cabinet.workdays.calendar import WorkCalendar

    with app.app_context():
        due = WorkCalendar().add_working_days(local_today(), 1)
    assert correction.due_on == due
    staff.get(f"/lang/{lang}")
    page = staff.get("/staff/corrections")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert f'<time datetime="{due.isoformat()}">' in page.text
    assert "Сейітова" in page.text and "Жаңаева" in page.text and "Неке / брак" in page.text
    assert f'action="/staff/corrections/{correction.id}"' in page.text
    deadlines = staff.get("/staff").text
    assert f'<time datetime="{due.isoformat()}">' in deadlines and 'href="/staff/corrections"' in deadlines


@pytest.mark.parametrize("queue", ["corrections", "withdrawals"])
def test_the_review_queues_page_25_at_a_time_most_urgent_first(app, staff, create_user, queue):
    """However many wait, a queue page shows 25 by due date with the same queries; the pager reaches the rest."""
    from datetime import date

    from cabinet.consents.models import Withdrawal

    owners = [create_user(email=f"q{n:02}@example.kz").id for n in range(27)]
    with app.app_context():
        for n, owner in enumerate(owners):  # the last created is due first
            due = date(2026, 12, 1) + timedelta(days=len(owners) - n)
            db.session.add(CorrectionRequest(user_id=owner, changes={"surname": "Жаңа"}, reason="—", due_on=due,
                                             submission_token=f"t{n}") if queue == "corrections"
                           else Withdrawal(user_id=owner, status="scheduled", due_on=due))
        db.session.commit()
    first = staff.get(f"/staff/{queue}").text
    following = re.search(r'<a href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert following.startswith(f"/staff/{queue}?page=2&")  # page 2, found from where page 1 ends
    second = staff.get(following).text
    assert staff.get(f"/staff/{queue}?page=2").text.count("№") == second.count("№")
    numbers = [int(n) for n in re.findall(r"№ (\d+)", first + second)]
    assert numbers == owners[::-1]
    assert len(re.findall(r"№ \d+", first)) == 25
    assert f'href="/staff/{queue}?page=1"' in second and "page=3" not in second
    last = staff.get(f"/staff/{queue}?page=99").text  # a hand-edited page number: the last page
    assert re.findall(r"№ (\d+)", last) == re.findall(r"№ (\d+)", second)


def test_approving_changes_the_name_and_keeps_the_old_one(app, staff, support, subject, correction, outbox):
    response = decide(staff, correction.id, "approve")
    assert response.headers["Location"].endswith("/staff/corrections")
    assert rows(app, User, User.id == subject.id)[0].surname == "Жаңаева"
    [change] = rows(app, ProfileChange, ProfileChange.basis == "correction")
    assert (change.field, change.old_value, change.new_value, change.actor_id, change.correction_id) == \
        ("surname", "Сейітова", "Жаңаева", support.id, correction.id)
    [request] = rows(app, CorrectionRequest)
    assert (request.status, request.decided_by_id) == ("approved", support.id)
    [approved] = events(app, "profile.correction_approved")
    assert (approved.actor_id, approved.subject_id) == (support.id, subject.id)
    [mail] = mails_to(outbox, subject.email)[-1:]
    assert mail["Content-Language"] == "kk"
    assert "Жаңаева" not in staff.get("/staff/corrections").text  # decided: out of the queue


def test_rejecting_needs_a_reason_the_subject_then_reads(app, client, staff, subject, correction, outbox):
    mails = len(outbox())
    refused = decide(staff, correction.id, "reject", "   ")
    assert refused.headers["Location"].endswith("/staff/corrections")
    assert "flash-error" in flashes(staff.get("/staff/corrections").text)
    assert rows(app, CorrectionRequest)[0].status == "pending"
    assert len(outbox()) == mails

    decide(staff, correction.id, "reject", "Құжат оқылмайды / скан нечитаем")
    [request] = rows(app, CorrectionRequest)
    assert (request.status, request.decision_reason) == ("rejected", "Құжат оқылмайды / скан нечитаем")
    assert rows(app, User, User.id == subject.id)[0].surname == "Сейітова"
    assert "скан нечитаем" in mails_to(outbox, subject.email)[-1].get_content()
    for lang in LANGS:
        client.get(f"/lang/{lang}")
        assert "Құжат оқылмайды / скан нечитаем" in client.get("/cabinet/profile/history").text


@pytest.mark.parametrize("first, second", [("approve", "reject"), ("reject", "approve"), ("approve", "approve")])
def test_a_correction_is_decided_once(app, staff, subject, correction, outbox, first, second):
    decide(staff, correction.id, first, "Негіз")
    state = (rows(app, CorrectionRequest)[0].status, count(app, ProfileChange), len(outbox()))
    decide(staff, correction.id, second, "Негіз")
    assert "flash-error" in flashes(staff.get("/staff/corrections").text)
    assert (rows(app, CorrectionRequest)[0].status, count(app, ProfileChange), len(outbox())) == state


@pytest.mark.parametrize("data", [{}, {"decision": "maybe"}, {"decision": "approve", "reason": "x" * 2001},
                                  {"decision": "approve", "reason": "ok\x00"}])
def test_a_bad_decision_changes_nothing(app, staff, correction, data):
    staff.post(f"/staff/corrections/{correction.id}", data=data)
    assert rows(app, CorrectionRequest)[0].status == "pending"


def test_the_supporting_scan_is_open_to_staff_only_while_under_review(app, staff, support, correction):
    [scan] = rows(app, Document, Document.kind == "correction")
    url = f"/staff/corrections/{correction.id}/documents/{scan.id}"
    response = staff.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Cache-Control"] == "no-store"
    [downloaded] = events(app, "document.downloaded", actor_id=support.id)
    assert downloaded.subject_id == correction.user_id
    decide(staff, correction.id, "approve")
    assert staff.get(url).status_code == 404
    assert staff.get(f"/cabinet/documents/{scan.id}").status_code == 403
