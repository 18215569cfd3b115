"""Administrators: who holds which role (every change recorded with the old and the new roles, never one's own
administrator role taken away), and publishing policy versions from the browser with bad input refused."""

import pytest
from sqlalchemy import func, select

from cabinet.accounts.models import UserRole
from cabinet.accounts.views import load_user
from cabinet.audit.models import AuditEvent
from cabinet.extensions import db
from cabinet.policies.models import PolicyText, PolicyVersion
from tests.helpers import login_as


@pytest.fixture
def admin_user(create_user):
    return create_user(email="dpo@example.kz", roles=("admin",))


@pytest.fixture
def admin(app, admin_user):
    return login_as(app, admin_user)


@pytest.fixture
def subject(create_user):
    return create_user(email="subject@example.kz")


def roles_of(app, user_id) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


def role_events(app) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.roles_changed")
                                   .order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return found


def set_roles(browser, user_id, *roles):
    return browser.post("/admin/users", data={"user_id": str(user_id), "roles": list(roles)})


# --- roles ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_accounts_page_lists_accounts_with_their_roles(admin, subject, lang):
    admin.get(f"/lang/{lang}")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert subject.email in page.text and "dpo@example.kz" in page.text
    found = admin.get("/admin/users?q=SUBJECT@").text
    assert subject.email in found and "dpo@example.kz" not in found


def test_an_admin_changes_roles_and_the_trail_keeps_old_and_new(app, admin, admin_user, subject):
    response = set_roles(admin, subject.id, "subject", "support")
    assert response.status_code == 302
    assert roles_of(app, subject.id) == ["subject", "support"]
    set_roles(admin, subject.id, "support")
    assert roles_of(app, subject.id) == ["support"]
    first, second = role_events(app)
    assert (first.actor_id, first.subject_id) == (admin_user.id, subject.id)
    assert (first.details["old"], first.details["new"]) == (["subject"], ["subject", "support"])
    assert (second.details["old"], second.details["new"]) == (["subject", "support"], ["support"])


def test_a_new_role_takes_effect_at_the_next_request(app, admin, subject):
    browser = login_as(app, subject)
    assert browser.get("/staff").status_code == 403
    set_roles(admin, subject.id, "subject", "support")
    assert browser.get("/staff").status_code == 200
    set_roles(admin, subject.id, "subject")
    assert browser.get("/staff").status_code == 403


@pytest.mark.parametrize("roles", [("support",), (), ("subject", "translator")])
def test_an_admin_cannot_take_the_admin_role_from_themselves(app, admin, admin_user, roles):
    response = set_roles(admin, admin_user.id, *roles)
    assert response.status_code == 302
    assert "flash-error" in admin.get("/admin/users").text
    assert roles_of(app, admin_user.id) == ["admin"]
    assert not role_events(app)


def test_an_admin_may_add_roles_to_themselves(app, admin, admin_user):
    set_roles(admin, admin_user.id, "admin", "translator")
    assert roles_of(app, admin_user.id) == ["admin", "translator"]


def test_another_admin_may_take_the_admin_role(app, admin, create_user):
    other = create_user(email="second@example.kz", roles=("admin",))
    set_roles(admin, other.id, "support")
    assert roles_of(app, other.id) == ["support"]


@pytest.mark.parametrize("data", [
    {"user_id": "{user}", "roles": ["superuser"]},
    {"user_id": "{user}", "roles": ["subject", "root"]},
    {"user_id": "", "roles": ["support"]},
    {"user_id": "abc", "roles": ["support"]},
    {"roles": ["support"]},
], ids=["unknown role", "one unknown role", "no account", "not a number", "no account field"])
def test_bad_role_changes_write_nothing(app, admin, subject, data):
    data = {k: (v.format(user=subject.id) if isinstance(v, str) else v) for k, v in data.items()}
    response = admin.post("/admin/users", data=data)
    assert response.status_code in (200, 302)
    assert roles_of(app, subject.id) == ["subject"]
    assert not role_events(app)


@pytest.mark.parametrize("user_id", ["987654", "2147483648", "99999999999999999999", "-1", "0"])
def test_a_role_change_for_an_unknown_account_is_not_found(app, admin, user_id):
    response = admin.post("/admin/users", data={"user_id": user_id, "roles": ["support"]})
    assert response.status_code in (200, 404)  # 200: the number is refused as a form value
    assert not role_events(app)


@pytest.mark.parametrize("role", ["support", "translator", "subject"])
def test_nobody_else_changes_roles(app, create_user, subject, role):
    browser = login_as(app, create_user(email=f"{role}-x@example.kz", roles=(role,)))
    assert browser.post("/admin/users", data={"user_id": str(subject.id), "roles": ["admin"]}).status_code == 403
    assert roles_of(app, subject.id) == ["subject"]


# --- ending a user's sessions (ASVS V7.4.5) -----------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_an_admin_signs_a_user_out_on_every_device_and_the_user_sees_who(app, create_user, subject, lang):
    boss = create_user(email="boss@example.kz", roles=("admin",), surname="Бастықова")
    admin = login_as(app, boss)
    phone, laptop = login_as(app, subject), login_as(app, subject)
    assert phone.get("/cabinet").status_code == 200
    answer = admin.post(f"/admin/users/{subject.id}/sessions", query_string={"q": "subject"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/users?q=subject")
    for device in (phone, laptop):
        assert "/login" in device.get("/cabinet").headers["Location"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.sessions_ended"))
        assert (event.actor_id, event.subject_id) == (boss.id, subject.id)
    again = login_as(app, subject)
    again.get(f"/lang/{lang}")
    log = again.get("/cabinet/access-log").text
    entry = log[log.index('data-action="account.sessions_ended"'):][:600]
    assert "Signed out on every device" not in entry and "Бастықова" in entry
    assert {"kk": "Әкімші барлық құрылғыдағы", "ru": "Администратор завершил"}[lang] in entry


def test_an_admin_is_told_to_sign_out_to_end_their_own_sessions(app, admin, admin_user):
    assert admin.post(f"/admin/users/{admin_user.id}/sessions").status_code == 302
    assert admin.get("/admin/users").status_code == 200  # still signed in
    with app.app_context():
        assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.sessions_ended"))


@pytest.mark.parametrize("role", ["support", "translator", "subject"])
def test_nobody_else_ends_sessions(app, create_user, subject, role):
    browser = login_as(app, create_user(email=f"{role}-y@example.kz", roles=(role,)))
    assert browser.post(f"/admin/users/{subject.id}/sessions").status_code == 403
    assert login_as(app, subject).get("/cabinet").status_code == 200


@pytest.mark.parametrize("user_id", [999999, 2**31, 10**30])
def test_ending_the_sessions_of_an_unknown_account_is_not_found(admin, user_id):
    assert admin.post(f"/admin/users/{user_id}/sessions").status_code == 404


# --- publishing a policy version --------------------------------------------------------------------

def snapshot(app) -> dict:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (PolicyVersion, PolicyText, AuditEvent)}


def form(**changes):
    data = {"label": "2", "effective_from": "2099-06-01", "text_kk": "# Саясат\n\nЖаңа мәтін.",
            "text_ru": "# Политика\n\nНовый текст.", "summary_kk": "", "summary_ru": "", "publish": "1"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_policies_page_lists_versions(admin, policy, lang):
    admin.get(f"/lang/{lang}")
    page = admin.get("/admin/policies")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert '<time datetime="2026-01-01">' in page.text and 'href="/policy/1"' in page.text


def test_a_valid_version_is_published(app, admin, admin_user, policy):
    response = admin.post("/admin/policies", data=form(summary_ru="Изменения"))
    assert response.headers["Location"].endswith("/admin/policies")
    with app.app_context():
        version = db.session.scalar(select(PolicyVersion).where(PolicyVersion.label == "2"))
        assert version.published_by_id == admin_user.id
        assert {t.locale: t.summary for t in version.texts} == {"kk": "", "ru": "Изменения"}


BAD = {
    "duplicate label": {"label": "1"},
    "duplicate label with spaces": {"label": " 1 "},
    "no label": {"label": ""},
    "label with a space": {"label": "2 a"},
    "label with markup": {"label": "<b>2</b>"},
    "33-character label": {"label": "2" * 33},
    "no Kazakh text": {"text_kk": ""},
    "blank Russian text": {"text_ru": "  \n "},
    "missing Russian field": {"text_ru": None},
    "NUL in the text": {"text_kk": "Мәтін\x00"},
    "overlong summary": {"summary_kk": "x" * 2001},
    "no date": {"effective_from": ""},
    "impossible date": {"effective_from": "2026-02-30"},
    "date in another format": {"effective_from": "01.06.2026"},
    "date as words": {"effective_from": "tomorrow"},
    "date in the past (clause 5.5: in effect when posted)": {"effective_from": "2026-06-01"},
}


@pytest.mark.parametrize("button", ["publish", "preview"])
@pytest.mark.parametrize("changes", BAD.values(), ids=BAD.keys())
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(app, admin, policy, changes, button):
    before = snapshot(app)
    data = form(**changes)
    if button == "preview":
        data.pop("publish")
        data["preview"] = "1"
    response = admin.post("/admin/policies", data=data)
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert snapshot(app) == before
    assert 'class="policy"' not in response.text  # no preview of a refused version


REFUSED = {  # what the publishing operation refuses, on the field it is about, in each language
    "label taken": ({"label": "1"}, "label", {"kk": "Мұндай белгісі бар нұсқа бұрыннан бар",
                                             "ru": "Версия с таким обозначением уже существует"}),
    "a day already past": ({"label": "3", "effective_from": "2026-06-01"}, "effective_from",
                           {"kk": "Жаңа нұсқа жарияланған кезден бастап күшіне енеді",
                            "ru": "Новая версия вступает в силу с момента размещения"}),
    "before the newest version": ({"label": "3", "effective_from": "2099-05-31"}, "effective_from",
                                  {"kk": "2 нұсқасы 2099 жылғы 1 маусым бастап күшіне енеді",
                                   "ru": "Версия 2 вступает в силу 1 июня 2099 г."}),
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("button", ["publish", "preview"])
@pytest.mark.parametrize("refused", REFUSED.values(), ids=REFUSED.keys())
def test_each_refusal_shows_its_message_in_the_reader_s_language_and_writes_nothing(app, admin, policy, refused,
                                                                                   button, lang):
    changes, field, message = refused
    assert admin.post("/admin/policies", data=form()).status_code == 302  # version 2, in effect from 2099-06-01
    admin.get(f"/lang/{lang}")
    before = snapshot(app)
    data = form(**changes)
    if button == "preview":
        data["preview"] = data.pop("publish")
    page = admin.post("/admin/policies", data=data)
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    error = page.text[page.text.index(f'id="{field}-error"'):].split("</p>")[0].split("</span>")[1]
    assert message[lang] in error
    assert "version" not in error.lower() and "effect" not in error  # no English source reached the page
    assert snapshot(app) == before
    assert 'class="policy"' not in page.text


def test_a_label_published_by_another_request_meanwhile_is_refused_not_a_server_error(app, admin, policy,
                                                                                      monkeypatch):
    from cabinet.policies import service

    monkeypatch.setattr(service, "get_version", lambda label: None)  # the other request commits after this check
    before = snapshot(app)
    page = admin.post("/admin/policies", data=form(label="1"))
    assert page.status_code == 200
    assert "Мұндай белгісі бар нұсқа бұрыннан бар" in page.text
    assert snapshot(app) == before


@pytest.mark.parametrize("label, texts, code, field", [
    ("", {"kk": "Мәтін", "ru": "Текст"}, "label", "label"),
    ("2" * 33, {"kk": "Мәтін", "ru": "Текст"}, "label", "label"),
    ("2", {"kk": "Мәтін", "ru": " \n"}, "text_missing", "text_ru"),
    ("2", {"kk": "", "ru": "Текст"}, "text_missing", "text_kk"),
    ("2", {"kk": "Мәтін"}, "text_missing", "text_ru"),
])
def test_the_operation_itself_refuses_what_the_form_would_not_let_through(app, policy, label, texts, code, field):
    """A command or a script reaches the operation without the browser's form: it refuses the same way."""
    from datetime import date

    from cabinet.policies.service import PolicyError, publish

    before = snapshot(app)
    with app.app_context():
        with pytest.raises(PolicyError) as refused:
            publish(label, date(2099, 6, 1), texts)
        db.session.rollback()
    assert (refused.value.code, refused.value.field) == (code, field)
    assert snapshot(app) == before


def test_the_published_version_never_changes(app, admin, policy):
    admin.post("/admin/policies", data=form())
    admin.post("/admin/policies", data=form(text_kk="Басқа мәтін."))
    with app.app_context():
        body = db.session.scalar(select(PolicyText.body).join(PolicyVersion).where(
            PolicyVersion.label == "2", PolicyText.locale == "kk"))
    assert "Басқа" not in body


def test_staff_and_translators_do_not_publish(app, create_user, policy):
    for role in ("support", "translator"):
        browser = login_as(app, create_user(email=f"{role}@example.kz", roles=(role,)))
        before = snapshot(app)
        assert browser.post("/admin/policies", data=form()).status_code == 403
        assert snapshot(app) == before


def test_user_list_query_is_literal(admin, subject):
    for q in ("%", "_", "\\", "x" * 1000):
        assert admin.get("/admin/users", query_string={"q": q}).status_code == 200
    assert subject.email not in admin.get("/admin/users?q=%25").text


def test_the_roles_read_with_the_account_end_with_its_transaction(app, subject):
    """load_user reads the roles beside the account's row; a commit (another worker changed them meanwhile) and a
    change through the collection are seen at once in the same request, not only at the next one."""
    with app.test_request_context():
        user = load_user(f"{subject.id}:1")
        assert user.held_roles == ("subject",) and user.has_role("subject") and "roles" not in user.__dict__
        db.session.execute(UserRole.__table__.insert().values(user_id=user.id, role="support"))
        db.session.commit()  # expires the account: its held roles go with its columns
        assert user.held_roles is None and user.role_set == {"subject", "support"}
        user.roles = [r for r in user.roles if r.role != "subject"]
        assert user.role_names == ["support"] and not user.has_role("subject")
        db.session.rollback()
