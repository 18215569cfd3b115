"""A complaint reads forever as it was filed: frozen versions, byte-identical PDFs, keyed codes, the public check."""

import hashlib
import json
import re
from zoneinfo import ZoneInfo

import pytest
from limits import parse_many
from sqlalchemy import select

from cabinet.extensions import db
from tests.helpers import CODE, PNG, file_complaint, login_as, pdf_text, upload

NEW_SURNAME, NEW_PHONE = "Жаңатегі", "+77770000001"


@pytest.fixture
def subject(create_user, login):
    user = create_user(surname="Сейітова", given_name="Әйгерім", patronymic="Нұрланқызы", phone="+77011234567")
    login(user)
    return user


@pytest.fixture
def staff(app, create_user):
    return login_as(app, create_user(email="support@example.kz", roles=("support",)))


def change_name_and_phone(app, user_id):
    """What a support-approved surname correction and a confirmed phone change leave in the account."""
    from cabinet.accounts.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        user.surname, user.phone = NEW_SURNAME, NEW_PHONE
        db.session.commit()


def code_of(data: bytes) -> str:
    return CODE.search(pdf_text(data)).group(0)


def check(client, number, code):
    return client.post("/verify", data={"number": number, "code": code})


def test_a_name_and_phone_change_after_filing_leaves_version_1_as_filed(app, client, subject, staff):
    number = file_complaint(client, attachments=[upload(PNG, "скан.png")])
    first = client.get(f"/cabinet/complaints/{number}.pdf").data
    staff_first = staff.get(f"/staff/complaints/{number}.pdf").data
    staff_page = staff.get(f"/staff/complaints/{number}").text
    change_name_and_phone(app, subject.id)

    again = client.get(f"/cabinet/complaints/{number}.pdf")
    assert again.data == first  # byte-identical
    assert client.get(f"/cabinet/complaints/{number}.pdf?version=1").data == first
    assert staff.get(f"/staff/complaints/{number}.pdf").data == staff_first
    text = pdf_text(first)
    assert "Сейітова Әйгерім" in text and "+77011234567" in text
    assert NEW_SURNAME not in text and NEW_PHONE not in text
    page = staff.get(f"/staff/complaints/{number}").text
    assert "Сейітова Әйгерім Нұрланқызы" in page and "+77011234567" in page
    assert NEW_SURNAME not in page and NEW_PHONE not in page
    assert re.search(r'data-filed="complainant">[^<]*', page).group(0) == \
        re.search(r'data-filed="complainant">[^<]*', staff_page).group(0)
    assert check(staff, number, code_of(again.data)).status_code == 200
    assert 'data-result="genuine"' in check(client, number, code_of(again.data)).text


def test_the_snapshot_holds_what_the_document_shows(app, client, subject):
    from cabinet.complaints.models import Complaint, ComplaintVersion
    from cabinet.complaints.numbering import local_day
    from cabinet.workdays.service import calendar

    number = file_complaint(client, attachments=[upload(PNG, "скан.png")])
    with app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
        (version,) = db.session.scalars(select(ComplaintVersion)).all()
        frozen = json.loads(version.snapshot)
        assert version.number == 1 and not version.reconstructed
        assert version.snapshot_sha256 == hashlib.sha256(version.snapshot.encode()).hexdigest()
        assert frozen["complainant"] == {"surname": "Сейітова", "given_name": "Әйгерім", "patronymic": "Нұрланқызы",
                                         "email": subject.email, "phone": "+77011234567", "locale": "kk"}
        assert frozen["received_at"] == complaint.received_at.isoformat(timespec="microseconds")
        assert frozen["due_on"] == complaint.due_on.isoformat()
        assert frozen["policy_version"]["label"] == "1"
        assert frozen["steps"][0]["attachments"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()
        assert frozen["steps"][0]["attachments"][0]["size"] == len(PNG)
        identity = calendar().identity(local_day(complaint.received_at), complaint.due_on)
        assert frozen["calendar"] == identity and "holidays" in identity["rules"]


def test_a_supplement_makes_version_2_and_version_1_stays(app, client, subject, staff):
    number = file_complaint(client)
    first = client.get(f"/cabinet/complaints/{number}.pdf").data
    change_name_and_phone(app, subject.id)
    data = {"text": "Қосымша: тағы бір дерек.", "submission_token": "s" * 24}
    assert client.post(f"/cabinet/complaints/{number}/supplement", data=data).status_code == 302

    second = client.get(f"/cabinet/complaints/{number}.pdf")
    assert second.headers["Content-Disposition"].endswith(f"{number}-v2.pdf")
    text = pdf_text(second.data)
    assert "Менің деректерім үшінші тұлғаға берілді." in text and "Қосымша: тағы бір дерек." in text
    assert "Сейітова" in text and NEW_SURNAME not in text  # the filing part stays as filed
    assert client.get(f"/cabinet/complaints/{number}.pdf?version=1").data == first
    assert "Қосымша" not in pdf_text(first)
    assert client.get(f"/cabinet/complaints/{number}.pdf?version=2").data == second.data
    for missing in ("3", "0", "x"):
        assert client.get(f"/cabinet/complaints/{number}.pdf?version={missing}").status_code == 404
    page = client.get(f"/cabinet/complaints/{number}").text
    assert f'href="/cabinet/complaints/{number}.pdf?version=1"' in page
    assert f'href="/cabinet/complaints/{number}.pdf?version=2"' in page
    staff_page = staff.get(f"/staff/complaints/{number}").text
    assert f'href="/staff/complaints/{number}.pdf?version=1"' in staff_page

    old, new = code_of(first), code_of(second.data)
    assert old != new
    for code, version in ((old, "1"), (new, "2")):
        answer = staff.post("/staff/complaints/verify", data={"number": number, "code": code}).text
        assert f'data-result="genuine" data-version="{version}"' in answer
        assert f'data-version="{version}"' in check(client, number, code).text


def test_answer_and_withdrawal_make_versions(app, client, subject, staff):
    from cabinet.complaints.models import ComplaintVersion

    answered = file_complaint(client)
    staff.post(f"/staff/complaints/{answered}", data={"answer": "Жауап мәтіні.", "submission_token": "a" * 24})
    withdrawn = file_complaint(client, submission_token="w" * 24, subject="Кері қайтарылатын шағым")
    client.post(f"/cabinet/complaints/{withdrawn}/withdraw", data={"confirm": "y"})
    with app.app_context():
        kinds = {json.loads(v.snapshot)["number"]: (v.number, json.loads(v.snapshot)["status"])
                 for v in db.session.scalars(select(ComplaintVersion).order_by(ComplaintVersion.number))}
    assert kinds == {answered: (2, "answered"), withdrawn: (2, "withdrawn")}
    assert "Жауап мәтіні." in pdf_text(client.get(f"/cabinet/complaints/{answered}.pdf").data)


def test_a_review_adds_no_version(app, client, subject, staff):
    number = file_complaint(client)
    first = client.get(f"/cabinet/complaints/{number}.pdf").data
    staff.post(f"/staff/complaints/{number}/review")
    assert client.get(f"/cabinet/complaints/{number}.pdf").data == first


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_public_check_shows_number_dates_status_only(app, client, subject, lang):
    from cabinet.complaints.models import Complaint

    number = file_complaint(client, attachments=[upload(PNG, "скан.png")])
    code = code_of(client.get(f"/cabinet/complaints/{number}.pdf").data)
    stranger = app.test_client()
    stranger.get(f"/lang/{lang}")
    form = stranger.get("/verify")
    assert form.status_code == 200 and f'<html lang="{lang}">' in form.text
    answer = check(stranger, number.lower(), code.lower().replace("-", " "))
    assert answer.status_code == 200 and f'<html lang="{lang}">' in answer.text
    assert 'data-result="genuine"' in answer.text and number in answer.text
    with app.app_context():
        received = db.session.scalar(select(Complaint.received_at).where(Complaint.number == number))
        filed_on = received.astimezone(ZoneInfo(app.config["TIMEZONE"])).date()  # the operator's day, not UTC's
    assert f'datetime="{received.isoformat()}' in answer.text or filed_on.isoformat() in answer.text
    for secret in ("Сейітова", "Әйгерім", subject.email, "+77011234567", "Деректерім рұқсатсыз", "скан.png",
                   hashlib.sha256(PNG).hexdigest()):
        assert secret not in answer.text


def test_public_check_answers_a_wrong_code_and_an_unknown_number_alike(app, client, subject):
    number = file_complaint(client)
    code = code_of(client.get(f"/cabinet/complaints/{number}.pdf").data)
    stranger = app.test_client()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")

    def outcome(response):
        assert response.status_code == 200
        return re.search(r'<p class="flash flash-error" role="status" data-result="mismatch">[^<]*</p>',
                         response.text).group(0)

    answers = {outcome(check(stranger, number, wrong)), outcome(check(stranger, "BE-2026-999999", code)),
               outcome(check(stranger, number, "S9" + code[2:])), outcome(check(stranger, number, "zz"))}
    assert len(answers) == 1
    assert number not in check(stranger, number, wrong).text.split("<form")[0]
    assert stranger.post("/verify", data={"number": "", "code": ""}).status_code == 200  # form errors, no 500
    assert stranger.get("/verify/anything").status_code == 404


def test_each_public_check_of_a_complaint_is_in_the_complainants_access_log(app, client, subject):
    from cabinet.audit.models import AuditEvent

    number = file_complaint(client)
    code = code_of(client.get(f"/cabinet/complaints/{number}.pdf").data)
    stranger = app.test_client()
    check(stranger, number, code)
    check(stranger, number, code[:-1] + ("0" if code[-1] != "0" else "1"))
    check(stranger, "BE-2026-999999", code)  # no complaint: nobody's log
    with app.app_context():
        checks = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "complaint.verified_publicly")
                                    .order_by(AuditEvent.seq)).all()
    assert [(e.subject_id, e.actor_id, e.details["matches"], e.details["version"]) for e in checks] == \
        [(subject.id, None, True, 1), (subject.id, None, False, None)]
    log = client.get("/cabinet/access-log").text
    assert log.count("Басып шығарылған шағым ашық тексеру бетінде тексерілді") == 2


def test_public_check_is_rate_limited_and_needs_its_form(app, client, subject, make_app):
    from cabinet.complaints.public_views import CHECKS_PER_ADDRESS

    guarded = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", WTF_CSRF_ENABLED=True)
    stranger = guarded.test_client()
    assert check(stranger, "BE-2026-000001", "S1-0000-0000-0000-0000").status_code == 400  # no CSRF token
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://").test_client()
    allowed = parse_many(CHECKS_PER_ADDRESS)[0].amount
    answers = [check(limited, "BE-2026-000001", "S1-0000-0000-0000-0000").status_code for _ in range(allowed + 1)]
    assert answers == [200] * allowed + [429]
    refused = check(limited, "BE-2026-000001", "S1-0000-0000-0000-0000")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "flash-error" in refused.text and 'name="number"' in refused.text  # the form again, saying to wait


def test_rotated_keys_keep_old_codes_verifiable(app_config, client, subject, make_app):
    from cabinet.app import create_app

    number = file_complaint(client)
    old = code_of(client.get(f"/cabinet/complaints/{number}.pdf").data)
    assert old.startswith("S1-")
    rotated = make_app(VERIFICATION_KEYS={"S1": app_config["SECRET_KEY"], "K2": "x" * 40}, VERIFICATION_KEY_ID="K2")
    reader = rotated.test_client()
    assert 'data-result="genuine"' in check(reader, number, old).text
    retired = make_app(VERIFICATION_KEYS={"K2": "x" * 40}, VERIFICATION_KEY_ID="K2")
    assert 'data-result="mismatch"' in check(retired.test_client(), number, old).text
    with pytest.raises(RuntimeError):
        create_app({**app_config, "VERIFICATION_KEYS": {"K2": "x" * 40}, "VERIFICATION_KEY_ID": "K3"})


def test_a_complaint_filed_before_versions_gets_one_reconstructed(app, client, subject):
    from cabinet.complaints.models import ComplaintRendering, ComplaintVersion

    number = file_complaint(client)
    with app.app_context():
        db.session.execute(ComplaintRendering.__table__.delete())
        db.session.execute(ComplaintVersion.__table__.delete())
        db.session.commit()
    change_name_and_phone(app, subject.id)
    text = pdf_text(client.get(f"/cabinet/complaints/{number}.pdf").data)
    assert NEW_SURNAME in text  # made from the data as it stands now, and says so
    with app.app_context():
        (version,) = db.session.scalars(select(ComplaintVersion)).all()
        assert version.reconstructed and json.loads(version.snapshot)["reconstructed_at"]
    page = client.get(f"/cabinet/complaints/{number}").text
    assert page.count('data-version="1" data-reconstructed') == 1


def test_freeze_command_reconstructs_every_unversioned_complaint_once(app, client, subject, runner):
    from cabinet.complaints.models import ComplaintVersion

    file_complaint(client)
    file_complaint(client, submission_token="t" * 24, subject="Екінші шағым")
    with app.app_context():
        db.session.execute(ComplaintVersion.__table__.delete())
        db.session.commit()
    assert "2 complaints" in runner.invoke(args=["complaints", "freeze"]).output
    assert "0 complaints" in runner.invoke(args=["complaints", "freeze"]).output
    with app.app_context():
        assert all(v.reconstructed for v in db.session.scalars(select(ComplaintVersion)))
