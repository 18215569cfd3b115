"""The staff's subject search asks in a form an index answers: a prefix as a range, the phone exactly."""

import pytest
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.extensions import db
from cabinet.staff.service import _kinds


def _queries(q: str) -> list:
    """Each kind of match a text can be, as a query of the ids it takes in its index's order."""
    return [select(User.id).where(kind.condition).order_by(*kind.order) for kind in _kinds(q)]


def plan(query) -> str:
    """The database's plan for the query, as one text (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN)."""
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        return " ".join(str(row[-1]) for row in db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}")))
    db.session.execute(db.text("SET LOCAL enable_seqscan = off"))  # a table of a few rows is scanned otherwise
    return " ".join(row[0] for row in db.session.execute(db.text(f"EXPLAIN {compiled}")))


@pytest.mark.parametrize(("q", "columns"), [("aigerim.s@", ["email"]), ("Сейіт", ["surname", "given_name", "email"]),
                                            ("+7 701 765 43 21", ["phone"])])
def test_each_kind_of_search_uses_an_index_on_every_column_it_asks(app, policy, q, columns):
    with app.app_context():
        found = " ".join(plan(query) for query in _queries(q))
    assert "SCAN users" not in found and "Seq Scan" not in found, found  # never every row
    conditions = found.replace("::text", "").replace("(", "").replace(")", "").replace(" ", "")
    assert all(f"{column}>" in conditions or f"{column}=" in conditions for column in columns), found


def test_a_prefix_range_matches_what_begins_with_it_and_nothing_else(app, create_user):
    kept = create_user(email="aigerim.s@example.kz", surname="Сейітова")
    create_user(email="aigerim.t@example.kz", surname="Сейт")
    with app.app_context():
        for q in ("aigerim.s", "Сейіт", "сейіт"):
            assert {found for query in _queries(q) for found in db.session.scalars(query)} == {kept.id}
