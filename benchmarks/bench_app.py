"""The cabinet as gunicorn serves it, plus a bare route that exists only in the benchmark.

    gunicorn 'benchmarks.bench_app:create_bench_app()'    (settings from CABINET_* variables, like wsgi:app)

/bench/bare is the least a Flask route can do inside the cabinet's app: it pays for the app's per-request hooks
(session, locale, security headers) and nothing else, so beside plain_app's /hello it shows what they cost.
"""

from flask import Blueprint

from cabinet.app import create_app

bench = Blueprint("bench", __name__, url_prefix="/bench")


@bench.route("/bare")
def bare():
    return "ok"


def create_bench_app(config=None):
    app = create_app(config)
    app.register_blueprint(bench)
    return app
