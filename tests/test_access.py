"""Access control on every URL: one declared table of routes × {anonymous, subject, other subject, support,
translator, admin}, plus a support staff member acting on subject A's behalf for the cabinet's pages.

The table must name every rule of the application (static files aside): a new route fails
`test_every_route_is_in_the_table` until its expected answers are declared here. Routes the contract
promises but nobody has built yet stand apart in NOT_BUILT_YET, skipped with that reason; once one is built,
its rows move into ROUTES.

In a URL, `{doc}` is a document of subject A, `{complaint}` the number of A's complaint, `{complaint_doc}` the
scan attached to it, `{user}` A's account id, `{correction}`/`{correction_doc}` a pending name correction of
subject C and its scan, and `{withdrawal}` a scheduled withdrawal of subject D. The "subject" column is A
asking; "other" is subject B asking for the same URL, so an object URL of A's must answer B as if it did not
exist. Staff hold no subject role: the cabinet answers them 403 (they have no data of their own) unless they
act on a subject's behalf (the "acting" column), and translators see no personal data at all.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.access_table import (
    CABINET_ROUTES,
    NOT_BUILT_YET,
    ROLES,
    ROUTES,
    app_routes,
    check,
    fill,
    request,
)
from tests.helpers import upload


def test_every_route_is_in_the_table(app):
    declared = {(r.rule, r.method) for r in ROUTES + NOT_BUILT_YET}
    missing = sorted(app_routes(app) - declared)
    assert not missing, f"declare the expected answers for these routes in ROUTES: {missing}"


def test_every_declared_route_exists(app):
    gone = sorted({(r.rule, r.method) for r in ROUTES} - app_routes(app))
    assert not gone, f"these routes are declared but the app has none: {gone}"


def test_every_route_answers_each_role_and_each_cabinet_route_answers_acting_staff():
    incomplete = [r for r in ROUTES + NOT_BUILT_YET if any(getattr(r, role) is None for role in ROLES)
                  or (r.rule.startswith("/cabinet") and r.acting is None)]
    assert not incomplete


def _pattern(url: str) -> str:
    """A contract URL as a regular expression over rules: any placeholder matches any placeholder."""
    return "".join("<[^>]+>" if part.startswith("<") else re.escape(part) for part in re.split(r"(<[^>]+>)", url))


def test_every_contract_url_is_built_or_listed_as_not_built():
    """The URLs the public contract promises (the project's copy in docs/) each have a row."""
    contract = Path(__file__).resolve().parents[1] / "docs" / "CONTRACT.md"
    section = contract.read_text(encoding="utf-8").split("## URLs", 1)[1].split("\n## ", 1)[0]
    promised = {url.split("?")[0] for url in re.findall(r"`(?:POST )?(/[^`\s]*)`", section)}
    known = {r.rule for r in ROUTES + NOT_BUILT_YET}
    unknown = sorted(url for url in promised if not any(re.fullmatch(_pattern(url), rule) for rule in known))
    assert len(promised) > 30
    assert not unknown, f"CONTRACT.md promises these URLs; declare them in ROUTES or NOT_BUILT_YET: {unknown}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES + NOT_BUILT_YET, ids=[f"{r.method} {r.url}" for r in ROUTES + NOT_BUILT_YET])
def test_route_answers_each_role_as_declared(app, client, sign_in_as, world, route, role):
    if route in NOT_BUILT_YET and (route.rule, route.method) not in app_routes(app):
        pytest.skip("promised by the contract, not built yet")
    sign_in_as(role)
    check(request(client, route, world), getattr(route, role), world)


@pytest.mark.parametrize("route", CABINET_ROUTES, ids=[f"{r.method} {r.url}" for r in CABINET_ROUTES])
def test_support_acting_for_a_subject_uses_that_subjects_cabinet(client, sign_in_as, world, route):
    """While acting, A's objects answer as they answer A; nobody else's become visible."""
    sign_in_as("support")
    started = client.post(f"/staff/subjects/{world['a'].id}/act",
                          data={"reason": "Өтініш бойынша", "basis": upload()}, content_type="multipart/form-data")
    assert urlsplit(started.headers["Location"]).path == "/cabinet"
    check(request(client, route, world), route.acting, world)


MULTI_ROLE_STAFF = [("support", "translator", "admin"), ("support", "admin")]


@pytest.mark.parametrize("roles", MULTI_ROLE_STAFF, ids=["+".join(r) for r in MULTI_ROLE_STAFF])
@pytest.mark.parametrize("route", CABINET_ROUTES, ids=[f"{r.method} {r.url}" for r in CABINET_ROUTES])
def test_staff_with_several_roles_but_no_subject_role_get_403_on_cabinet_pages(client, create_user, login, world,
                                                                              route, roles):
    login(create_user(roles=roles))
    check(request(client, route, world), route.support, world)


def test_cabinet_table_covers_every_cabinet_rule(app):
    """The acting and multi-role tests walk CABINET_ROUTES; make sure no cabinet rule escapes them."""
    cabinet_rules = {r for r in app_routes(app) if r[0].startswith("/cabinet")}
    assert cabinet_rules <= {(r.rule, r.method) for r in CABINET_ROUTES}


def test_another_subjects_document_is_indistinguishable_from_a_missing_one(client, login, world):
    login(world["b"])
    theirs = client.get(f"/cabinet/documents/{world['doc']}")
    missing = client.get("/cabinet/documents/987654")
    assert theirs.status_code == missing.status_code == 404
    assert unsigned(theirs.text.replace(f"/{world['doc']}", "/987654")) == unsigned(missing.text)


def unsigned(page):
    """The page with its CSRF tokens' time and signature masked: two requests a second apart sign differently."""
    return re.sub(r'(name="csrf_token" value="[^".]+)\.[^"]+"', r'\1.…"', page)


def test_acting_for_one_subject_does_not_open_another_subjects_objects(app, client, sign_in_as, world,
                                                                       create_user):
    """Support acting for B asks for A's document and complaint: they do not exist for this act."""
    sign_in_as("support")
    client.post(f"/staff/subjects/{world['b'].id}/act", data={"reason": "Өтініш бойынша", "basis": upload()},
                content_type="multipart/form-data")
    for url in ("/cabinet/documents/{doc}", "/cabinet/complaints/{complaint}", "/cabinet/complaints/{complaint}.pdf"):
        assert client.get(fill(url, world)).status_code == 404, url
