"""Security by default: response headers, safe redirects, password hashing."""

import time
from functools import cache, wraps
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from werkzeug.middleware.proxy_fix import ProxyFix

#: argon2id above OWASP's minimum (m=19 MiB, t=2, p=1): m=46 MiB, t=2, p=1; tests check these, not the patched HASHER
ARGON2_PARAMETERS = {"time_cost": 2, "memory_cost": 47104, "parallelism": 1}
HASHER = PasswordHasher(**ARGON2_PARAMETERS)

#: where every page is personal data (the cabinet) or staff work on it
PERSONAL_AREAS = ("/cabinet", "/staff", "/admin", "/translate")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: every powerful feature off: the cabinet uses none, so nothing on its pages (or framed by them) can ask for one
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "ambient-light-sensor", "attribution-reporting", "autoplay", "battery", "bluetooth",
    "browsing-topics", "camera", "compute-pressure", "display-capture", "document-domain", "encrypted-media",
    "fullscreen", "gamepad", "geolocation", "gyroscope", "hid", "identity-credentials-get", "idle-detection",
    "interest-cohort", "local-fonts", "magnetometer", "microphone", "midi", "otp-credentials", "payment",
    "picture-in-picture", "publickey-credentials-create", "publickey-credentials-get", "screen-wake-lock", "serial",
    "speaker-selection", "storage-access", "sync-xhr", "usb", "web-share", "window-management",
    "xr-spatial-tracking"))
#: on every answer: the app's (_headers) and gunicorn's own error answers (gunicorn.conf.py)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",  # no other site may embed the cabinet's answers (scans, PDFs)
}
HSTS = "max-age=63072000; includeSubDomains"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """Verify, spending the same time when there is no account, so timing reveals nothing."""
    try:
        return HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """A hash made with weaker parameters than today's is replaced at the next sign-in."""
    return HASHER.check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not-a-password")


def is_safe_path(target: str | None) -> bool:
    """Only local absolute paths: no scheme, no host, no '//' or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str) -> str:
    """The ?next= (or form field next) when it is a safe local path, otherwise the default."""
    target = request.values.get("next")
    return target if is_safe_path(target) else default


class WithHeaders:
    """Every answer leaves with the security headers it did not set itself, added to the WSGI header list as it
    leaves: through werkzeug's Headers each constant value was checked for line breaks again on every response (a
    sixth of a bare route's time)."""

    def __init__(self, wsgi_app, production: bool):
        self.wsgi_app = wsgi_app
        self.items = tuple(HEADERS.items()) + ((("Strict-Transport-Security", HSTS),) if production else ())
        self.names = frozenset(name.lower() for name, _value in self.items)

    def __call__(self, environ, start_response):
        def starting(status, headers, exc_info=None):
            names = {name.lower() for name, _value in headers}
            if self.names.isdisjoint(names):
                headers = [*headers, *self.items]
            else:
                headers = [*headers, *(item for item in self.items if item[0].lower() not in names)]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, starting)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per key: Flask made a new one for every
    request, serializing an empty dict each time to learn that its JSON is text."""

    #: signed cookies already verified, each with its signing time and values; a flood of cookies only empties it
    LIMIT = 4096
    #: the values a verified cookie may be kept with (and lists of them, kept as tuples and given out as new lists):
    #: immutable, so a request changing its session changes no other request's
    KEPT_TYPES = (str, int, float, bool, type(None))

    def __init__(self):
        self.verified: dict[str, tuple] = {}

    def open_session(self, app, request):
        """A cookie verified before is not checked and decoded again (its HMAC, base64, zlib and tagged JSON: a
        tenth of a signed-in bare route): the same signed text under the same keys holds the same values, and its
        age is still checked against the session lifetime as itsdangerous checks it."""
        serializer = self.get_signing_serializer(app)
        text = request.cookies.get(self.get_cookie_name(app))
        if serializer is None:
            return None
        if not text:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self.verified.get(text)
        if kept is not None and kept[0] is serializer and 0 <= int(time.time()) - kept[1] <= max_age:
            return self.session_class({key: list(value) if key in kept[3] else value for key, value in kept[2]})
        try:
            data, signed = serializer.loads(text, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        lists = frozenset(key for key, value in data.items() if type(value) is list)
        if all(type(item) in self.KEPT_TYPES for key, value in data.items()
               for item in (value if key in lists else (value,))):
            if len(self.verified) >= self.LIMIT:
                self.verified = {}
            frozen = tuple((key, tuple(value) if key in lists else value) for key, value in data.items())
            self.verified[text] = (serializer, int(signed.timestamp()), frozen, lists)
        return self.session_class(data)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))  # all the serializer depends on
        kept = app.extensions.get("cabinet.session_serializer")
        if kept is None or kept[0] != keys:
            kept = app.extensions["cabinet.session_serializer"] = (keys, super().get_signing_serializer(app))
        return kept[1]


def _no_store(response):
    if request.path.startswith(PERSONAL_AREAS) or (request.endpoint != "static" and "_user_id" in session):
        response.headers["Cache-Control"] = "no-store"  # a signed-in visitor's every page shows their name at the top
    return response


def _log_refusal(response):
    """A refused request is a security event (ASVS V16.3.2): who asked for what, from where."""
    if response.status_code in (401, 403):
        # the path is the visitor's text: repr() escapes a line break that would forge a log line (V16.4.1)
        current_app.logger.warning("access refused (%s): %s %r for user %s from %s", response.status_code,
                                   request.method, request.path, session.get("_user_id", "-"), request.remote_addr)
    return response


def _limit_plain_bodies():
    """Only multipart forms carry files: any other body is held to the form memory limit before it is parsed."""
    asked = request._get_current_object()  # once: each look through the proxy costs a few calls, on every request
    if not asked.environ.get("CONTENT_TYPE") or asked.mimetype != "multipart/form-data":
        asked.max_content_length = current_app.config["MAX_FORM_MEMORY_SIZE"]


def _refuse_nameless_fields():
    """A multipart part whose name cannot be read (a CR inside its header) is a malformed request: 400, before
    CSRF protection stumbles on it with a 500."""
    asked = request._get_current_object()
    if (asked.environ.get("CONTENT_TYPE") and asked.mimetype == "multipart/form-data"  # a GET has no body to parse
            and (None in asked.form or None in asked.files)):
        abort(400)


def csrf_on_changes_only(app) -> None:
    """Flask-WTF's CSRF hook looked up the view's exemptions on every request before learning that a GET is never
    checked (a sixteenth of a bare route): it now runs for the methods it checks, after the same hooks as before."""
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__qualname__", "") == "CSRFProtect.init_app.<locals>.csrf_protect":
            hooks[index] = _on_checked_methods(hook)


def _on_checked_methods(hook):
    @wraps(hook)
    def checked():
        return hook() if request.method in current_app.config["WTF_CSRF_METHODS"] else None

    return checked


def init_guards(app):
    """Checks that must run before any other hook reads the form (registered before CSRF protection)."""
    app.before_request(_refuse_nameless_fields)


def init_app(app):
    app.before_request(_limit_plain_bodies)
    app.after_request(_no_store)
    app.after_request(_log_refusal)
    app.wsgi_app = WithHeaders(app.wsgi_app, app.config["ENV"] == "production")
    app.session_interface = CookieSessions()
    if app.config["ENV"] == "production" and not app.config["SESSION_COOKIE_NAME"].startswith("__Host-"):
        # only sent over https, to this host, for every path: no subdomain or plain-http page can plant or read it
        app.config["SESSION_COOKIE_NAME"] = "__Host-" + app.config["SESSION_COOKIE_NAME"]
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # behind nginx: the client's address (audit trail, rate limits) and scheme come from the proxy's headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
