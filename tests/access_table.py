"""The access table every route is checked against, and the world its URLs point into (subjects A–D and their
objects, built once per configuration and restored row for row)."""

import hashlib
import re
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.audit.actor import Actor
from cabinet.complaints import operations as complaint_operations
from cabinet.consents import withdrawal
from cabinet.consents.models import ConsentEvent
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.profile import service as profile
from tests.helpers import PDF, Snapshot

LOGIN = "→/login?next"  # the sign-in page, with the way back


def to(path: str) -> str:
    return f"→{path}"


class Route(NamedTuple):
    rule: str
    method: str
    url: str
    anonymous: int | str
    subject: int | str
    other: int | str
    support: int | str
    translator: int | str
    admin: int | str
    #: what support staff acting on A's behalf get (cabinet routes only; None elsewhere)
    acting: int | str | None = None


def public(rule, url=None, method="GET", status=200, signed_in=None, **staff):
    """Open to everybody; a signed-in answer may differ (a redirect to where that role starts)."""
    signed_in = status if signed_in is None else signed_in
    answers = {"support": signed_in, "translator": signed_in, "admin": signed_in, **staff}
    return Route(rule, method, url or rule, status, signed_in, signed_in, **answers)


def cabinet(rule, url=None, method="GET", status=200, other=None, staff=403, acting=None):
    """A subject's own pages: staff without data of their own get 403, staff acting for A see A's."""
    return Route(rule, method, url or rule, LOGIN, status, status if other is None else other,
                 staff, staff, staff, status if acting is None else acting)


def staff(rule, url=None, method="GET", status=200):
    """Support and administrators; never a subject, never a translator."""
    return Route(rule, method, url or rule, LOGIN, 403, 403, status, 403, status)


def admin(rule, url=None, method="GET", status=200):
    return Route(rule, method, url or rule, LOGIN, 403, 403, 403, 403, status)


def translate(rule, url=None, method="GET", status=200, admin_only=False):
    """The translators' area: catalogs only, no personal data; administrators may do what translators do."""
    return Route(rule, method, url or rule, LOGIN, 403, 403, 403, 403 if admin_only else status, status)


ROUTES = [
    # public
    public("/"),
    public("/healthz"),
    public("/favicon.ico"),  # the icon, answered where browsers ask for it
    public("/stats"),
    public("/lang/<code>", "/lang/ru", status=302),
    public("/lang/<code>", "/lang/en", status=404),
    public("/lang/<code>", "/lang/ru", method="POST", status=302),  # signed in, the account's language too
    public("/policy"),
    public("/policy/<label>", "/policy/1"),
    public("/policy/<label>", "/policy/no-such-version", status=404),
    public("/policy/<old>/diff/<new>", "/policy/1/diff/1"),
    public("/policy/<old>/diff/<new>", "/policy/1/diff/9", status=404),
    # account: a signed-in visitor goes where their role starts
    public("/login", signed_in=to("/cabinet"), support=to("/staff"), translator=to("/translate"), admin=to("/staff")),
    public("/login", method="POST", signed_in=to("/cabinet"), support=to("/staff"), translator=to("/translate"),
           admin=to("/staff")),
    public("/logout", method="POST", status=LOGIN, signed_in=to("/")),
    public("/register"),
    public("/register", method="POST"),
    # anyone holding a printed complaint checks its code
    public("/verify"),
    public("/verify", method="POST"),
    public("/reset"),
    public("/reset", method="POST"),
    public("/reset/<token>", "/reset/not-a-token", status=to("/reset")),
    public("/reset/<token>", "/reset/not-a-token", method="POST", status=to("/reset")),
    public("/confirm/<token>", "/confirm/not-a-token", status=to("/login"), signed_in=to("/cabinet")),
    public("/confirm/resend", method="POST", status=LOGIN, signed_in=to("/cabinet")),
    # cabinet
    cabinet("/cabinet"),
    cabinet("/cabinet/profile"),
    cabinet("/cabinet/profile/edit"),
    cabinet("/cabinet/profile/edit", method="POST"),  # an empty form: shown again with its errors
    cabinet("/cabinet/profile/history"),
    cabinet("/cabinet/profile/corrections/<request_id>/decision.pdf",
            "/cabinet/profile/corrections/{correction}/decision.pdf", status=404),  # C's, under review
    cabinet("/cabinet/documents"),
    cabinet("/cabinet/documents/<document_id>", "/cabinet/documents/{doc}", other=404),
    cabinet("/cabinet/documents/<document_id>", "/cabinet/documents/987654", status=404),
    cabinet("/cabinet/policies"),
    cabinet("/cabinet/policies/review"),
    cabinet("/cabinet/policies/review", method="POST", status=to("/cabinet/policies")),
    cabinet("/cabinet/consents"),
    cabinet("/cabinet/consents", method="POST"),
    cabinet("/cabinet/consents/<purpose>/receipt", "/cabinet/consents/marketing/receipt"),
    cabinet("/cabinet/consents/<purpose>/receipt", "/cabinet/consents/no-such-purpose/receipt", status=404),
    cabinet("/cabinet/consents/receipts/<event_id>", "/cabinet/consents/receipts/{consent}", other=404),
    cabinet("/cabinet/consents/receipts/<event_id>", "/cabinet/consents/receipts/987654", status=404),
    cabinet("/cabinet/consents/receipts/<event_id>.pdf", "/cabinet/consents/receipts/{consent}.pdf", other=404),
    cabinet("/cabinet/consents/receipts/<event_id>.pdf", "/cabinet/consents/receipts/987654.pdf", status=404),
    cabinet("/cabinet/consents/withdraw-all"),
    cabinet("/cabinet/consents/withdraw-all", method="POST"),
    cabinet("/cabinet/access-log"),
    cabinet("/cabinet/disclosures"),
    cabinet("/cabinet/export"),
    cabinet("/cabinet/export.zip"),
    # every account changes its own password, and nobody acting for it may
    cabinet("/cabinet/password", staff=200, acting=403),
    cabinet("/cabinet/password", method="POST", staff=200, acting=403),  # an empty form: shown with its errors
    cabinet("/cabinet/complaints"),
    cabinet("/cabinet/complaints/new"),
    cabinet("/cabinet/complaints/new", method="POST"),  # an empty form: shown again with its errors
    cabinet("/cabinet/complaints/<number>", "/cabinet/complaints/{complaint}", other=404),
    cabinet("/cabinet/complaints/<number>", "/cabinet/complaints/0000-000000", status=404),
    cabinet("/cabinet/complaints/<number>.pdf", "/cabinet/complaints/{complaint}.pdf", other=404),
    cabinet("/cabinet/complaints/<number>.pdf", "/cabinet/complaints/0000-000000.pdf", status=404),
    cabinet("/cabinet/complaints/<number>/supplement", "/cabinet/complaints/{complaint}/supplement", method="POST",
            other=404),  # an empty supplement: the complaint's page with the form's errors
    cabinet("/cabinet/complaints/<number>/supplement", "/cabinet/complaints/0000-000000/supplement",
            method="POST", status=404),
    cabinet("/cabinet/complaints/<number>/withdraw", "/cabinet/complaints/{complaint}/withdraw", method="POST",
            other=404),  # no confirmation: the complaint's page with the form's errors
    cabinet("/cabinet/complaints/<number>/withdraw", "/cabinet/complaints/0000-000000/withdraw", method="POST",
            status=404),
    # staff
    staff("/staff"),
    staff("/staff/subjects"),
    staff("/staff/subjects", "/staff/subjects?q={user}"),
    staff("/staff/subjects/<user_id>", "/staff/subjects/{user}"),  # asks for the reason first
    staff("/staff/subjects/<user_id>", "/staff/subjects/987654", status=404),
    staff("/staff/subjects/<user_id>", "/staff/subjects/{user}", method="POST"),  # no reason: asked again
    staff("/staff/subjects/<user_id>/act", "/staff/subjects/{user}/act", method="POST",
          status=to("/staff/subjects/{user}")),  # no reason, no basis: refused
    staff("/staff/subjects/<user_id>/act", "/staff/subjects/987654/act", method="POST", status=404),
    staff("/staff/act/stop", method="POST", status=to("/staff")),
    staff("/staff/corrections"),
    staff("/staff/corrections/<request_id>", "/staff/corrections/{correction}", method="POST",
          status=to("/staff/corrections")),  # no decision: refused with a message
    staff("/staff/corrections/<request_id>", "/staff/corrections/987654", method="POST", status=404),
    staff("/staff/corrections/<request_id>/documents/<document_id>",
          "/staff/corrections/{correction}/documents/{correction_doc}"),
    staff("/staff/corrections/<request_id>/documents/<document_id>",
          "/staff/corrections/{correction}/documents/{doc}", status=404),  # not this correction's scan
    staff("/staff/withdrawals"),
    staff("/staff/withdrawals/<withdrawal_id>", "/staff/withdrawals/{withdrawal}", method="POST",
          status=to("/staff/withdrawals")),  # no decision: refused with a message
    staff("/staff/withdrawals/<withdrawal_id>", "/staff/withdrawals/987654", method="POST", status=404),
    staff("/staff/disclosures/new"),
    staff("/staff/disclosures/new", method="POST"),  # an empty form: shown again with its errors
    staff("/staff/complaints"),
    staff("/staff/complaints/<number>", "/staff/complaints/{complaint}"),
    staff("/staff/complaints/<number>", "/staff/complaints/0000-000000", status=404),
    staff("/staff/complaints/<number>", "/staff/complaints/{complaint}", method="POST"),  # no answer: form again
    staff("/staff/complaints/<number>.pdf", "/staff/complaints/{complaint}.pdf"),
    staff("/staff/complaints/<number>/review", "/staff/complaints/{complaint}/review", method="POST",
          status=to("/staff/complaints/{complaint}")),
    staff("/staff/complaints/<number>/notes", "/staff/complaints/{complaint}/notes", method="POST",
          status=to("/staff/complaints/{complaint}")),  # an empty note: refused with a message
    staff("/staff/complaints/<number>/documents/<document_id>",
          "/staff/complaints/{complaint}/documents/{complaint_doc}"),
    staff("/staff/complaints/<number>/documents/<document_id>", "/staff/complaints/{complaint}/documents/{doc}",
          status=404),  # a scan of A's, but not one of this complaint
    staff("/staff/complaints/verify"),
    staff("/staff/complaints/verify", method="POST"),
    # administration
    admin("/admin", status=to("/admin/policies")),  # typed or guessed: the first administration page
    admin("/admin/policies"),
    admin("/admin/policies", method="POST"),  # an empty form: shown again with its errors
    admin("/admin/users"),
    admin("/admin/users", method="POST"),  # nothing chosen: the list again
    admin("/admin/users/<user_id>/sessions", "/admin/users/987654/sessions", method="POST", status=404),
    admin("/admin/calendar"),
    admin("/admin/calendar", "/admin/calendar?year=1999", status=404),
    admin("/admin/calendar", method="POST"),  # an empty form: shown again with its errors
    admin("/admin/mail"),
    admin("/admin/mail/<mail_id>/resend", "/admin/mail/987654/resend", method="POST", status=404),
    admin("/admin/audit"),
    admin("/admin/audit/verify", method="POST", status=to("/admin/audit")),  # queued: back to the page
    # the translators' area: catalogs only, no personal data
    translate("/translate"),
    translate("/translate/<locale>", "/translate/kk"),
    translate("/translate/<locale>", "/translate/en", status=404),
    translate("/translate/<locale>", "/translate/kk", method="POST", status=400),  # an empty entry: refused
    translate("/translate/<locale>/download", "/translate/kk/download"),
    translate("/translate/<locale>/history/<key>", "/translate/kk/history/no-such-entry", status=404),
    translate("/translate/<locale>/upload", "/translate/kk/upload"),
    translate("/translate/<locale>/upload", "/translate/kk/upload", method="POST", status=400),  # no file
    translate("/translate/translators", admin_only=True),
    translate("/translate/translators", method="POST", status=400, admin_only=True),  # nothing chosen
]


#: routes CONTRACT.md promises that nobody has built yet, with their expected answers: each is skipped, with that
#: reason, while the app has no such rule, and checked as soon as it has one (then move it into ROUTES)
NOT_BUILT_YET: list[Route] = []

ROLES = ("anonymous", "subject", "other", "support", "translator", "admin")
CABINET_ROUTES = [r for r in ROUTES if r.rule.startswith("/cabinet")]


def normalise(rule: str) -> str:
    """A rule without its converters: /cabinet/documents/<int:document_id> → /cabinet/documents/<document_id>."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule)


def app_routes(app) -> set[tuple[str, str]]:
    return {(normalise(rule.rule), method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


#: the world as first built on each database and configuration, put back for every later test (it costs a second)
_BUILT: dict = {}


@pytest.fixture
def world(app, app_config, tmp_path, create_user):
    """Subject A with a document and a complaint with a scan; subject B; C with a pending name correction and
    its scan; D whose withdrawal of all consent is scheduled. Built once, then restored row for row."""
    key = tuple(sorted((name, repr(value)) for name, value in app_config.items() if str(tmp_path) not in repr(value)))
    if key in _BUILT:
        snapshot, built = _BUILT[key]
        snapshot.restore(app)
        return dict(built)
    built = build_world(app, create_user)
    _BUILT[key] = Snapshot(app), built
    return dict(built)


def build_world(app, create_user):
    a, b = create_user(email="a@example.kz"), create_user(email="b@example.kz")
    c, d = create_user(email="c@example.kz"), create_user(email="d@example.kz")
    scan = storage.CheckedFile("scan.pdf", "application/pdf", PDF, hashlib.sha256(PDF).hexdigest())
    with app.test_request_context():
        doc = db.session.scalar(select(Document.id).where(Document.owner_id == a.id))
        subject = db.session.get(User, a.id)
        complaint, _created = complaint_operations.file(Actor(subject), subject, subject_line="Access", body="Text",
                                                        desired_outcome="", scans=[scan],
                                                        token="access-test-" + "c" * 20)
        c_user = db.session.get(User, c.id)
        correction, _created = profile.request_name_correction(
            c_user, {"surname": "Жаңа"}, "Неке", [scan], actor=c_user, token="access-test-" + "r" * 20,
            due_on=local_today())
        d_user = db.session.get(User, d.id)
        scheduled = withdrawal.withdraw_all(d_user, actor=Actor(d_user), today=local_today())
        db.session.commit()
        complaint_doc = db.session.scalar(select(Document.id).where(Document.owner_id == a.id,
                                                                    Document.kind == "complaint"))
        correction_doc = db.session.scalar(select(Document.id).where(Document.owner_id == c.id,
                                                                     Document.kind == "correction"))
        consent = db.session.scalar(select(ConsentEvent.id).where(ConsentEvent.user_id == a.id)
                                    .order_by(ConsentEvent.id.desc()).limit(1))
        ids = {"complaint": complaint.number, "correction": correction.id, "withdrawal": scheduled.id,
               "consent": consent}
    return {"a": a, "b": b, "doc": doc, "complaint_doc": complaint_doc, "correction_doc": correction_doc, **ids}


def fill(template: str, world) -> str:
    return template.format(doc=world["doc"], user=world["a"].id, complaint=world["complaint"],
                           complaint_doc=world["complaint_doc"], correction=world["correction"],
                           correction_doc=world["correction_doc"], withdrawal=world["withdrawal"],
                           consent=world["consent"])


def check(response, expected, world):
    """Compare an answer with the table's expectation (a status code, or a redirect to a path)."""
    if isinstance(expected, str):
        assert response.status_code in (302, 303), response.status_code
        location = urlsplit(response.headers["Location"])
        path, _sep, query = fill(expected[1:], world).partition("?")
        assert location.path == path, response.headers["Location"]
        assert query in location.query
    else:
        assert response.status_code == expected
    if response.status_code >= 400:
        assert "Traceback" not in response.text
        assert '<html lang="' in response.text


def request(client, route: Route, world):
    return client.open(fill(route.url, world), method=route.method,
                       data={} if route.method == "POST" else None)


@pytest.fixture
def sign_in_as(create_user, login, world):
    """Sign the test client in as one of the table's roles."""

    def do(role):
        if role == "subject":
            login(world["a"])
        elif role == "other":
            login(world["b"])
        elif role != "anonymous":
            login(create_user(email=f"{role}@example.kz", roles=(role,)))

    return do
