"""Pages make a bounded number of queries whatever the data size (DESIGN: Scale).

Each page is measured for a subject with a little of every kind of data (one of each), then again
after that subject has collected a lot of history (60 phone changes, 30 scans, 60 consent toggles,
210 trail events, 30 corrections, disclosures and complaints, more policy versions) and the database holds 50
other subjects: the count must not move, and must stay within a small budget.
"""

from datetime import date

import pytest
from sqlalchemy import event

from cabinet.extensions import db
from tests.helpers import load, pending_correction

PAGES = ["/cabinet", "/cabinet/profile", "/cabinet/profile/edit", "/cabinet/profile/history", "/cabinet/documents",
         "/cabinet/policies", "/cabinet/consents", "/cabinet/consents/withdraw-all", "/cabinet/access-log",
         "/cabinet/disclosures", "/cabinet/complaints", "/cabinet/export", "/policy"]
#: each page's statements as counted on SQLite (its BEGIN among them; PostgreSQL begins implicitly, one fewer): a
#: page that asks more fails here. Every signed-in page has the user with roles; the working-day calendar is kept
#: per process (workdays.service) and asks nothing. The export reads every kind of record (twelve of them, files
#: kept on a preview among them) and appends its own audit event (four statements).
BUDGETS = {"/cabinet": 4, "/cabinet/profile": 4, "/cabinet/profile/edit": 2, "/cabinet/profile/history": 7,
           "/cabinet/documents": 3, "/cabinet/policies": 4, "/cabinet/consents": 5,
           "/cabinet/consents/withdraw-all": 5, "/cabinet/access-log": 3, "/cabinet/disclosures": 3,
           "/cabinet/complaints": 3, "/cabinet/export": 22, "/policy": 2}


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
