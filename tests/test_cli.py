"""The operators' command line: accounts, demo data, policy versions, audit verification."""

from datetime import date

import pytest
from sqlalchemy import func, select

from cabinet.extensions import db
from tests.helpers import PASSWORD, get_user, written


def users_create(runner, *args, password=PASSWORD):
    return runner.invoke(args=["users", "create", *args], input=f"{password}\n")


def test_the_migration_commands_are_there_when_asked_for(app, runner):
    """`flask db …` loads Flask-Migrate only when used (a web worker never does), with its own options."""
    assert "db" in runner.invoke(args=["--help"]).output.split()
    assert {"upgrade", "check", "downgrade"} <= set(runner.invoke(args=["db", "--help"]).output.split())
    results = [runner.invoke(args=args) for args in (["db", "heads"], ["db", "-d", "cabinet/migrations", "current"])]
    assert [result.exit_code for result in results] == [0, 0], [result.output for result in results]


# --- users create -------------------------------------------------------------------------------

@pytest.mark.parametrize("roles", [("support",), ("translator",), ("admin",), ("support", "translator")])
def test_users_create_with_roles(app, runner, roles):
    from cabinet.security import check_password

    result = users_create(runner, "Staff@Example.kz", *[a for role in roles for a in ("--role", role)])
    assert result.exit_code == 0, result.output
    assert "staff@example.kz" in result.output
    user = get_user(app, "staff@example.kz")
    with app.app_context():
        user = db.session.merge(user)
        assert user.role_names == sorted(roles)
        assert check_password(user.password_hash, PASSWORD)
        assert PASSWORD not in user.password_hash
    assert PASSWORD not in result.output


def test_users_create_default_role_is_subject(app, runner):
    assert users_create(runner, "someone@example.kz").exit_code == 0
    with app.app_context():
        assert db.session.merge(get_user(app, "someone@example.kz")).role_names == ["subject"]


def test_users_create_account_can_sign_in(app, runner, client):
    users_create(runner, "staff@example.kz", "--role", "support")
    response = client.post("/login", data={"email": "staff@example.kz", "password": PASSWORD})
    assert response.status_code == 302


def test_users_create_reads_a_windows_line_ending(app, runner, client):
    result = runner.invoke(args=["users", "create", "staff@example.kz", "--role", "support"], input=f"{PASSWORD}\r\n")
    assert result.exit_code == 0
    assert client.post("/login", data={"email": "staff@example.kz", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("password", ["short", "", "123456789"])
def test_users_create_refuses_a_short_password(app, runner, password):
    before = written(app)
    result = users_create(runner, "staff@example.kz", "--role", "support", password=password)
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert "Traceback" not in result.output
    assert written(app) == before


def test_users_create_refuses_an_existing_email(app, runner):
    assert users_create(runner, "staff@example.kz", "--role", "support").exit_code == 0
    before = written(app)
    result = users_create(runner, "STAFF@example.kz", "--role", "admin", password="another-password-1")
    assert result.exit_code != 0
    assert "staff@example.kz" in result.output and "exists" in result.output
    assert written(app) == before
    with app.app_context():
        assert db.session.merge(get_user(app, "staff@example.kz")).role_names == ["support"]


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.kz"])
def test_users_create_refuses_a_bad_email(app, runner, email):
    before = written(app)
    result = users_create(runner, email, "--role", "support")
    assert result.exit_code != 0 and "Error" in result.output
    assert written(app) == before


def test_users_create_refuses_an_unknown_role(app, runner):
    result = users_create(runner, "staff@example.kz", "--role", "root")
    assert result.exit_code != 0 and "root" in result.output
    assert get_user(app, "staff@example.kz") is None


def test_users_create_is_audited(app, runner):
    from cabinet.audit.models import AuditEvent

    users_create(runner, "staff@example.kz", "--role", "support")
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.created")).all()
        assert event.details["roles"] == ["support"]
        assert event.details["job"]["name"] == "users create" and "@" in event.details["job"]["run_by"]
        assert event.ip is None


# --- demo ---------------------------------------------------------------------------------------

def test_demo_is_idempotent_and_prints_the_logins(app, runner):
    from cabinet.demo.load import ACCOUNTS

    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    after_first = written(app)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert written(app) == after_first
    assert after_first["users"] == len(ACCOUNTS)
    for output in (first.output, second.output):
        for email, password, _roles, _profile in ACCOUNTS:
            assert email in output and password in output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_demo_accounts_can_sign_in(app, runner):
    from cabinet.demo.load import ACCOUNTS

    runner.invoke(args=["demo"])
    for email, password, roles, _profile in ACCOUNTS:
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": password}).status_code == 302
        if "subject" in roles:
            assert client.get("/cabinet").status_code == 200
            assert client.get("/cabinet/documents").status_code == 200


def test_demo_subject_has_what_registration_records(app, runner):
    from cabinet.consents.models import ConsentEvent
    from cabinet.documents.models import Document
    from cabinet.policies.models import PolicyAcceptance

    runner.invoke(args=["demo"])
    with app.app_context():
        for model, expected in ((Document, 1), (PolicyAcceptance, 1), (ConsentEvent, 6)):
            assert db.session.scalar(select(func.count()).select_from(model)) == expected


# --- policy publish -----------------------------------------------------------------------------

@pytest.fixture
def texts(tmp_path):
    kk, ru = tmp_path / "kk.md", tmp_path / "ru.md"
    kk.write_text("# Саясат\n\n**1.1.** Жаңа мәтін.\n", encoding="utf-8")
    ru.write_text("# Политика\n\n**1.1.** Новый текст.\n", encoding="utf-8")
    return kk, ru


def publish(runner, label, kk, ru, *extra, effective="2026-06-01"):
    return runner.invoke(args=["policy", "publish", label, "--effective-from", effective,
                               "--kk", str(kk), "--ru", str(ru), *extra])


def test_policy_publish(app, runner, texts, client):
    from cabinet.policies.service import get_version

    result = publish(runner, "2", *texts, "--summary-kk", "Өзгерістер", "--summary-ru", "Изменения")
    assert result.exit_code == 0, result.output
    assert "2" in result.output and "2026-06-01" in result.output
    with app.app_context():
        version = get_version("2")
        assert version.effective_from == date(2026, 6, 1)
        assert {t.locale: (t.body, t.summary) for t in version.texts} == {
            "kk": ("# Саясат\n\n**1.1.** Жаңа мәтін.\n", "Өзгерістер"),
            "ru": ("# Политика\n\n**1.1.** Новый текст.\n", "Изменения")}
    client.get("/lang/ru")
    assert "Новый текст." in client.get("/policy/2").text


def test_policy_publish_refuses_an_existing_label(app, runner, texts):
    assert publish(runner, "2", *texts).exit_code == 0
    before = written(app)
    result = publish(runner, "2", *texts, effective="2026-07-01")
    assert result.exit_code != 0
    assert "2" in result.output and "exists" in result.output
    assert written(app) == before


@pytest.mark.parametrize("problem", ["missing file", "empty text", "bad date", "not utf-8"])
def test_policy_publish_refuses_bad_input(app, runner, texts, tmp_path, problem):
    kk, ru = texts
    effective = "2026-06-01"
    if problem == "missing file":
        ru = tmp_path / "nowhere.md"
    elif problem == "empty text":
        ru.write_text("  \n", encoding="utf-8")
    elif problem == "bad date":
        effective = "01.06.2026"
    else:
        ru.write_bytes(b"\xff\xfe not utf-8")
    before = written(app)
    result = publish(runner, "2", kk, ru, effective=effective)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert written(app) == before


# --- audit verify ------------------------------------------------------------------------------

def test_audit_verify_counts_events(app, runner):
    users_create(runner, "staff@example.kz", "--role", "support")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "1 events verified" in result.output

