"""Separation of duties: a staff member acting for a subject takes none of the operator's decisions on that subject's
complaints, corrections or withdrawals — refused in the domain function (nothing written, the refusal explained
and recorded) and not offered on the staff pages; another staff member decides as usual."""

import re

import pytest
from sqlalchemy import func, select

from cabinet.accounts.models import User
from cabinet.acting import duties
from cabinet.audit.models import AuditEvent
from cabinet.complaints.models import Complaint, ComplaintNote
from cabinet.consents.models import Withdrawal
from cabinet.extensions import db
from cabinet.profile.models import CorrectionRequest
from tests.helpers import PASSWORD, PDF, act, file_complaint, login_as, rename, upload

REFUSAL = {"kk": "атынан әрекет етіп отырсыз", "ru": "Вы действуете от имени"}


@pytest.fixture
def subject(create_user):
    return create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім", phone="+77017654321")


@pytest.fixture
def mine(app, subject):
    """The subject's own browser."""
    return login_as(app, subject)


@pytest.fixture
def support(create_user):
    return create_user(email="support@example.kz", roles=("support",), surname="Ахметов", given_name="Болат")


@pytest.fixture
def acting(app, support, subject):
    """The support worker's browser, acting for the subject on a basis document."""
    browser = login_as(app, support)
    assert act(browser, subject.id, basis=upload(PDF, "өтініш.pdf")).headers["Location"].endswith("/cabinet")
    return browser


@pytest.fixture
def colleague(app, create_user):
    """Another support worker, acting for nobody."""
    return login_as(app, create_user(email="colleague@example.kz", roles=("support",), surname="Омарова",
                                     given_name="Дана"))


def state(app) -> dict:
    """Everything a decision writes: the records decided on, notes and trail events."""
    with app.app_context():
        return {"complaints": sorted(db.session.execute(select(Complaint.number, Complaint.status)).all()),
                "corrections": sorted(db.session.execute(select(CorrectionRequest.id, CorrectionRequest.status)).all()),
                "withdrawals": sorted(db.session.execute(select(Withdrawal.id, Withdrawal.status)).all()),
                "notes": db.session.scalar(select(func.count()).select_from(ComplaintNote)),
                "events": db.session.scalar(select(func.count()).select_from(AuditEvent))}


def refusals(app) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.decision_refused")).all()
        db.session.expunge_all()
        return found


def flashed(html: str) -> str:
    match = re.search(r'<div class="flashes".*?</div>', html, re.S)
    return match.group(0) if match else ""


def call_directly(app, support_id, decide):
    """Call a decision function as the staff member, outside any request; return the refusal's message."""
    with app.test_request_context():
        actor = db.session.get(User, support_id)
        with pytest.raises(duties.ConflictOfDuties) as refused:
            decide(actor)
        db.session.rollback()
    return str(refused.value)


# --- complaints ---------------------------------------------------------------------------------------------------

COMPLAINT_DECISIONS = {
    "answer": lambda n: (f"/staff/complaints/{n}", {"answer": "Жауап.", "submission_token": "answer-token-0000000001"}),
    "review": lambda n: (f"/staff/complaints/{n}/review", {}),
    "note": lambda n: (f"/staff/complaints/{n}/notes", {"note-text": "Ішкі ескертпе",
                                                       "note-submission_token": "note-token-00000000001"}),
}


def complaint_decision(name):
    from cabinet.complaints import operations

    return {
        "answer": lambda c, a: operations.answer(a, c, text="Жауап.", scans=[], token="answer-token-0000000001"),
        "review": lambda c, a: operations.take_under_review(a, c),
        "note": lambda c, a: operations.add_note(a, c, text="Ішкі ескертпе", token="note-token-00000000001"),
    }[name]


@pytest.mark.parametrize("decision", COMPLAINT_DECISIONS)
def test_the_domain_function_refuses_a_complaint_decision_while_acting(app, mine, support, acting, decision):
    number = file_complaint(mine)
    before = state(app)

    def decide(actor):
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
        complaint_decision(decision)(complaint, actor)

    message = call_directly(app, support.id, decide)
    assert "Сейітова Айгерім" in message and REFUSAL["kk"] in message and "шағым" in message  # Kazakh by default
    assert state(app) == before


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("decision", COMPLAINT_DECISIONS)
def test_the_staff_page_refuses_a_complaint_decision_while_acting(app, mine, acting, colleague, decision, lang):
    number = file_complaint(mine)
    acting.get(f"/lang/{lang}")
    before = state(app)
    url, data = COMPLAINT_DECISIONS[decision](number)
    response = acting.post(url, data=data)
    assert response.status_code == 302
    page = acting.get(f"/staff/complaints/{number}").text
    assert REFUSAL[lang] in flashed(page)
    after = state(app)
    assert {k: v for k, v in after.items() if k != "events"} == {k: v for k, v in before.items() if k != "events"}
    [refusal] = refusals(app)
    assert refusal.details["decision"] == "complaint" and refusal.details["act"] is not None
    assert "on_behalf" not in refusal.details  # the staff side is the operator's, never the subject's
    # the same decision by a colleague goes through
    colleague.post(url, data=data)
    assert state(app) != after


def test_the_complaint_page_offers_no_decision_while_acting(app, mine, acting, colleague):
    number = file_complaint(mine)
    page = acting.get(f"/staff/complaints/{number}").text
    assert REFUSAL["kk"] in page and "another staff member" not in page  # Kazakh by default, no English
    for form in ("/review", "/notes", f'action="/staff/complaints/{number}"'):
        assert form not in page, form
    offered = colleague.get(f"/staff/complaints/{number}").text
    assert f'action="/staff/complaints/{number}/review"' in offered and 'name="answer"' in offered


def test_an_open_act_refuses_the_decision_from_another_browser_too(app, mine, support, acting):
    number = file_complaint(mine)
    elsewhere = login_as(app, support)  # no acting cookie here
    before = state(app)
    elsewhere.post(f"/staff/complaints/{number}/review")
    assert state(app)["complaints"] == before["complaints"]
    assert len(refusals(app)) == 1


def test_after_the_act_is_stopped_the_staff_member_may_decide(app, mine, acting):
    number = file_complaint(mine)
    acting.post("/staff/act/stop")
    acting.post(f"/staff/complaints/{number}/review")
    assert state(app)["complaints"] == [(number, "under_review")]
    assert not refusals(app)


# --- corrections --------------------------------------------------------------------------------------------------

@pytest.fixture
def correction(app, mine):
    assert rename(mine, surname="Ахметова").status_code == 302
    with app.app_context():
        return db.session.scalar(select(CorrectionRequest.id))


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_domain_function_refuses_a_correction_decision_while_acting(app, support, acting, correction, decision):
    from cabinet.profile import service

    before = state(app)
    message = call_directly(app, support.id, lambda actor: service.decide_correction(
        db.session.get(CorrectionRequest, correction), decision, "Себеп", actor=actor))
    assert "атын түзету" in message and "Сейітова Айгерім" in message
    assert state(app) == before


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_staff_page_refuses_a_correction_decision_while_acting(app, subject, acting, colleague, correction,
                                                                   decision, lang):
    acting.get(f"/lang/{lang}")
    queue = acting.get("/staff/corrections").text
    assert f'action="/staff/corrections/{correction}"' not in queue  # not offered
    before = state(app)
    acting.post(f"/staff/corrections/{correction}", data={"decision": decision, "reason": "Себеп"})
    assert REFUSAL[lang] in flashed(acting.get("/staff/corrections").text)
    assert state(app)["corrections"] == before["corrections"]
    with app.app_context():
        assert db.session.get(User, subject.id).surname == "Сейітова"
    [refusal] = refusals(app)
    assert refusal.details["decision"] == "correction"
    assert f'action="/staff/corrections/{correction}"' in colleague.get("/staff/corrections").text
    colleague.post(f"/staff/corrections/{correction}", data={"decision": decision, "reason": "Себеп"})
    assert state(app)["corrections"] == [(correction, "approved" if decision == "approve" else "rejected")]


# --- withdrawals --------------------------------------------------------------------------------------------------

@pytest.fixture
def withdrawal(app, mine):
    mine.post("/cabinet/consents/withdraw-all", data={"confirm": "y", "current_password": PASSWORD})
    with app.app_context():
        found = db.session.scalar(select(Withdrawal))
        assert found.status == "scheduled"
        return found.id


@pytest.mark.parametrize("decision", ["refuse", "carry_out"])
def test_the_domain_function_refuses_a_withdrawal_decision_while_acting(app, support, withdrawal, acting, decision):
    from cabinet.consents import withdrawal as service

    before = state(app)

    def decide(actor):
        item = db.session.get(Withdrawal, withdrawal)
        if decision == "refuse":
            service.refuse(item, "Себеп", actor=actor)
        else:
            service.destroy(item, actor=actor)

    assert "келісімді кері қайтарып алу" in call_directly(app, support.id, decide)
    assert state(app) == before


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("decision", ["refuse", "carry_out"])
def test_the_staff_page_refuses_a_withdrawal_decision_while_acting(app, subject, withdrawal, acting, colleague,
                                                                   decision, lang):
    acting.get(f"/lang/{lang}")
    assert f'action="/staff/withdrawals/{withdrawal}"' not in acting.get("/staff/withdrawals").text
    before = state(app)
    acting.post(f"/staff/withdrawals/{withdrawal}", data={"decision": decision, "reason": "Себеп"})
    assert REFUSAL[lang] in flashed(acting.get("/staff/withdrawals").text)
    assert state(app)["withdrawals"] == before["withdrawals"]
    with app.app_context():
        assert db.session.get(User, subject.id).surname == "Сейітова"
    [refusal] = refusals(app)
    assert refusal.details["decision"] == "withdrawal"
    colleague.post(f"/staff/withdrawals/{withdrawal}", data={"decision": decision, "reason": "Себеп"})
    assert state(app)["withdrawals"] == [(withdrawal, "refused" if decision == "refuse" else "done")]


def test_nobody_decides_on_their_own_withdrawal(app, create_user):
    both = create_user(email="both@example.kz", roles=("subject", "support"))
    browser = login_as(app, both)
    browser.post("/cabinet/consents/withdraw-all", data={"confirm": "y", "current_password": PASSWORD})
    with app.app_context():
        item = db.session.scalar(select(Withdrawal))
    assert f'action="/staff/withdrawals/{item.id}"' not in browser.get("/staff/withdrawals").text
    browser.post(f"/staff/withdrawals/{item.id}", data={"decision": "refuse", "reason": "Себеп"})
    assert state(app)["withdrawals"] == [(item.id, "scheduled")]
