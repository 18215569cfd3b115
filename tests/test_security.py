"""Security by default: headers, cookies, CSRF, rate limits, password hashing, error pages, redirects."""

import re
import socket
import subprocess
import sys
import time
import uuid

import flask
import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.low_level import Type
from flask import abort

from cabinet import ROOT, security
from cabinet.accounts.limits import MAIL_PER_ACCOUNT, PER_ADDRESS, SIGN_IN_PER_ACCOUNT
from cabinet.app import create_app
from cabinet.security import is_safe_path
from tests.helpers import PASSWORD, allowed, csp, csrf_token, link_in, registration, upload, written

PUBLIC = ["/", "/policy", "/policy/1", "/login", "/register", "/reset"]
CABINET = ["/cabinet", "/cabinet/profile", "/cabinet/profile/edit", "/cabinet/profile/history",
           "/cabinet/documents", "/cabinet/policies", "/cabinet/consents", "/cabinet/access-log"]


# --- headers and cookies ------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/login", "/register", "/policy", "/does-not-exist"])
def test_security_headers(client, policy, url):
    response = client.get(url)
    policy_ = csp(response)
    assert "'unsafe-inline'" not in policy_["script-src"] and "'unsafe-eval'" not in policy_["script-src"]
    assert policy_["script-src"] == "'self'"
    assert policy_["frame-ancestors"] == "'none'"
    assert policy_["object-src"] == "'none'"
    assert "'unsafe-inline'" not in policy_.get("style-src", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers


def test_a_header_a_view_sets_itself_is_kept_and_none_is_sent_twice(make_app, policy):
    """The security headers join each answer as it leaves (security.WithHeaders): one the view set stays as the
    view set it, every other one is there once."""
    framed = make_app()
    framed.add_url_rule("/test-only/framed", view_func=lambda: ("ok", 200, {"X-Frame-Options": "SAMEORIGIN"}))
    response = framed.test_client().get("/test-only/framed")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    for name, value in security.HEADERS.items():
        if name != "X-Frame-Options":
            assert response.headers.getlist(name) == [value], name
    page = framed.test_client().get("/policy")
    assert all(page.headers.getlist(name) == [value] for name, value in security.HEADERS.items())


def test_the_kept_session_serializer_follows_the_secret_key(app, client, create_user, login):
    """The session's signing serializer is made once per key: a new secret key ends every session at once, and
    with the old key among the fallbacks the cookie still reads."""
    user = create_user()
    login(user)
    assert client.get("/cabinet").status_code == 200
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret-key"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert client.get("/cabinet").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/cabinet").status_code == 302  # the cookie signed with the old key no longer signs anyone in


def test_a_session_cookie_read_before_is_still_checked(app, client, create_user, login, monkeypatch):
    """Cookies already verified are kept decoded: a kept one still ends with the session lifetime, one changed by a
    character is still refused."""
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", 60)
    login(create_user())
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name).value
    for _ in range(2):
        assert client.get("/cabinet/profile").status_code == 200
    forged = app.test_client()
    forged.set_cookie(name, cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1])
    assert forged.get("/cabinet/profile").status_code == 302
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 120)  # past the lifetime, within the idle limit
    assert client.get("/cabinet/profile").status_code == 302


def test_a_kept_session_gives_each_request_its_own_values(app):
    """What one request changes inside its session (a list in place) is not what the next request with the same
    cookie reads."""
    interface = app.session_interface
    with app.test_request_context():
        first = interface.open_session(app, flask.request)
        first["seen"] = [1, 2]
        cookie = interface.get_signing_serializer(app).dumps(dict(first))
    for turn in range(3):
        with app.test_request_context(headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}):
            session = interface.open_session(app, flask.request)
            assert session["seen"] == [1, 2] and not session.modified
            session["seen"].append(turn)
            session["added"] = True
    assert interface.verified  # kept, not verified again each time


def test_hsts_only_in_production(client, policy, production):
    assert "Strict-Transport-Security" not in client.get("/").headers
    hsts = production.test_client().get("/").headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 365 * 24 * 3600


def set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("env", ["development", "production"])
def test_session_and_language_cookies_are_protected(app, create_user, production, env):
    target = production if env == "production" else app
    user = create_user()
    client = target.test_client()
    session = set_cookies(client.post("/login", data={"email": user.email, "password": user.password}))
    language = set_cookies(client.get("/lang/ru"))
    lang = ("__Host-" if env == "production" else "") + "cabinet_lang"
    for header in (session[target.config["SESSION_COOKIE_NAME"]], language[lang]):
        attributes = [a.strip().lower() for a in header.split(";")]
        assert "httponly" in attributes
        assert "samesite=lax" in attributes
        assert ("secure" in attributes) == (env == "production")


def test_production_refuses_to_start_without_secret_key(app, monkeypatch):
    monkeypatch.delenv("CABINET_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="CABINET_SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": app.config["DATABASE_URL"]})
    monkeypatch.setenv("CABINET_ENV", "production")
    with pytest.raises(RuntimeError, match="CABINET_SECRET_KEY"):
        create_app({"DATABASE_URL": app.config["DATABASE_URL"]})


@pytest.mark.parametrize(("settings", "named"), [
    ({"SECRET_KEY": "short"}, "CABINET_SECRET_KEY"),
    ({"SECRET_KEY": "x" * 40}, "CABINET_BASE_URL"),
    ({"SECRET_KEY": "x" * 40, "BASE_URL": "http://cabinet.test"}, "CABINET_BASE_URL"),
    ({"SECRET_KEY": "x" * 40, "BASE_URL": "https://cabinet.test"}, "CABINET_RATELIMIT_STORAGE_URI"),
    ({"SECRET_KEY": "x" * 40, "BASE_URL": "https://cabinet.test", "RATELIMIT_STORAGE_URI": "memory://"},
     "CABINET_RATELIMIT_STORAGE_URI"),
    ({"SECRET_KEY": "x" * 40, "BASE_URL": "https://cabinet.test", "RATELIMIT_STORAGE_URI": "redis://h:6379/0"},
     "CABINET_AUDIT_KEYS"),
    ({"SECRET_KEY": "x" * 40, "BASE_URL": "https://cabinet.test", "RATELIMIT_STORAGE_URI": "redis://h:6379/0",
      "AUDIT_KEYS": {"2026a": "short"}}, "CABINET_AUDIT_KEYS"),
    ({"SECRET_KEY": "x" * 40, "BASE_URL": "https://cabinet.test", "RATELIMIT_STORAGE_URI": "redis://h:6379/0",
      "AUDIT_KEYS": {"2026a": "k" * 40}}, "CABINET_AUDIT_SIGNING_KEY"),
])
def test_production_refuses_unsafe_settings(app, monkeypatch, settings, named):
    """Each worker counting its own attempts in memory would multiply every limit by the number of workers."""
    monkeypatch.delenv("CABINET_BASE_URL", raising=False)
    monkeypatch.delenv("CABINET_RATELIMIT_STORAGE_URI", raising=False)
    for variable in ("CABINET_AUDIT_KEYS", "CABINET_AUDIT_SIGNING_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(RuntimeError, match=named):
        create_app({"ENV": "production", "DATABASE_URL": app.config["DATABASE_URL"], **settings})


def test_mailed_links_use_base_url_in_production(app, production, create_user, outbox):
    user = create_user()
    production.test_client().post("/reset", data={"email": user.email}, headers={"Host": "evil.example"})
    [mail] = outbox()
    assert link_in(mail).startswith("https://cabinet.test/reset/")


def test_production_has_no_debug(production):
    assert production.config["DEBUG"] is False and production.debug is False


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def test_no_page_has_inline_script(app, client, create_user, login):
    pages = {url: client.get(url) for url in PUBLIC + ["/nowhere"]}
    login(create_user())
    pages.update({url: client.get(url) for url in CABINET})
    for url, response in pages.items():
        assert response.status_code in (200, 404), url
        html = response.text
        assert "<html" in html
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not INLINE_STYLE.search(html), url  # style-src 'self' would block it
        assert "javascript:" not in html, url


# --- client address behind a proxy ---------------------------------------------------------------

def _sign_in_ip(app, target, user, **environ):
    from cabinet.audit.models import AuditEvent
    from cabinet.extensions import db

    target.test_client().post("/login", data={"email": user.email, "password": user.password}, **environ)
    with app.app_context():
        ip = db.session.scalars(db.select(AuditEvent.ip).where(AuditEvent.action == "account.signed_in")
                                .order_by(AuditEvent.seq.desc())).first()
        db.session.remove()
        return ip


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, create_user):
    user = create_user()
    ip = _sign_in_ip(app, app, user, headers={"X-Forwarded-For": "203.0.113.5"},
                     environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert ip == "198.51.100.1"


def test_forwarded_for_from_a_trusted_proxy_is_the_client(app, make_app, create_user):
    user = create_user()
    proxied = make_app(TRUSTED_PROXIES=1)
    ip = _sign_in_ip(app, proxied, user, headers={"X-Forwarded-For": "10.0.0.9, 203.0.113.5"},
                     environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert ip == "203.0.113.5"  # only the last hop, the one nginx added, is believed


def test_rate_limit_behind_a_proxy_is_per_client(app, make_app, create_user):
    user = create_user()
    proxied = make_app(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    client = proxied.test_client()
    codes = [client.post("/login", data={"email": f"guess{n}@example.kz", "password": "wrong-password-1"},
                         headers={"X-Forwarded-For": "203.0.113.5"}).status_code
             for n in range(allowed(PER_ADDRESS) + 1)]
    assert codes[-1] == 429 and 429 not in codes[:-1]
    other = client.post("/login", data={"email": user.email, "password": user.password},
                        headers={"X-Forwarded-For": "203.0.113.77"})
    assert other.status_code == 302  # another visitor behind the same proxy can still sign in


# --- CSRF ---------------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def _sign_in(client, user):
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert response.status_code == 302
    return response


def _session_version(app, user_id):
    from cabinet.accounts.models import User
    from cabinet.extensions import db

    with app.app_context():
        version = db.session.get(User, user_id).session_version
        db.session.remove()
        return version


@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_csrf_login_without_token_is_refused(app, csrf_app, create_user, token):
    user = create_user()
    client = csrf_app.test_client()
    client.get("/login")
    before = written(app)
    data = {"email": user.email, "password": user.password}
    if token == "wrong":
        data["csrf_token"] = "not-the-token"
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert '<html lang="kk">' in response.text and "Traceback" not in response.text
    assert written(app) == before
    assert client.get("/cabinet").status_code == 302
    _sign_in(client, user)
    assert client.get("/cabinet").status_code == 200


def test_the_csrf_hook_is_found_and_runs_only_for_the_methods_it_checks(csrf_app, monkeypatch):
    """security.csrf_on_changes_only finds Flask-WTF's hook by its name: a release that renames it fails here
    rather than leaving every GET paying for the hook."""
    hooks = [hook for hook in csrf_app.before_request_funcs[None]
             if getattr(hook, "__qualname__", "") == "CSRFProtect.init_app.<locals>.csrf_protect"]
    assert len(hooks) == 1 and hasattr(hooks[0], "__wrapped__")
    calls = []
    monkeypatch.setattr(csrf_app.extensions["csrf"], "protect", lambda **_: calls.append(flask.request.method))
    client = csrf_app.test_client()
    client.get("/login")
    assert calls == []
    client.post("/login", data={})
    assert calls == ["POST"]


def test_csrf_register_without_token_is_refused(app, csrf_app, policy, outbox):
    client = csrf_app.test_client()
    before = written(app)
    response = client.post("/register", data=registration())
    assert response.status_code == 400 and "Traceback" not in response.text
    assert written(app) == before and outbox() == []
    token = csrf_token(client.get("/register").text)
    response = client.post("/register", data=registration(csrf_token=token))
    assert response.status_code == 200
    assert written(app)["users"] == before["users"] + 1


@pytest.mark.parametrize("guarded", [True, False])
def test_a_form_part_whose_name_breaks_its_header_is_a_bad_request_not_a_500(app, make_app, policy, guarded):
    """A field named "\\r" in a multipart form leaves its part without a readable name; CSRF protection used to
    trip over it with a 500 (found by tests/test_properties_forms.py)."""
    client = make_app(WTF_CSRF_ENABLED=guarded).test_client()
    before = written(app)
    response = client.post("/register", data={**registration(), "\r": "x"})
    assert response.status_code == 400 and "Traceback" not in response.text
    assert written(app) == before


def test_csrf_logout_without_token_is_refused(app, csrf_app, create_user):
    user = create_user()
    client = csrf_app.test_client()
    _sign_in(client, user)
    version = _session_version(app, user.id)
    before = written(app)
    response = client.post("/logout")
    assert response.status_code == 400
    assert written(app) == before and _session_version(app, user.id) == version
    assert client.get("/cabinet").status_code == 200  # still signed in
    token = csrf_token(client.get("/cabinet").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/cabinet").status_code == 302


def test_csrf_consents_without_token_is_refused(app, csrf_app, create_user):
    from cabinet.consents.models import ConsentEvent

    user = create_user()
    client = csrf_app.test_client()
    _sign_in(client, user)
    before = written(app)
    response = client.post("/cabinet/consents", data={"purpose": "marketing", "action": "grant"})
    assert response.status_code == 400
    assert written(app) == before
    token = csrf_token(client.get("/cabinet/consents").text)
    response = client.post("/cabinet/consents", data={"purpose": "marketing", "action": "grant", "confirm": "yes",
                                                   "csrf_token": token})
    assert response.status_code == 302
    assert written(app)[ConsentEvent.__tablename__] == before[ConsentEvent.__tablename__] + 1


def test_csrf_token_of_another_session_is_refused(app, csrf_app, create_user):
    user = create_user()
    stranger = csrf_app.test_client()
    foreign_token = csrf_token(stranger.get("/login").text)
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": user.password,
                                           "csrf_token": foreign_token})
    assert response.status_code == 400


# --- rate limits --------------------------------------------------------------------------------


def test_login_is_rate_limited(app, create_user, limited):
    user, other = create_user(), create_user()
    client = limited.test_client()
    for _attempt in range(allowed(SIGN_IN_PER_ACCOUNT)):
        assert client.post("/login", data={"email": user.email, "password": "wrong-password-1"}).status_code == 200
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 429
    assert '<html lang="kk">' in response.text and "Traceback" not in response.text
    assert client.get("/cabinet").status_code == 302  # the right password did not get through
    assert client.get("/login").status_code == 200  # showing the form is not limited
    response = client.post("/login", data={"email": other.email, "password": other.password})
    assert response.status_code == 302  # another account from the same address is not affected


def test_each_app_keeps_its_own_limiter(app, create_user, make_app):
    """An app made later with limits off (or another store) changes nothing for an app made before it."""
    user = create_user()
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    unlimited = make_app(RATELIMIT_ENABLED=False)
    guesses, other = limited.test_client(), unlimited.test_client()
    for _attempt in range(allowed(SIGN_IN_PER_ACCOUNT)):
        assert guesses.post("/login", data={"email": user.email, "password": "wrong-password-1"}).status_code == 200
    assert guesses.post("/login", data={"email": user.email, "password": user.password}).status_code == 429
    assert other.post("/login", data={"email": user.email, "password": user.password}).status_code == 302


@pytest.mark.parametrize("url", ["/reset", "/register"])
def test_reset_and_register_are_rate_limited(app, policy, limited, url):
    client = limited.test_client()
    codes = [client.post(url, data={"email": "not-an-email"}).status_code for _ in range(allowed(MAIL_PER_ACCOUNT) + 1)]
    assert codes == [200] * allowed(MAIL_PER_ACCOUNT) + [429]


@pytest.mark.parametrize(("url", "limits"), [("/login", SIGN_IN_PER_ACCOUNT), ("/reset", MAIL_PER_ACCOUNT)])
def test_the_account_limit_holds_from_many_addresses(app, create_user, limited, url, limits):
    """A guesser with many addresses still gets only the account's tries; the address typed is normalised."""
    user = create_user()
    spellings = [user.email, user.email.upper(), f"  {user.email} "]
    for n in range(allowed(limits)):
        response = limited.test_client().post(url, data={"email": spellings[n % 3], "password": "wrong-password-1"},
                                              environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
        assert response.status_code != 429
    response = limited.test_client().post(url, data={"email": user.email, "password": user.password},
                                          environ_base={"REMOTE_ADDR": "203.0.113.200"})
    assert response.status_code == 429


@pytest.mark.parametrize("url", ["/login", "/reset"])
def test_the_address_limit_is_higher_than_the_account_limit(app, limited, url):
    """People behind one carrier NAT share an address: it gets many more tries than one account does."""
    assert allowed(PER_ADDRESS) >= 5 * max(allowed(SIGN_IN_PER_ACCOUNT), allowed(MAIL_PER_ACCOUNT))
    client = limited.test_client()
    codes = [client.post(url, data={"email": f"person{n}@example.kz", "password": "wrong-password-1"}).status_code
             for n in range(allowed(PER_ADDRESS) + 1)]
    assert 429 not in codes[:-1] and codes[-1] == 429


#: the wait as each language states it: "... 45 секундтан кейін ..." / "... через 45 секунд ..." (or minutes)
WAIT = {"kk": r"(\d+) (секунд|минут)тан кейін", "ru": r"через (\d+) (секунд|минут)"}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_429_page_says_how_long_and_keeps_the_email(app, limited, lang):
    """The form comes back as filled in (never the password), with the wait in the reader's language."""
    client = limited.test_client()
    client.get(f"/lang/{lang}")
    typed = {"email": "Aigerim.S@Example.kz", "password": "typed-secret-password"}
    for _attempt in range(allowed(SIGN_IN_PER_ACCOUNT)):
        client.post("/login", data=typed)
    response = client.post("/login", data=typed)
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 60
    assert f'<html lang="{lang}">' in response.text and "Too many" not in response.text
    assert re.search(WAIT[lang], response.text).groups() == (str(wait), "секунд")
    assert 'value="Aigerim.S@Example.kz"' in response.text and "typed-secret-password" not in response.text
    assert 'name="password"' in response.text  # the form itself, not an error page


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_429_registration_page_keeps_the_details(app, policy, limited, lang):
    client = limited.test_client()
    client.get(f"/lang/{lang}")
    typed = registration(email="Fresh@Example.kz", password_confirm="does-not-match-1", documents=None)
    for _attempt in range(allowed(MAIL_PER_ACCOUNT)):
        client.post("/register", data=typed)
    response = client.post("/register", data=typed)
    assert response.status_code == 429
    minutes = -(-int(response.headers["Retry-After"]) // 60)
    assert re.search(WAIT[lang], response.text).groups() == (str(minutes), "минут")  # 3 in 10 minutes
    for value in ("Fresh@Example.kz", typed["surname"], typed["given_name"], typed["phone"]):
        assert f'value="{value}"' in response.text
    assert PASSWORD not in response.text


def test_confirmation_resend_is_limited_per_account(app, create_user, limited):
    """Signed in on two devices, the account still gets only its mails; the wait is on our error page."""
    user = create_user(confirmed=False)
    devices = [limited.test_client(), limited.test_client()]
    for n, device in enumerate(devices):
        device.post("/login", data={"email": user.email, "password": user.password},
                    environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
    codes = [devices[n % 2].post("/confirm/resend", environ_base={"REMOTE_ADDR": f"198.51.100.{n % 2 + 1}"})
             .status_code for n in range(allowed(MAIL_PER_ACCOUNT) + 1)]
    assert codes == [302] * allowed(MAIL_PER_ACCOUNT) + [429]
    response = devices[0].post("/confirm/resend", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert re.search(WAIT["kk"], response.text) and '<html lang="kk">' in response.text


def test_the_wait_is_told_in_minutes_when_long(app):
    from cabinet.accounts.limits import wait_text

    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert "через 2 минуты" in wait_text(90 + 30) and "через 45 минут" in wait_text(44 * 60 + 1)


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


#: another worker: a process of its own, with its own limiter, making sign-in attempts at one account
WORKER = """
import sys
from argon2 import PasswordHasher
from cabinet import security
from cabinet.app import create_app
security.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
database, storage, email, address, attempts = sys.argv[1:]
app = create_app({"DATABASE_URL": database, "SECRET_KEY": "test-secret", "TESTING": True, "WTF_CSRF_ENABLED": False,
                  "RATELIMIT_STORAGE_URI": storage})
print([app.test_client().post("/login", data={"email": email, "password": "wrong-password-1"},
                              environ_base={"REMOTE_ADDR": address}).status_code for _ in range(int(attempts))])
"""


def test_a_shared_store_out_of_reach_still_signs_in_and_still_limits(app):
    """Redis down (nothing listens on port 1): each worker counts in memory meanwhile; no 500, no free guessing.
    (Without RATELIMIT_IN_MEMORY_FALLBACK_ENABLED every sign-in answered 500.) In a process of its own: the limiter
    is one object per process, and its "store is dead" state would outlive the test."""
    attempts = allowed(SIGN_IN_PER_ACCOUNT) + 1
    run = subprocess.run([sys.executable, "-c", WORKER, app.config["DATABASE_URL"], "redis://127.0.0.1:1/0",
                          "nobody@example.kz", "192.0.2.44", str(attempts)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == str([200] * (attempts - 1) + [429]), run.stdout + run.stderr


@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.parametrize(("storage", "shared"), [("redis://127.0.0.1:6379/0", True), ("memory://", False)])
def test_workers_share_the_limits_through_redis(app, make_app, storage, shared):
    """Two processes stand for two gunicorn workers: with Redis the second sees the first's attempts; in memory
    it does not (which let 30 bad sign-ins through 4 workers against a nominal 10)."""
    email, address = f"{uuid.uuid4().hex[:12]}@example.kz", f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    first = subprocess.run([sys.executable, "-c", WORKER, app.config["DATABASE_URL"], storage, email, address,
                            str(allowed(SIGN_IN_PER_ACCOUNT))], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "429" not in first.stdout, first.stdout
    second = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage)
    response = second.test_client().post("/login", data={"email": email, "password": "wrong-password-1"},
                                         environ_base={"REMOTE_ADDR": address})
    assert (response.status_code == 429) == shared
    if shared:  # the counters of this run: named by the address and the account's digest
        import redis

        from cabinet.accounts.limits import account_key

        with second.test_request_context(method="POST", data={"email": email}):
            digest = account_key().removeprefix("account:")
        server = redis.Redis.from_url(storage)
        server.delete(*[key for key in server.scan_iter() if digest.encode() in key or address.encode() in key])


# --- password hashing ---------------------------------------------------------------------------

def test_real_hasher_is_argon2id_with_owasp_parameters(monkeypatch):
    monkeypatch.undo()  # the autouse fixture swapped in a cheap hasher; this test checks the real one
    assert security.HASHER.time_cost == security.ARGON2_PARAMETERS["time_cost"]
    assert security.HASHER.memory_cost == security.ARGON2_PARAMETERS["memory_cost"]
    stored = security.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    parameters = extract_parameters(stored)
    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2
    assert parameters.parallelism >= 1
    assert security.check_password(stored, PASSWORD)
    assert not security.check_password(stored, PASSWORD + "x")
    assert not security.check_password(None, PASSWORD)
    assert not security.check_password("not-a-hash", PASSWORD)


def test_hashes_are_salted():
    assert security.hash_password(PASSWORD) != security.hash_password(PASSWORD)
    assert PasswordHasher().verify(security.hash_password(PASSWORD), PASSWORD)


# --- error pages --------------------------------------------------------------------------------

SECRET_DETAIL = "internal-detail-that-must-not-leak"


@pytest.fixture
def error_app(marked_catalogs, policy):
    """An app with marked catalogs, small upload limit, rate limits and a route that fails."""
    marked = marked_catalogs(MAX_CONTENT_LENGTH=2000, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")

    def boom():
        raise RuntimeError(SECRET_DETAIL)

    marked.add_url_rule("/test-only/boom", view_func=boom)
    return marked


def _error_response(client, code, staff, lang):
    if code == 403:
        client.post("/login", data={"email": staff.email, "password": staff.password})
        client.get(f"/lang/{lang}")  # signed in, the account's language wins over the cookie
        return client.get("/cabinet")
    if code == 404:
        return client.get("/no/such/page")
    if code == 405:
        return client.get("/logout")
    if code == 413:
        return client.post("/register", data={"documents": [upload(b"%PDF-" + b"0" * 5000, "big.pdf")]})
    if code == 429:
        for _attempt in range(10):
            client.post("/reset", data={"email": "x"})
        return client.post("/reset", data={"email": "x"})
    return client.get("/test-only/boom")


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("code", [403, 404, 405, 413, 429, 500])
def test_error_pages_in_both_languages_without_traceback(error_app, create_user, code, lang):
    staff = create_user(email="staff@example.kz", roles=("support",))
    client = error_app.test_client()
    client.get(f"/lang/{lang}")
    response = _error_response(client, code, staff, lang)
    assert response.status_code == code
    html = response.text
    assert f'<html lang="{lang}">' in html
    other = "ru" if lang == "kk" else "kk"
    title = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert title.startswith(f"[{lang}] ") and f"[{other}] " not in html
    assert "Traceback" not in html and SECRET_DETAIL not in html and "RuntimeError" not in html
    assert 'href="/"' in html  # a way back


def test_error_pages_keep_their_status_and_headers(app, client, make_app, policy):
    gone = make_app()
    gone.add_url_rule("/test-only/gone", view_func=lambda: abort(410))
    response = gone.test_client().get("/test-only/gone")
    assert response.status_code == 410 and '<html lang="kk">' in response.text
    response = client.get("/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert response.headers["Content-Type"].startswith("text/html")


def test_500_rolls_back_and_logs(app, make_app, caplog):
    failing = make_app()

    def half_done():
        from cabinet.accounts.service import create_user

        create_user("half@example.kz", PASSWORD, surname="Х", given_name="Х")
        raise RuntimeError(SECRET_DETAIL)

    failing.add_url_rule("/test-only/half", view_func=half_done)
    before = written(app)
    response = failing.test_client().get("/test-only/half")
    assert response.status_code == 500 and SECRET_DETAIL not in response.text
    assert written(app) == before
    assert SECRET_DETAIL in caplog.text


# --- safe redirects -----------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/", "/cabinet", "/cabinet/profile?x=1", "/policy/1/diff/2#top", "/a//b"])
def test_is_safe_path_accepts_local_paths(target):
    assert is_safe_path(target)


@pytest.mark.parametrize("target", [
    None, "", "cabinet", "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "\\/evil.com",
    "https://evil.com", "http:/evil.com", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x",
    "/\r\nSet-Cookie:x", "/\nx", "/\tevil", "/\t/evil.com", "/\x00", "/a\\b", " /cabinet", "\t//evil.com",
])
def test_is_safe_path_refuses_everything_else(target):
    assert not is_safe_path(target)


@pytest.mark.parametrize("path", ["/policy/%00", "/policy/1%00/diff/2", "/cabinet/complaints/BE-2026%00",
                                  "/cabinet/complaints/%00.pdf", "/staff/complaints/%00"])
def test_a_nul_in_a_url_is_not_found_on_any_database(client, create_user, login, path):
    login(create_user(roles=("subject", "support")))
    assert client.get(path).status_code == 404


def test_the_kept_sign_in_form_gives_each_visitor_a_token_of_their_own(app, create_user, make_app):
    """The sign-in form is rendered once and kept (cabinet.public_pages.form_page): every visitor still gets a token
    of their own session, which signs them in, and another visitor's token is refused."""
    user = create_user()
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    first, second = csrf_app.test_client(), csrf_app.test_client()
    tokens = [csrf_token(visitor.get("/login").text) for visitor in (first, second)]
    assert tokens[0] != tokens[1] and "{" not in "".join(tokens)  # each its own, the placeholder never shown
    refused = second.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": tokens[0]})
    assert refused.status_code == 400
    assert second.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": tokens[1]}).status_code == 302
    page = first.get("/login?next=/cabinet/profile")  # with a query string: rendered for this visitor
    assert 'value="/cabinet/profile"' in page.text and csrf_token(page.text) != tokens[1]
    assert first.post("/login", data={"email": user.email, "password": PASSWORD, "next": "/cabinet/profile",
                                      "csrf_token": csrf_token(page.text)}).headers["Location"] == "/cabinet/profile"
