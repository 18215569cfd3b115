"""Accounts: registration, sign-in, sign-out, confirmation, password reset and language choice."""

import hashlib
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select

from cabinet.extensions import db
from tests.helpers import (
    EMAIL,
    PASSWORD,
    PDF,
    PNG,
    csrf_token,
    error_fields,
    events,
    get_user,
    link_in,
    normalise,
    registration,
    upload,
    written,
)


def field_block(html, name):
    """The <div class="field"> that holds the input with this name."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>', html, re.S):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field {name} on the page")


def has_error(html, name):
    return 'class="error"' in field_block(html, name)


def multipart(fields, files=()):
    """A multipart body built by hand, so a field can carry bytes that are not UTF-8."""
    boundary = "----cabinet-test-boundary"
    parts = []
    for name, value in fields.items():
        value = value if isinstance(value, bytes) else value.encode()
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value)
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/pdf\r\n\r\n'.encode() + data)
    body = b"\r\n".join(parts) + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- registration ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ticked", [(), ("marketing",), ("marketing", "research", "third_party")])
def test_register_records_everything_the_policy_asks(app, client, policy, ticked):
    from cabinet.consents.models import ConsentEvent
    from cabinet.documents.models import Document
    from cabinet.policies.models import PolicyAcceptance
    from cabinet.profile.models import ProfileChange

    client.get("/lang/ru")
    data = registration(**{f"consent_{p}": "y" for p in ticked})
    response = client.post("/register", data=data, headers={"User-Agent": "TestBrowser/1.0"},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    assert EMAIL in response.text

    user = get_user(app)
    assert user is not None
    with app.app_context():
        user = db.session.merge(user)
        assert user.role_names == ["subject"]
        assert user.phone == "+77011234567"
        assert (user.surname, user.given_name, user.patronymic) == ("Сейітова", "Айгерім", "Нұрланқызы")
        assert user.locale == "ru"
        assert user.email_confirmed_at is None
        assert user.password_hash != PASSWORD and PASSWORD not in user.password_hash

        history = db.session.scalars(select(ProfileChange).where(ProfileChange.user_id == user.id)).all()
        assert {c.field: c.new_value for c in history} == {
            "surname": "Сейітова", "given_name": "Айгерім", "patronymic": "Нұрланқызы",
            "email": EMAIL, "phone": "+77011234567"}
        assert all(c.old_value is None and c.basis == "registration" and c.actor_id == user.id for c in history)

        [document] = db.session.scalars(select(Document).where(Document.owner_id == user.id)).all()
        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
        assert (document.kind, document.content_type, document.size) == ("registration", "application/pdf", len(PDF))
        assert (Path(app.config["UPLOAD_DIR"]) / document.storage_key).read_bytes() == PDF

        [acceptance] = db.session.scalars(select(PolicyAcceptance).where(PolicyAcceptance.user_id == user.id)).all()
        assert acceptance.version.label == "1"
        assert (acceptance.method, acceptance.locale) == ("registration", "ru")
        assert (acceptance.ip, acceptance.user_agent) == ("10.1.2.3", "TestBrowser/1.0")

        consents = db.session.scalars(select(ConsentEvent).where(ConsentEvent.user_id == user.id)).all()
        assert len(consents) == 6
        expected = {"service": "grant", "identification": "grant", "interaction": "grant",
                    **{p: "grant" if p in ticked else "decline" for p in ("marketing", "research", "third_party")}}
        assert {c.purpose: c.action for c in consents} == expected
        assert all(c.channel == "registration" and c.policy_version.label == "1" for c in consents)
        user_id = user.id

    created = events(app, action="account.created", subject_id=user_id)
    assert len(created) == 1 and created[0].actor_id == user_id and created[0].ip == "10.1.2.3"
    actions = [e.action for e in events(app, subject_id=user_id)]
    assert {"document.uploaded", "policy.accepted"} <= set(actions)
    assert actions.count("consent.grant") == 3 + len(ticked)


def test_register_mails_a_confirmation_link_from_base_url(app, client, policy, outbox):
    client.get("/lang/ru")
    response = client.post("/register", data=registration(), headers={"Host": "evil.example"})
    assert response.status_code == 200
    [mail] = outbox()
    assert mail["To"] == EMAIL
    link = link_in(mail)
    assert link.startswith("http://cabinet.test/confirm/")
    assert "evil.example" not in mail.as_string()

    response = client.get(urlsplit(link).path)
    assert response.status_code == 302
    assert get_user(app).email_confirmed_at is not None
    assert len(events(app, action="account.email_confirmed")) == 1


def test_confirmation_mail_is_in_the_language_of_the_registration(policy, marked_catalogs, outbox):
    marked = marked_catalogs()
    for lang, email in (("kk", EMAIL), ("ru", "second@example.kz")):
        client = marked.test_client()
        client.get(f"/lang/{lang}")
        client.post("/register", data=registration(email=email))
    first, second = outbox()
    assert first["To"] == EMAIL and first["Subject"].startswith("[kk] ")
    assert "[kk] " in first.get_content() and "[ru] " not in first.get_content()
    assert second["To"] == "second@example.kz" and second["Subject"].startswith("[ru] ")
    assert "[ru] " in second.get_content() and "[kk] " not in second.get_content()


def test_mail_texts_are_in_the_translation_template():
    from babel.messages.pofile import read_po

    from cabinet import ROOT

    with (ROOT / "cabinet" / "translations" / "messages.pot").open("rb") as source:
        template = {m.id for m in read_po(source)}
    mail_texts = {"Confirm your e-mail address", "Choose a new password", "Someone tried to register with your address"}
    assert mail_texts <= template


def test_mail_declares_its_language(client, policy, outbox):
    client.get("/lang/ru")
    client.post("/register", data=registration())
    assert outbox()[0]["Content-Language"] == "ru"


@pytest.mark.parametrize("spoil", ["expired", "tampered", "truncated", "other purpose"])
def test_confirmation_link_expired_or_tampered_is_refused(app, client, policy, outbox, spoil):
    client.post("/register", data=registration())
    token = urlsplit(link_in(outbox()[0])).path.rsplit("/", 1)[1]
    if spoil == "expired":
        app.config["CONFIRM_MAX_AGE"] = -1
    elif spoil == "tampered":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif spoil == "truncated":
        token = token[:-10]
    else:
        with app.test_request_context():
            from cabinet.accounts import tokens

            token = tokens.make("reset", {"uid": get_user(app).id, "email": EMAIL})
    response = client.get(f"/confirm/{token}")
    assert response.status_code == 302
    assert get_user(app).email_confirmed_at is None
    assert events(app, action="account.email_confirmed") == []


def test_register_existing_email_answers_the_same_and_mails_the_owner(app, policy, marked_catalogs, outbox):
    marked = marked_catalogs()
    marked.test_client().post("/register", data=registration())
    before = written(app)
    visitor = marked.test_client()
    visitor.get("/lang/ru")
    taken = visitor.post("/register", data=registration(email=EMAIL.upper(), surname="Басқа"))
    after = written(app)
    assert after["users"] == before["users"] == 1
    assert after["documents"] == before["documents"] and after["files"] == before["files"]

    newcomer = marked.test_client()
    newcomer.get("/lang/ru")
    fresh = newcomer.post("/register", data=registration(email="fresh@example.kz"))
    assert taken.status_code == fresh.status_code == 200
    assert taken.text == fresh.text.replace("fresh@example.kz", EMAIL)

    mails = [m for m in outbox() if m["To"] == EMAIL]
    assert len(mails) == 2
    assert "/confirm/" in mails[0].get_content()
    assert "/confirm/" not in mails[1].get_content() and "/reset/" not in mails[1].get_content()
    assert mails[1]["Subject"].startswith("[kk] ")  # the owner's language, not the visitor's
    assert mails[1]["Subject"] != mails[0]["Subject"]
    assert len(events(app, action="account.registration_attempt")) == 1


@pytest.mark.parametrize("taken", [False, True])
def test_taken_address_costs_the_same_password_hashing(app, client, policy, monkeypatch, taken):
    """Timing must not tell a taken address from a new one: both paths hash the password once."""
    from unittest.mock import Mock

    from cabinet import security

    if taken:
        client.post("/register", data=registration())
    counting = Mock(wraps=security.HASHER)
    monkeypatch.setattr(security, "HASHER", counting)
    response = app.test_client().post("/register", data=registration())
    assert response.status_code == 200 and EMAIL in response.text
    assert counting.hash.call_count == 1


LONG = "Ә" * 10_000
BAD_INPUT = [
    *[(field, {field: None}) for field in ("surname", "given_name", "email", "phone", "password")],
    ("password_confirm", {"password_confirm": None}),
    *[(field, {field: "   "}) for field in ("surname", "given_name", "email", "phone")],
    *[(field, {field: LONG}) for field in ("surname", "given_name", "patronymic", "email", "phone")],
    ("password", {"password": LONG, "password_confirm": LONG}),
    ("surname", {"surname": "Сейі\x00това"}),
    ("given_name", {"given_name": "\x00"}),
    ("patronymic", {"patronymic": "Нұрлан\x00қызы"}),
    ("email", {"email": "aigerim\x00@example.kz"}),
    ("phone", {"phone": "+7701\x001234567"}),
    ("password", {"password": PASSWORD + "\x00", "password_confirm": PASSWORD + "\x00"}),
    ("surname", {"surname": "Сейітова2"}),
    ("given_name", {"given_name": "Айгерім 1"}),
    ("patronymic", {"patronymic": "N0"}),
    ("surname", {"surname": "<script>"}),
    ("email", {"email": "not-an-email"}),
    ("email", {"email": "aigerim@"}),
    ("email", {"email": "a@@example.kz"}),
    ("email", {"email": "aigerim@example.kz\r\nBcc: x@evil.example"}),
    ("phone", {"phone": "12345"}),
    ("phone", {"phone": "+7 701 123"}),
    ("phone", {"phone": "телефон"}),
    ("phone", {"phone": "+1 000 000 0000"}),
    ("password", {"password": "short", "password_confirm": "short"}),
    ("password_confirm", {"password_confirm": PASSWORD + "x"}),
    ("accept_policy", {"accept_policy": None}),
    ("documents", {"documents": None}),
    ("documents", {"documents": [upload(b"<html><body>scan</body></html>", "scan.pdf")]}),
    ("documents", {"documents": [upload(b"just some text\n", "scan.txt")]}),
    ("documents", {"documents": [upload(b"", "scan.pdf")]}),
    ("documents", {"documents": [upload(PDF), upload(b"MZ\x90\x00 executable", "scan.png")]}),
]


@pytest.mark.parametrize(("field", "changes"), BAD_INPUT, ids=[f"{f}-{i}" for i, (f, _c) in enumerate(BAD_INPUT)])
def test_register_bad_input_shows_error_and_writes_nothing(app, client, policy, outbox, field, changes):
    before = written(app)
    response = client.post("/register", data=registration(**changes))
    assert response.status_code == 200
    assert has_error(response.text, field), error_fields(response.text)
    assert written(app) == before
    assert outbox() == []


def test_register_too_many_files(app, client, policy, outbox):
    app.config["MAX_UPLOAD_FILES"] = 2
    before = written(app)
    response = client.post("/register", data=registration(documents=[upload(), upload(PNG, "a.png"), upload()]))
    assert has_error(response.text, "documents")
    assert written(app) == before
    response = client.post("/register", data=registration(documents=[upload(), upload(PNG, "a.png")]))
    assert "documents" not in error_fields(response.text)
    assert written(app)["documents"] == before["documents"] + 2


def test_register_file_over_the_size_limit(app, client, policy, outbox):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    before = written(app)
    big = PDF + b"%" * (1001 - len(PDF))
    response = client.post("/register", data=registration(documents=[upload(big)]))
    assert has_error(response.text, "documents")
    assert written(app) == before
    exact = PDF + b"%" * (1000 - len(PDF))
    client.post("/register", data=registration(documents=[upload(exact)]))
    assert written(app)["files"] == before["files"] + 1


def test_register_request_over_max_content_length_gets_the_friendly_413(app, client, policy, outbox):
    app.config["MAX_CONTENT_LENGTH"] = 5000
    before = written(app)
    response = client.post("/register", data=registration(documents=[upload(PDF + b"%" * 6000)]))
    assert response.status_code == 413
    assert "Traceback" not in response.text and '<html lang="kk">' in response.text
    assert written(app) == before


@pytest.mark.parametrize("field", ["surname", "given_name", "patronymic", "email", "phone", "password"])
def test_register_invalid_utf8_in_multipart_body(app, client, policy, outbox, field):
    fields = {k: v for k, v in registration().items() if k != "documents"}
    fields[field] = b"\xff\xfe" + fields[field].encode()
    if field == "password":
        fields["password_confirm"] = fields["password"]
    body, content_type = multipart(fields, [("documents", "scan.pdf", PDF)])
    before = written(app)
    response = client.post("/register", data=body, content_type=content_type)
    assert response.status_code == 200
    assert has_error(response.text, field), error_fields(response.text)
    assert written(app) == before


def test_hand_built_multipart_body_is_accepted_when_valid(app, client, policy):
    """The builder above makes a body the app accepts, so the failures there are about the bytes."""
    fields = {k: v for k, v in registration().items() if k != "documents"}
    body, content_type = multipart(fields, [("documents", "scan.pdf", PDF)])
    response = client.post("/register", data=body, content_type=content_type)
    assert response.status_code == 200
    assert get_user(app) is not None


def test_register_without_published_policy_says_so(app, client):
    response = client.get("/register")
    assert response.status_code == 200
    assert 'name="surname"' not in response.text and "<form" not in response.text.split("<main", 1)[1]
    before = written(app)
    response = client.post("/register", data=registration())
    assert 'name="surname"' not in response.text
    assert written(app) == before


def test_register_before_policy_takes_effect_has_no_form(app, client, policy):
    from datetime import date

    from cabinet.policies.models import PolicyVersion

    with app.app_context():
        db.session.execute(db.update(PolicyVersion).values(effective_from=date(2999, 1, 1)))
        db.session.commit()
    assert 'name="surname"' not in client.get("/register").text


# --- sign-in ------------------------------------------------------------------------------------


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client, create_user):
    user = create_user(email="known@example.kz")
    wrong = client.post("/login", data={"email": "known@example.kz", "password": "wrong-password-1"})
    unknown = client.post("/login", data={"email": "nobody@example.kz", "password": "wrong-password-1"})
    assert wrong.status_code == unknown.status_code == 200
    assert normalise(wrong.text, "known@example.kz") == normalise(unknown.text, "nobody@example.kz")
    assert 'class="error-summary"' in wrong.text  # an error of the form as a whole, first on the page
    assert get_user(app, user.email).last_login_at is None


def test_wrong_password_and_unknown_email_same_with_csrf(app, create_user, make_app):
    create_user(email="known@example.kz")
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    pages = []
    for email in ("known@example.kz", "nobody@example.kz"):
        client = csrf_app.test_client()
        token = csrf_token(client.get("/login").text)
        pages.append(client.post("/login", data={"email": email, "password": "wrong-password-1", "csrf_token": token}))
    assert pages[0].status_code == pages[1].status_code == 200
    assert normalise(pages[0].text, "known@example.kz") == normalise(pages[1].text, "nobody@example.kz")


def test_sign_in_records_last_login_and_an_event(app, client, create_user, login):
    user = create_user()
    response = login(user)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/cabinet"
    assert get_user(app, user.email).last_login_at is not None
    [event] = events(app, action="account.signed_in")
    assert (event.actor_id, event.subject_id, event.ip) == (user.id, user.id, "127.0.0.1")
    assert client.get("/cabinet").status_code == 200


def test_sign_in_upgrades_a_weaker_password_hash(app, client, create_user):
    from argon2 import PasswordHasher, extract_parameters

    from cabinet import security
    from cabinet.accounts.models import User

    user = create_user()
    with app.app_context():
        weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(user.password)
        db.session.execute(db.update(User).where(User.id == user.id).values(password_hash=weak))
        db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 302
    upgraded = get_user(app, user.email).password_hash
    assert upgraded != weak
    assert extract_parameters(upgraded).memory_cost == security.HASHER.memory_cost
    assert app.test_client().post("/login", data={"email": user.email, "password": user.password}).status_code == 302


@pytest.mark.parametrize(("roles", "start"), [
    (("subject",), "/cabinet"), (("support",), "/staff"), (("admin",), "/staff"),
    (("subject", "support"), "/cabinet"),
])
def test_sign_in_lands_where_the_role_can_work(client, create_user, roles, start):
    user = create_user(roles=roles)
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert urlsplit(response.headers["Location"]).path == start
    assert client.get(start).status_code == 200
    assert urlsplit(client.get("/login").headers["Location"]).path == start


def test_translator_does_not_land_on_a_forbidden_page(client, create_user):
    user = create_user(roles=("translator",))
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert client.get(response.headers["Location"]).status_code == 200


def test_sign_in_email_is_case_insensitive(app, client, create_user):
    user = create_user(email="case@example.kz")
    response = client.post("/login", data={"email": " CASE@Example.kz ", "password": user.password})
    assert response.status_code == 302
    assert get_user(app, user.email).last_login_at is not None


def test_failed_sign_in_on_existing_account_is_recorded(app, client, create_user, login):
    user = create_user()
    login(user, password="wrong-password-1")
    client.post("/login", data={"email": "nobody@example.kz", "password": "wrong-password-1"})
    [event] = events(app, action="account.sign_in_failed")
    assert (event.subject_id, event.actor_id, event.ip) == (user.id, None, "127.0.0.1")
    assert events(app, action="account.signed_in") == []


@pytest.mark.parametrize("field", ["email", "password"])
def test_sign_in_with_a_missing_field_is_a_form_error(app, client, create_user, field):
    user = create_user()
    data = {"email": user.email, "password": user.password}
    del data[field]
    response = client.post("/login", data=data)
    assert response.status_code == 200 and has_error(response.text, field)
    assert get_user(app, user.email).last_login_at is None


@pytest.mark.parametrize("target", ["//evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com",
                                    "javascript:alert(1)", "/%0d%0aSet-Cookie:x", "///evil.com", "/%09/evil.com",
                                    "http:/evil.com", " /cabinet", ""])
def test_sign_in_ignores_unsafe_next(client, create_user, target):
    user = create_user()
    response = client.post("/login", query_string="next=" + quote(target, safe="%"),
                           data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == "/cabinet"
    assert "Set-Cookie: x" not in str(response.headers) and "x=" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ["/cabinet/profile", "/cabinet/consents?x=1"])
def test_sign_in_follows_safe_next(client, create_user, target):
    user = create_user()
    for how in ("query", "form"):
        client.post("/logout")
        kwargs = {"query_string": {"next": target}} if how == "query" else {}
        data = {"email": user.email, "password": user.password, **({"next": target} if how == "form" else {})}
        response = client.post("/login", data=data, **kwargs)
        location = urlsplit(response.headers["Location"])
        assert location.path + (f"?{location.query}" if location.query else "") == target


def test_login_page_carries_next_escaped(client, policy):
    response = client.get("/login", query_string={"next": '/cabinet"><b>x'})
    assert '"><b>x' not in response.text


# --- sign-out -----------------------------------------------------------------------------------

def test_logout_is_post_only(client, create_user, login):
    login(create_user())
    assert client.get("/logout").status_code == 405
    assert client.get("/cabinet").status_code == 200  # still signed in


def test_old_session_cookie_stops_working_after_logout(app, client, create_user, login):
    user = create_user()
    login(user)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    copy = app.test_client()
    copy.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    assert copy.get("/cabinet").status_code == 200  # the copy works while the session lives

    response = client.post("/logout")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"
    assert len(events(app, action="account.signed_out")) == 1

    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    response = replay.get("/cabinet")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_logout_leaves_nothing_of_the_session(client, create_user, login):
    login(create_user())
    with client.session_transaction() as session:
        session["acting_id"] = 1
    client.post("/logout")
    with client.session_transaction() as session:
        assert "acting_id" not in session and "_user_id" not in session


def test_logout_when_signed_out_redirects_to_login(client, policy):
    response = client.post("/logout")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# --- password reset -----------------------------------------------------------------------------

def request_reset(client, email):
    return client.post("/reset", data={"email": email})


def test_reset_request_answers_the_same_for_known_and_unknown(app, client, create_user, outbox):
    user = create_user(email="known@example.kz")
    known = request_reset(client, "known@example.kz")
    known_page = client.get(known.headers["Location"]).text
    unknown = request_reset(client, "nobody@example.kz")
    unknown_page = client.get(unknown.headers["Location"]).text
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert normalise(known_page) == normalise(unknown_page)
    [mail] = outbox()
    assert mail["To"] == user.email
    assert link_in(mail).startswith("http://cabinet.test/reset/")
    assert len(events(app, action="account.reset_requested")) == 1


def test_reset_request_with_bad_email_is_a_form_error(app, client, policy, outbox):
    response = request_reset(client, "not-an-email")
    assert response.status_code == 200 and has_error(response.text, "email")
    assert outbox() == []


def _reset_link(client, outbox, email, **headers):
    client.post("/reset", data={"email": email}, headers=headers)
    return urlsplit(link_in(outbox()[-1])).path


def test_reset_link_built_from_base_url_not_host(client, create_user, outbox):
    user = create_user()
    client.post("/reset", data={"email": user.email}, headers={"Host": "evil.example"})
    assert link_in(outbox()[-1]).startswith("http://cabinet.test/reset/")


def test_reset_link_works_once(app, client, create_user, outbox):
    user = create_user()
    path = _reset_link(client, outbox, user.email)
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "new-password-2026", "password_confirm": "new-password-2026"})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert len(events(app, action="account.password_reset")) == 1
    hash_after_first = get_user(app, user.email).password_hash

    again = client.get(path)
    assert again.status_code == 302 and urlsplit(again.headers["Location"]).path == "/reset"
    again = client.post(path, data={"password": "third-password-2026", "password_confirm": "third-password-2026"})
    assert again.status_code == 302 and urlsplit(again.headers["Location"]).path == "/reset"
    assert get_user(app, user.email).password_hash == hash_after_first


def test_reset_new_password_works_and_old_does_not(app, client, create_user, outbox, login):
    user = create_user(confirmed=False)
    path = _reset_link(client, outbox, user.email)
    client.post(path, data={"password": "new-password-2026", "password_confirm": "new-password-2026"})
    fresh = app.test_client()
    old = fresh.post("/login", data={"email": user.email, "password": user.password})
    assert old.status_code == 200
    new = fresh.post("/login", data={"email": user.email, "password": "new-password-2026"})
    assert new.status_code == 302
    assert get_user(app, user.email).email_confirmed_at is not None  # the link proved the address


@pytest.mark.parametrize(("changes", "field"), [
    ({"password": "short", "password_confirm": "short"}, "password"),
    ({"password_confirm": "something-else-1"}, "password_confirm"),
    ({"password": None}, "password"),
])
def test_reset_with_bad_new_password_changes_nothing(app, client, create_user, outbox, changes, field):
    user = create_user()
    path = _reset_link(client, outbox, user.email)
    data = {k: v for k, v in {"password": "new-password-2026", "password_confirm": "new-password-2026",
                              **changes}.items() if v is not None}
    response = client.post(path, data=data)
    assert response.status_code == 200 and has_error(response.text, field)
    assert client.get(path).status_code == 200  # the link still works
    assert app.test_client().post("/login", data={"email": user.email, "password": user.password}).status_code == 302


@pytest.mark.parametrize("spoil", ["expired", "tampered", "confirm token"])
def test_reset_link_expired_or_tampered_is_refused(app, client, create_user, outbox, spoil):
    user = create_user()
    path = _reset_link(client, outbox, user.email)
    if spoil == "expired":
        app.config["RESET_MAX_AGE"] = -1
    elif spoil == "tampered":
        path = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    else:
        with app.test_request_context():
            from cabinet.accounts.service import confirmation_link

            path = "/reset/" + urlsplit(confirmation_link(db.session.merge(get_user(app, user.email)),
                                                          user.email)).path.rsplit("/", 1)[1]
    assert urlsplit(client.get(path).headers["Location"]).path == "/reset"
    client.post(path, data={"password": "new-password-2026", "password_confirm": "new-password-2026"})
    assert app.test_client().post("/login", data={"email": user.email, "password": user.password}).status_code == 302


def test_reset_ends_other_sessions(app, client, create_user, outbox, login):
    user = create_user()
    login(user)
    assert client.get("/cabinet").status_code == 200
    other = app.test_client()
    path = _reset_link(other, outbox, user.email)
    other.post(path, data={"password": "new-password-2026", "password_confirm": "new-password-2026"})
    response = client.get("/cabinet")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# --- language -----------------------------------------------------------------------------------

def test_lang_sets_cookie_and_redirects(client, policy):
    response = client.get("/lang/ru", query_string={"next": "/policy"})
    assert response.status_code == 302 and response.headers["Location"] == "/policy"
    cookie = client.get_cookie("cabinet_lang")
    assert cookie.value == "ru" and cookie.http_only
    assert '<html lang="ru">' in client.get("/").text


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)"])
def test_lang_unsafe_next_goes_home(client, target):
    response = client.get("/lang/ru", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_lang_unknown_code_is_404(client):
    assert client.get("/lang/en").status_code == 404
    assert client.get_cookie("cabinet_lang") is None


def test_lang_link_while_signed_in_changes_only_this_browser(app, client, create_user, login):
    """A GET is a link any site can make: it sets the cookie, and the page follows it, but never the account."""
    user = create_user()
    login(user)
    response = client.get("/lang/ru", query_string={"next": "/cabinet"})
    assert response.status_code == 302 and response.headers["Location"] == "/cabinet"
    assert client.get_cookie("cabinet_lang").value == "ru"
    assert '<html lang="ru">' in client.get("/cabinet").text  # what the user clicked is what they see
    assert get_user(app, user.email).locale == "kk"
    assert events(app, action="account.locale_changed") == []


def test_lang_form_while_signed_in_saves_the_account_language(app, make_app, create_user):
    """The signed-in switcher is a form: refused without its CSRF token, and with it the account and the trail."""
    user = create_user()
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
    page = client.get("/cabinet").text
    assert re.search(r'<form method="post" action="/lang/ru"', page) and 'href="/lang/' not in page
    refused = client.post("/lang/ru", data={"next": "/cabinet"})
    assert refused.status_code == 400 and client.get_cookie("cabinet_lang") is None
    assert get_user(app, user.email).locale == "kk" and events(app, action="account.locale_changed") == []
    response = client.post("/lang/ru", data={"next": "/cabinet", "csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/cabinet"
    assert get_user(app, user.email).locale == "ru"
    [event] = events(app, action="account.locale_changed")
    assert event.details == {"locale": "ru"}
    fresh = app.test_client()  # another browser, no cookie: the account's choice
    fresh.post("/login", data={"email": user.email, "password": user.password})
    assert '<html lang="ru">' in fresh.get("/cabinet").text


@pytest.mark.parametrize(("header", "lang"), [
    ("ru", "ru"), ("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("kk", "kk"), ("en-US,en;q=0.9", "kk"),
    (None, "kk"), ("de, ru;q=0.5, kk;q=0.6", "kk"),
])
def test_accept_language_for_anonymous(client, header, lang):
    headers = {"Accept-Language": header} if header else {}
    assert f'<html lang="{lang}">' in client.get("/", headers=headers).text


def test_cookie_beats_accept_language(client):
    client.get("/lang/kk")
    assert '<html lang="kk">' in client.get("/", headers={"Accept-Language": "ru"}).text
