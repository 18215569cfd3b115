"""The cabinet as gunicorn serves it, plus two pages that exist only in the benchmark, as yardsticks.

    gunicorn 'benchmarks.bench_app:create_bench_app()'    (settings from CABINET_* variables, like wsgi:app)

/bench/bare is the least a Flask route can do; /bench/template/<id> renders a 2 KB template after one
primary-key query: what the issue calls the ceiling this stack allows. Both run inside the cabinet's app,
so they pay for its hooks (session, locale, security headers) like every page does.
"""

from flask import Blueprint, abort, render_template
from sqlalchemy.orm import lazyload

from cabinet.accounts.models import User
from cabinet.app import create_app
from cabinet.extensions import db

bench = Blueprint("bench", __name__, url_prefix="/bench", template_folder="templates")
CARDS = [(f"Section {i}", "What this section holds, in one sentence, as the cabinet's cards say it.")
         for i in range(1, 8)]


@bench.route("/bare")
def bare():
    return "ok"


@bench.route("/template/<int:user_id>")
def template_and_query(user_id):
    user = db.session.get(User, user_id, options=[lazyload(User.roles)])  # one statement: roles not needed
    if user is None:
        abort(404)
    return render_template("bench/page.html", user=user, cards=CARDS)


def create_bench_app(config=None):
    app = create_app(config)
    app.register_blueprint(bench)
    return app
