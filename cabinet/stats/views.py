"""GET /stats: the accountability figures for anyone, computed at most once per TTL per process, sent cacheable."""

import time

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale

from cabinet import i18n
from cabinet.dates import written_month
from cabinet.stats import figures

bp = Blueprint("stats", __name__)

#: how long a process reuses its figures and a browser or proxy may reuse the page, in seconds
TTL = 600


def current_figures() -> figures.Figures:
    """This process's figures for today, recomputed after TTL seconds or when the day changes."""
    cache = current_app.extensions.setdefault("cabinet_stats", {})
    today, now = i18n.local_today(), time.monotonic()
    kept = cache.get("figures")
    if kept is None or kept[0] != today or now - kept[1] > TTL:
        kept = cache["figures"] = (today, now, figures.compute(today))
    return kept[2]


def _percent(share: float | None) -> str | None:
    return None if share is None else format_percent(share, locale=str(get_locale()))


def _number(value: float | None) -> str | None:
    return None if value is None else format_decimal(value, format="#,##0.#", locale=str(get_locale()))


@bp.route("/stats")
def page():
    found = current_figures()
    response = current_app.make_response(render_template(
        "stats/index.html", figures=found, deadlines=figures.DEADLINES, small=figures.SMALL,
        month_name=lambda m: written_month(m.year, m.month), percent=_percent, number=_number))
    # the same figures for everybody; the language comes from the cookie or the browser, so caches keep each apart
    response.headers["Cache-Control"] = f"public, max-age={TTL}"
    response.vary.update(("Cookie", "Accept-Language"))
    response.add_etag()
    return response.make_conditional(request)
