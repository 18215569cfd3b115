"""Access control on every URL: one declared table of routes × {anonymous, subject, other subject}.

The table must name every rule of the application (static files aside): a new route fails
`test_every_route_is_in_the_table` until its expected answers are declared here. Routes the
contract promises but nobody has built yet are marked `planned` and skipped until they exist.

In a URL, `{doc}` is a document of subject A, `{complaint}` the number of A's complaint and `{user}` is
A's account id. The "subject" column
is A asking; "other" is subject B asking for the same URL, so an object URL of A's must answer B
as if it did not exist.
"""

import re
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from cabinet.documents.models import Document
from cabinet.extensions import db

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
    planned: bool = False
    #: what a staff member without the subject role gets (cabinet routes only)
    staff: int | str | None = None


def public(rule, url=None, method="GET", status=200, signed_in=None):
    signed_in = status if signed_in is None else signed_in
    return Route(rule, method, url or rule, status, signed_in, signed_in)


def cabinet(rule, url=None, method="GET", status=200, other=None, planned=False, staff=403):
    return Route(rule, method, url or rule, LOGIN, status, status if other is None else other, planned, staff)


def staff(rule, url=None, method="GET", planned=False):
    return Route(rule, method, url or rule, LOGIN, 403, 403, planned)


ROUTES = [
    # public
    public("/"),
    public("/healthz"),
    public("/lang/<code>", "/lang/ru", status=302),
    public("/lang/<code>", "/lang/en", status=404),
    public("/policy"),
    public("/policy/<label>", "/policy/1"),
    public("/policy/<label>", "/policy/no-such-version", status=404),
    public("/policy/<old>/diff/<new>", "/policy/1/diff/1"),
    public("/policy/<old>/diff/<new>", "/policy/1/diff/9", status=404),
    # account
    public("/login", signed_in=to("/cabinet")),
    public("/login", method="POST", signed_in=to("/cabinet")),
    Route("/logout", "POST", "/logout", LOGIN, to("/"), to("/")),
    public("/register"),
    public("/register", method="POST"),
    public("/reset"),
    public("/reset", method="POST"),
    public("/reset/<token>", "/reset/not-a-token", status=to("/reset")),
    public("/reset/<token>", "/reset/not-a-token", method="POST", status=to("/reset")),
    Route("/confirm/<token>", "GET", "/confirm/not-a-token", to("/login"), to("/cabinet"), to("/cabinet")),
    Route("/confirm/resend", "POST", "/confirm/resend", LOGIN, to("/cabinet"), to("/cabinet")),
    # cabinet
    cabinet("/cabinet"),
    cabinet("/cabinet/profile"),
    cabinet("/cabinet/profile/edit"),
    cabinet("/cabinet/profile/edit", method="POST"),  # an empty form: shown again with its errors
    cabinet("/cabinet/profile/history"),
    cabinet("/cabinet/documents"),
    cabinet("/cabinet/documents/<document_id>", "/cabinet/documents/{doc}", other=404),
    cabinet("/cabinet/documents/<document_id>", "/cabinet/documents/987654", status=404),
    cabinet("/cabinet/policies"),
    cabinet("/cabinet/policies/review"),
    cabinet("/cabinet/policies/review", method="POST", status=to("/cabinet/policies")),
    cabinet("/cabinet/consents"),
    cabinet("/cabinet/consents", method="POST"),
    cabinet("/cabinet/consents/withdraw-all"),
    cabinet("/cabinet/consents/withdraw-all", method="POST"),
    cabinet("/cabinet/access-log"),
    cabinet("/cabinet/disclosures"),
    cabinet("/cabinet/export"),
    cabinet("/cabinet/password", staff=200),  # every account changes its own password
    cabinet("/cabinet/password", method="POST", staff=200),  # an empty form: shown again with its errors
    cabinet("/cabinet/complaints"),
    cabinet("/cabinet/complaints/new"),
    cabinet("/cabinet/complaints/new", method="POST"),  # an empty form: shown again with its errors
    cabinet("/cabinet/complaints/<number>", "/cabinet/complaints/{complaint}", other=404),
    cabinet("/cabinet/complaints/<number>", "/cabinet/complaints/0000-000000", status=404),
    cabinet("/cabinet/complaints/<number>.pdf", "/cabinet/complaints/{complaint}.pdf", other=404),
    cabinet("/cabinet/complaints/<number>.pdf", "/cabinet/complaints/0000-000000.pdf", status=404),
    cabinet("/cabinet/complaints/<number>/supplement", "/cabinet/complaints/{complaint}/supplement", method="POST",
            other=404),
    cabinet("/cabinet/complaints/<number>/withdraw", "/cabinet/complaints/{complaint}/withdraw", method="POST",
            other=404),
    # staff, translators, administrators: never a subject's
    staff("/staff"),
    staff("/staff/subjects"),
    staff("/staff/subjects/<user_id>", "/staff/subjects/{user}"),
    staff("/staff/subjects/<user_id>", "/staff/subjects/{user}", method="POST"),
    staff("/staff/subjects/<user_id>/act", "/staff/subjects/{user}/act", method="POST"),
    staff("/staff/act/stop", method="POST"),
    staff("/staff/corrections"),
    staff("/staff/corrections/<request_id>", "/staff/corrections/1", method="POST"),
    staff("/staff/corrections/<request_id>/documents/<document_id>", "/staff/corrections/1/documents/{doc}"),
    staff("/staff/withdrawals"),
    staff("/staff/withdrawals/<withdrawal_id>", "/staff/withdrawals/1", method="POST"),
    staff("/staff/disclosures/new"),
    staff("/staff/disclosures/new", method="POST"),
    staff("/staff/complaints"),
    staff("/staff/complaints/<number>", "/staff/complaints/{complaint}"),
    staff("/staff/complaints/<number>", "/staff/complaints/{complaint}", method="POST"),
    staff("/staff/complaints/<number>.pdf", "/staff/complaints/{complaint}.pdf"),
    staff("/staff/complaints/<number>/review", "/staff/complaints/{complaint}/review", method="POST"),
    staff("/staff/complaints/<number>/notes", "/staff/complaints/{complaint}/notes", method="POST"),
    staff("/staff/complaints/<number>/documents/<document_id>", "/staff/complaints/{complaint}/documents/{doc}"),
    staff("/staff/complaints/verify"),
    staff("/staff/complaints/verify", method="POST"),
    staff("/translate", planned=True),
    staff("/translate/<locale>", "/translate/kk", planned=True),
    staff("/translate/<locale>", "/translate/kk", method="POST", planned=True),
    staff("/admin/policies"),
    staff("/admin/policies", method="POST"),
    staff("/admin/users"),
    staff("/admin/users", method="POST"),
]

ROLES = ("anonymous", "subject", "other")


def normalise(rule: str) -> str:
    """A rule without its converters: /cabinet/documents/<int:document_id> → /cabinet/documents/<document_id>."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule)


def app_routes(app) -> set[tuple[str, str]]:
    return {(normalise(rule.rule), method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_in_the_table(app):
    declared = {(r.rule, r.method) for r in ROUTES}
    missing = sorted(app_routes(app) - declared)
    assert not missing, f"declare the expected answers for these routes in ROUTES: {missing}"


def test_every_declared_route_exists_unless_planned(app):
    gone = sorted({(r.rule, r.method) for r in ROUTES if not r.planned} - app_routes(app))
    assert not gone, f"these routes are declared but the app has none; remove them or mark them planned: {gone}"


@pytest.fixture
def world(app, create_user):
    """Subject A with a document and a complaint, and subject B."""
    from cabinet.accounts.models import User
    from cabinet.complaints import service as complaints

    a, b = create_user(email="a@example.kz"), create_user(email="b@example.kz")
    with app.test_request_context():
        doc = db.session.scalar(select(Document.id).where(Document.owner_id == a.id))
        subject = db.session.get(User, a.id)
        complaint, _created = complaints.file_complaint(subject, actor=subject, subject_line="Access", body="Text",
                                                        desired_outcome="", scans=[], token="access-test-" + "c" * 20)
        db.session.commit()
        number = complaint.number
    return {"a": a, "b": b, "doc": doc, "complaint": number}


def check(response, expected):
    """Compare an answer with the table's expectation (a status code, or a redirect to a path)."""
    if isinstance(expected, str):
        assert response.status_code in (302, 303), response.status_code
        location = urlsplit(response.headers["Location"])
        path, _sep, query = expected[1:].partition("?")
        assert location.path == path, response.headers["Location"]
        assert query in location.query
    else:
        assert response.status_code == expected


def request(client, route: Route, world):
    url = route.url.format(doc=world["doc"], user=world["a"].id, complaint=world["complaint"])
    return client.open(url, method=route.method, data={} if route.method == "POST" else None)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.url}" for r in ROUTES])
def test_route_answers_each_role_as_declared(app, client, login, world, route, role):
    if route.planned and (route.rule, route.method) not in app_routes(app):
        pytest.skip("promised by the contract, not built yet")
    if role != "anonymous":
        login(world["a"] if role == "subject" else world["b"])
    response = request(client, route, world)
    check(response, getattr(route, role))
    if response.status_code >= 400:
        assert "Traceback" not in response.text
        assert '<html lang="' in response.text


STAFF_ONLY = [("translator",), ("admin",), ("support",), ("support", "translator", "admin")]
CABINET_ROUTES = [r for r in ROUTES if r.rule.startswith("/cabinet")]


@pytest.mark.parametrize("roles", STAFF_ONLY, ids=["+".join(r) for r in STAFF_ONLY])
@pytest.mark.parametrize("route", CABINET_ROUTES, ids=[f"{r.method} {r.url}" for r in CABINET_ROUTES])
def test_staff_without_the_subject_role_get_403_on_cabinet_pages(app, client, create_user, login, world, route,
                                                                  roles):
    """403 on every cabinet page, except the page where every account changes its own password."""
    if route.planned and (route.rule, route.method) not in app_routes(app):
        pytest.skip("promised by the contract, not built yet")
    login(create_user(roles=roles))
    check(request(client, route, world), route.staff)


def test_cabinet_table_covers_every_cabinet_rule(app):
    """The staff-role test above walks CABINET_ROUTES; make sure no cabinet rule escapes it."""
    cabinet_rules = {r for r in app_routes(app) if r[0].startswith("/cabinet")}
    assert cabinet_rules <= {(r.rule, r.method) for r in CABINET_ROUTES}


def test_another_subjects_document_is_indistinguishable_from_a_missing_one(client, login, world):
    login(world["b"])
    theirs = client.get(f"/cabinet/documents/{world['doc']}")
    missing = client.get("/cabinet/documents/987654")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace(f"/{world['doc']}", "/987654") == missing.text
