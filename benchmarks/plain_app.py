"""The yardstick: a plain Flask app outside the cabinet, served by the same gunicorn settings as the cabinet.

    PLAIN_DATABASE_URL=sqlite:///bench-data/plain.sqlite gunicorn 'benchmarks.plain_app:create_plain_app()'

/hello is the least a Flask route can do; /page/<id> renders a 2.3 KB Jinja template after one primary-key
query on the app's own small table. No sessions, locales or security headers: what this stack allows before
any application adds its own, against which the cabinet's pages are compared.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, render_template
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.exc import IntegrityError

PEOPLE = 1000
#: the text a plain page must show: wrk's script counts an answer without it as an error
MARKER = "plain-page"
CARDS = [(f"Section {i}", "What this section holds, in one sentence, as the cabinet's cards say it.")
         for i in range(1, 8)]
metadata = MetaData()
people = Table("plain_people", metadata, Column("id", Integer, primary_key=True), Column("given_name", String(80)),
               Column("surname", String(80)), Column("email", String(254)), Column("phone", String(20)),
               Column("created_at", DateTime(timezone=True)))


def filled_engine(url: str):
    """The engine of the plain table, made and filled on first use (a few rows are all a key lookup needs)."""
    engine = create_engine(url, pool_pre_ping=False)
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            if conn.scalar(select(people.c.id).limit(1)) is None:
                now = datetime.now(UTC)
                conn.execute(insert(people), [{"id": i, "given_name": "Айгерім", "surname": "Сейітова",
                                               "email": f"plain{i}@example.kz", "phone": "+77011234567",
                                               "created_at": now} for i in range(1, PEOPLE + 1)])
    except IntegrityError:  # the other gunicorn worker, starting at the same moment, filled it first
        pass
    return engine


def create_plain_app(url: str | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("plain_templates")))
    engine = app.extensions["plain_engine"] = filled_engine(url or os.environ["PLAIN_DATABASE_URL"])

    @app.route("/hello")
    def hello():
        return MARKER

    @app.route("/page/<int:person_id>")
    def page(person_id):
        with engine.connect() as conn:
            person = conn.execute(select(people).where(people.c.id == person_id)).first()
        if person is None:
            abort(404)
        return render_template("page.html", person=person, cards=CARDS, marker=MARKER)

    return app
