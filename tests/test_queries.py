"""Pages make a bounded number of queries whatever the data size (DESIGN: Scale).

Each page is measured for a subject with a little of every kind of data (one of each), then again
after that subject has collected a lot of history (60 phone changes, 30 scans, 60 consent toggles,
210 trail events, 30 corrections, disclosures and complaints, more policy versions) and the database holds 50
other subjects: the count must not move, and must stay within a small budget.
"""

import re
from datetime import date

import pytest
from sqlalchemy import event, select

from cabinet.accounts.models import User
from cabinet.audit.actor import Actor
from cabinet.consents import service as consents
from cabinet.consents.models import ConsentEvent
from cabinet.extensions import db
from cabinet.paging import PAGE_SIZE
from cabinet.profile import service as profile
from cabinet.profile.models import CorrectionRequest, ProfileChange
from tests.helpers import load, pending_correction

PAGES = ["/cabinet", "/cabinet/profile", "/cabinet/profile/edit", "/cabinet/profile/history", "/cabinet/documents",
         "/cabinet/policies", "/cabinet/consents", "/cabinet/consents/withdraw-all", "/cabinet/access-log",
         "/cabinet/disclosures", "/cabinet/complaints", "/cabinet/export", "/policy"]
#: each page's statements as counted (SQLite's BEGIN, sent to the driver directly, is not among them; PostgreSQL
#: begins implicitly): a page that asks more fails here. Every signed-in page has the user with roles; the
#: working-day calendar is kept per process (workdays.service) and asks nothing. The export reads every kind of
#: record (twelve of them, files kept on a preview among them) and appends its own audit event (four statements).
#: A paged history adds its count.
BUDGETS = {"/cabinet": 3, "/cabinet/profile": 3, "/cabinet/profile/edit": 1, "/cabinet/profile/history": 8,
           "/cabinet/documents": 2, "/cabinet/policies": 3, "/cabinet/consents": 5,
           "/cabinet/consents/withdraw-all": 4, "/cabinet/access-log": 2, "/cabinet/disclosures": 2,
           "/cabinet/complaints": 2, "/cabinet/export": 21, "/policy": 1}


@pytest.fixture
def count_queries(app):
    """GET a page and return the SQL statements it ran (every one, as the driver saw them)."""

    def count(client, url) -> list[str]:
        statements = []

        def listen(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listen)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert response.status_code == 200, url
        return statements

    return count


@pytest.mark.parametrize("url", PAGES)
def test_page_query_count_does_not_grow_with_data(app, client, create_user, login, policy, count_queries, url):
    user = create_user()
    pending_correction(app, user.id)
    login(user)
    load(app, create_user, policy, user.id, n=1, versions=("2",), others=1)
    count_queries(client, url)  # warm-up: anything a first request does once
    few = count_queries(client, url)
    load(app, create_user, policy, user.id, n=30, versions=("3", "4", "5"), others=50)
    count_queries(client, url)  # the new version in effect is looked up once, then remembered
    many = count_queries(client, url)
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= BUDGETS[url], "\n".join(many)


def test_public_policy_page_is_bounded_for_visitors(app, client, policy, count_queries):
    few = count_queries(client, "/policy")
    for label in ("2", "3", "4", "5", "6"):
        policy(label, effective_from=date(2026, 1, int(label)))
    many = count_queries(client, "/policy")
    assert len(many) == len(few) <= 3  # the versions in effect and the version's texts, rendered once and kept


def many_changes(app, subject_id, n: int, start: int = 0) -> None:
    """n consent toggles, n phone changes and n name corrections: histories several pages long."""

    with app.test_request_context():
        subject = db.session.get(User, subject_id)
        for i in range(start, start + n):
            consents.change(subject, "marketing", "grant" if i % 2 == 0 else "withdraw", actor=Actor(subject),
                            channel="cabinet")
            profile.change_phone(subject, f"+7701{i:07d}", actor=subject)
            db.session.add(CorrectionRequest(user_id=subject.id, requested_by_id=subject.id, changes={"surname": "Ә"},
                                             reason=f"reason-{i:03d}", status="rejected", due_on=date(2026, 1, 5),
                                             submission_token=f"history-{i:03d}-" + "x" * 20))
        db.session.commit()


def _last_table(html: str) -> str:
    return html.rsplit("<table>", 1)[-1]


CHANGE_ROW = re.compile(r"<tr>\s*<td[^>]*>.*?</td>\s*<td[^>]*>.*?</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>",
                        re.S)
#: each history: its page, the prefix of its pager's parameters, what tells its rows apart on a page (a consent
#: event's receipt link; a change's old and new value, in the page's last table; a correction's reason)
HISTORIES = {
    "consents": ("/cabinet/consents", "", lambda html: re.findall(r'href="/cabinet/consents/receipts/(\d+)"', html)),
    "changes": ("/cabinet/profile/history", "", lambda html: CHANGE_ROW.findall(_last_table(html))),
    "corrections": ("/cabinet/profile/history", "corrections_", lambda html: re.findall(r"(reason-\d+)</span>", html)),
}


def stored(app, subject_id: int, history: str) -> list:
    """The history's rows as its page shows them, newest first, read from the database."""
    with app.app_context():
        if history == "consents":
            return [str(i) for i in db.session.scalars(select(ConsentEvent.id).where(
                ConsentEvent.user_id == subject_id).order_by(ConsentEvent.id.desc()))]
        if history == "corrections":
            return list(db.session.scalars(select(CorrectionRequest.reason).where(
                CorrectionRequest.user_id == subject_id).order_by(CorrectionRequest.id.desc())))
        return [(old or "—", new or "—") for old, new in db.session.execute(
            select(ProfileChange.old_value, ProfileChange.new_value).where(ProfileChange.user_id == subject_id)
            .order_by(ProfileChange.id.desc()))]


def _link(html: str, rel: str, prefix: str) -> str | None:
    """The pager's link of that list: its own parameter comes first (`?page=`, `?corrections_page=`)."""
    found = re.search(rf'<a href="([^"?]+\?{prefix}page=[^"]*)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize("history", HISTORIES)
def test_a_long_history_is_paged_every_row_once_either_way(app, client, create_user, login, count_queries, history):
    url, prefix, rows = HISTORIES[history]
    user = create_user()
    login(user)
    many_changes(app, user.id, 1)
    client.get(url)  # warm-up
    short = count_queries(client, url)
    many_changes(app, user.id, 70, start=1)
    forward, costs, pages, link = [], [], [], url
    while link:
        costs.append(len(count_queries(client, link)))
        html = client.get(link).text
        pages.append(rows(html))
        forward += pages[-1]
        link = _link(html, "next", prefix)
    assert len(pages) >= 3 and all(0 < len(page) <= PAGE_SIZE for page in pages)
    assert forward == stored(app, user.id, history)  # every row once, newest first
    assert costs == [len(short)] * len(costs), costs  # the first page, the middle ones, the last: one price
    backward, link = pages[-1], _link(html, "prev", prefix)
    while link:
        html = client.get(link).text
        backward = rows(html) + backward
        link = _link(html, "prev", prefix)
    assert backward == forward


def test_paging_one_history_leaves_the_other_where_it_was(app, client, create_user, login):
    """The profile's history has two lists, each with its pager: a step in one keeps the other's page."""
    _url, _prefix, changes = HISTORIES["changes"]
    _url, _prefix, corrections = HISTORIES["corrections"]
    user = create_user()
    login(user)
    many_changes(app, user.id, 60)
    first = client.get("/cabinet/profile/history").text
    second_corrections = client.get(_link(first, "next", "corrections_")).text
    assert corrections(second_corrections) != corrections(first)
    both_second = client.get(_link(second_corrections, "next", "")).text
    assert corrections(both_second) == corrections(second_corrections)  # still the corrections' page 2
    assert changes(both_second) != changes(first)
    third_corrections = client.get(_link(both_second, "next", "corrections_")).text
    assert changes(third_corrections) == changes(both_second)  # and the changes' page 2 stays
    back = client.get(_link(third_corrections, "prev", "")).text
    assert changes(back) == changes(first) and corrections(back) == corrections(third_corrections)


@pytest.mark.parametrize("history", HISTORIES)
@pytest.mark.parametrize("query", ["after=x", "before=%ZZ", "after=W10", "before=WyJhIl0", "page=-3", "page=999",
                                   "after=" + "A" * 400])
def test_a_hand_edited_cursor_shows_a_page(app, client, create_user, login, history, query):
    url, prefix, rows = HISTORIES[history]
    user = create_user()
    many_changes(app, user.id, 1)
    login(user)
    response = client.get(f"{url}?{prefix}{query}")
    assert response.status_code == 200
    assert rows(response.text)
