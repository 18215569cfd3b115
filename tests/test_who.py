"""Who, always in full: a change made for the subject names the staff member, their role, "on your behalf" and the
basis document — on the history page, in the access log, in the export and in the trail; the subject's own change
reads as theirs; jobs and commands name themselves and who ran them."""

import json
import os
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import cabinet.i18n
from cabinet.accounts.models import User
from cabinet.acting.models import ActingSession
from cabinet.audit import trail
from cabinet.audit.actor import Actor
from cabinet.audit.models import AuditEvent
from cabinet.extensions import db
from cabinet.profile.models import ProfileChange
from cabinet.scheduled import sweep_uploads, withdrawals_due
from tests.helpers import (
    PASSWORD,
    PDF,
    REASON,
    act,
    destroy_due,
    due_in_15_working_days,
    events,
    file_complaint,
    log_rows,
    login_as,
    submit,
    upload,
)

#: what the history row of a change made while acting says, in each language
ON_BEHALF = {
    "kk": "Сіздің атыңыздан енгізген: Болат Ахметов, қолдау қызметі — негіздеме: «өтініш.pdf»",
    "ru": "Внесено от вашего имени: Болат Ахметов, служба поддержки — основание: «өтініш.pdf»",
}
YOU = {"kk": "Сіз", "ru": "Вы"}


@pytest.fixture
def subject(create_user):
    return create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім", phone="+77017654321")


@pytest.fixture
def support(create_user):
    return create_user(email="support@example.kz", roles=("support",), surname="Ахметов", given_name="Болат")


@pytest.fixture
def acted(app, support, subject):
    """The support worker changed the subject's phone while acting for them, then stopped."""
    staff = login_as(app, support)
    act(staff, subject.id, basis=upload(PDF, "өтініш.pdf"))
    assert submit(staff, phone="+77025554433").status_code == 302
    staff.post("/staff/act/stop")
    return staff


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def history_row(client, value: str) -> str:
    html = client.get("/cabinet/profile/history").text
    return next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if value in r)


def basis_document_id(app, subject_id) -> int:
    from cabinet.documents.models import Document

    with app.app_context():
        return db.session.scalar(select(Document.id).where(Document.owner_id == subject_id, Document.kind == "basis"))


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_change_made_while_acting_reads_as_made_on_your_behalf_in_the_history(app, acted, subject, lang):
    mine = login_as(app, subject)
    mine.get(f"/lang/{lang}")
    row = history_row(mine, "+77025554433")
    assert ON_BEHALF[lang] in text_of(row)
    assert f'href="/cabinet/documents/{basis_document_id(app, subject.id)}"' in row  # the basis, one click away
    assert mine.get(f"/cabinet/documents/{basis_document_id(app, subject.id)}").data == PDF
    assert YOU[lang] + " " not in text_of(row).replace(ON_BEHALF[lang], "")


def test_the_history_entry_records_the_act_at_its_source(app, acted, support, subject):
    with app.app_context():
        change = db.session.scalar(select(ProfileChange).where(ProfileChange.new_value == "+77025554433"))
        assert (change.basis, change.actor_id) == ("acting", support.id)
        assert change.acting.staff_id == support.id and change.acting.reason == REASON
        assert change.acting.basis_document.original_name == "өтініш.pdf"
        assert change.acting.staff_role == "support"


def test_the_trail_takes_the_acting_session_from_the_actor_it_is_given(app, acted, support, subject):
    """No request here: the Actor passed to an operation alone says on whose behalf, and only about that subject."""
    with app.app_context():
        act = db.session.scalar(select(ActingSession).where(ActingSession.subject_id == subject.id))
        actor = Actor(act.staff, act)
        about_subject = trail.record("complaint.viewed", actor=actor, subject=subject.id)
        about_another = trail.record("complaint.viewed", actor=actor, subject=support.id)
        assert about_subject.details["on_behalf"] == {"act": act.id, "reason": REASON, "staff_role": "support",
                                                      "basis_document": act.basis_document_id}
        assert "on_behalf" not in about_another.details and about_subject.actor_id == support.id
        db.session.rollback()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_subjects_own_change_reads_as_their_own(app, subject, lang):
    mine = login_as(app, subject)
    mine.get(f"/lang/{lang}")
    assert submit(mine, phone="+77029998877").status_code == 302
    row = text_of(history_row(mine, "+77029998877"))
    assert f" {YOU[lang]} " in row and "Ахметов" not in row and ON_BEHALF[lang][:12] not in row
    with app.app_context():
        change = db.session.scalar(select(ProfileChange).where(ProfileChange.new_value == "+77029998877"))
        assert (change.basis, change.acting_id) == ("self", None)


def test_staff_outside_an_acting_session_cannot_change_the_phone_as_the_subject(app, support, subject):
    from cabinet.profile import service

    with app.test_request_context():
        person, worker = db.session.get(User, subject.id), db.session.get(User, support.id)
        with pytest.raises(service.ProfileError):
            service.change_phone(person, "+77020000000", actor=worker)
        db.session.rollback()
    with app.app_context():
        assert db.session.get(User, subject.id).phone == "+77017654321"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_access_log_says_on_your_behalf_with_the_basis(app, acted, subject, lang):
    mine = login_as(app, subject)
    mine.get(f"/lang/{lang}")
    html = mine.get("/cabinet/access-log").text
    [(_action, row)] = [r for r in log_rows(html) if r[0] == "profile.phone_changed"]
    assert ON_BEHALF[lang] in row and REASON in row


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_export_says_who_for_whom_and_on_what_basis(app, acted, support, subject, lang):
    mine = login_as(app, subject)
    mine.get(f"/lang/{lang}")
    data = json.loads(mine.get("/cabinet/export").data)
    [by_staff] = [c for c in data["profile_history"] if c["new_value"] == "+77025554433"]
    assert by_staff["who"] == ON_BEHALF[lang] and by_staff["basis"] == "acting"
    assert by_staff["on_behalf"]["staff"] == "Болат Ахметов" and by_staff["on_behalf"]["staff_role"] == "support"
    assert by_staff["on_behalf"]["reason"] == REASON
    assert by_staff["on_behalf"]["basis_document"]["name"] == "өтініш.pdf"
    [logged] = [e for e in data["access_log"] if e["action"] == "profile.phone_changed"]
    assert logged["who"] == ON_BEHALF[lang] and logged["actor_id"] == support.id
    assert logged["details"]["on_behalf"]["staff_role"] == "support"
    own = [c for c in data["profile_history"] if c["basis"] == "registration"]
    assert own and all(c["who"] == YOU[lang] and c["on_behalf"] is None for c in own)


def test_staff_pages_record_no_event_on_the_subjects_behalf(app, support, subject, create_user):
    """Opening the subject's complaint on the staff side while acting is the operator's look, not the subject's."""

    number = file_complaint(login_as(app, subject))
    staff = login_as(app, support)
    act(staff, subject.id, basis=upload())
    assert staff.get(f"/staff/complaints/{number}").status_code == 200
    with app.app_context():
        viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "complaint.viewed"))
        assert viewed.actor_id == support.id and "on_behalf" not in viewed.details


# --- jobs and the command line ------------------------------------------------------------------------------------


def scheduled_withdrawal(app, subject):
    mine = login_as(app, subject)
    mine.post("/cabinet/consents/withdraw-all", data={"confirm": "y", "current_password": PASSWORD})
    [scheduled] = events(app, "consent.withdraw_all")
    return scheduled


def test_destruction_by_the_daily_job_names_the_job_and_who_requested_it(app, runner, subject, monkeypatch):

    requested = scheduled_withdrawal(app, subject)
    destroy_due(runner, monkeypatch, due_in_15_working_days(app))
    [destroyed] = events(app, "account.destroyed")
    assert destroyed.actor_id is None
    assert destroyed.details["job"]["name"] == "consents destroy-due" and "@" in destroyed.details["job"]["run_by"]
    assert destroyed.details["requested"]["by"] == subject.id
    assert destroyed.details["requested"]["event"] == requested.seq


def test_the_worker_carries_out_due_withdrawals_as_the_same_named_job(app, subject, monkeypatch):

    scheduled_withdrawal(app, subject)
    due = due_in_15_working_days(app)
    monkeypatch.setattr(cabinet.i18n, "local_today", lambda: due)
    assert withdrawals_due.call_local() == 1
    assert withdrawals_due.call_local() is None  # another worker's scheduler, the same quarter of an hour: skipped
    [destroyed] = events(app, "account.destroyed")
    assert destroyed.actor_id is None and "by" not in destroyed.details["job"]
    assert destroyed.details["job"]["name"] == "consents destroy-due" and "@" in destroyed.details["job"]["run_by"]


def test_destruction_carried_out_by_staff_names_them(app, subject, support):
    requested = scheduled_withdrawal(app, subject)
    staff = login_as(app, support)
    with app.app_context():
        from cabinet.consents.models import Withdrawal

        item = db.session.scalar(select(Withdrawal))
    staff.post(f"/staff/withdrawals/{item.id}", data={"decision": "carry_out"})
    [destroyed] = events(app, "account.destroyed")
    assert destroyed.actor_id == support.id and "job" not in destroyed.details
    assert destroyed.details["requested"] == {"by": subject.id, "at": item.requested_at.isoformat(),
                                              "event": requested.seq}


def test_a_job_run_with_actor_names_the_person_on_whose_decision_it_runs(app, runner, support, create_user):
    admin = create_user(email="admin@example.kz", roles=("admin",), surname="Әкімова", given_name="Сәуле")
    result = runner.invoke(args=["users", "create", "new.staff@example.kz", "--role", "support",
                                 "--actor", admin.email], input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    [created] = [e for e in events(app, "account.created") if e.details.get("job")]
    assert created.actor_id == admin.id
    assert created.details["job"]["name"] == "users create" and created.details["job"]["by"] == admin.id


def test_a_job_refuses_an_actor_who_is_not_staff(app, runner, subject):
    before = len(events(app, "account.created"))
    result = runner.invoke(args=["users", "create", "x@example.kz", "--actor", subject.email], input=f"{PASSWORD}\n")
    assert result.exit_code != 0 and "--actor" in result.output
    assert len(events(app, "account.created")) == before


def test_documents_sweep_records_itself_as_a_named_job(app, runner):
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("a" * 40)).write_bytes(b"orphan")
    result = runner.invoke(args=["documents", "sweep", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    [swept] = events(app, "documents.swept")
    assert swept.details["job"]["name"] == "documents sweep" and swept.details["removed"] == 1


def test_the_worker_sweeps_stale_uploads_as_the_same_named_job(app):
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / ("a" * 40), folder / ("b" * 40)
    stale.write_bytes(b"orphan")
    fresh.write_bytes(b"an upload in progress")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert sweep_uploads.call_local() == 1
    assert not stale.exists() and fresh.exists()
    [swept] = events(app, "documents.swept")
    assert swept.details["job"]["name"] == "documents sweep" and swept.details["older_than_minutes"] == 60


def test_policy_notify_records_each_batch_as_a_named_job(app, runner, subject, tmp_path):
    from cabinet.i18n import local_today

    for lang in ("kk", "ru"):
        (tmp_path / f"{lang}.md").write_text("# 2\n\n**1.1.** Мәтін / Текст.", encoding="utf-8")
    with app.app_context():
        today = local_today().isoformat()
    published = runner.invoke(args=["policy", "publish", "2", "--effective-from", today,
                                    "--kk", str(tmp_path / "kk.md"), "--ru", str(tmp_path / "ru.md")])
    assert published.exit_code == 0, published.output
    published = events(app, "policy.published")[-1]
    assert published.details["label"] == "2" and published.details["job"]["name"] == "policy publish"
    result = runner.invoke(args=["policy", "notify"])
    assert result.exit_code == 0, result.output
    notified = events(app, "policy.notified")
    assert notified and all(e.details["job"]["name"] == "policy notify" for e in notified)
    assert sum(e.details["subjects"] for e in notified) >= 1


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_subject_reads_a_job_in_the_access_log_by_its_name(app, runner, subject, support, lang):
    from cabinet.audit import trail, who

    with app.app_context(), who.job("consents destroy-due", actor=db.session.get(User, support.id)):
        trail.record("account.destroyed", subject=subject.id, details={"documents": 0})
        db.session.commit()
    mine = login_as(app, subject)
    mine.get(f"/lang/{lang}")
    [(_action, row)] = [r for r in log_rows(mine.get("/cabinet/access-log").text) if r[0] == "account.destroyed"]
    assert "consents destroy-due" in row and "Болат Ахметов" in row
