"""Front page, the cabinet overview, export and access log."""

from datetime import date
from typing import NamedTuple

from flask import Blueprint, Response, current_app, render_template, request, send_file, send_from_directory
from sqlalchemy import select

from cabinet import public_pages
from cabinet.accounts.service import confirmation_regarding
from cabinet.acting import current_actor, current_subject, subject_required
from cabinet.audit.wording import EventWords
from cabinet.complaints.service import complaints_of, deadline
from cabinet.consents.service import LATEST_WITHDRAWAL
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.mail import notices
from cabinet.overview import access_log, archive, operations
from cabinet.profile.service import PENDING_CORRECTION
from cabinet.transaction import committed

bp = Blueprint("overview", __name__)


@bp.route("/")
def home():
    """The front page: to anonymous visitors the same page per language, rendered once (public_pages.public_page)."""
    return public_pages.public_page(("home",), lambda: render_template("overview/home.html"))


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask /favicon.ico whatever the page links: answer with the icon instead of a 404 in the logs."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.route("/healthz")
def healthz():
    db.session.execute(db.select(1))
    return {"status": "ok"}


class Due(NamedTuple):
    """An open matter as the overview names it: by the date it is due."""

    due_on: date | None


_LATEST, _PENDING = LATEST_WITHDRAWAL.subquery(), PENDING_CORRECTION.limit(1).subquery()
#: the overview's other open matters in one statement, from their areas' own queries: the latest withdrawal of all
#: consent (its status and date) and a name correction waiting for a decision (its date)
OTHER_MATTERS = select(select(_LATEST.c.status).scalar_subquery(), select(_LATEST.c.due_on).scalar_subquery(),
                       select(_PENDING.c.due_on).scalar_subquery())


@bp.route("/cabinet")
@subject_required
def cabinet():
    subject = current_subject()
    confirmation = None if subject.email_confirmed_at else next(
        reversed(notices(confirmation_regarding(subject))), None)
    today = local_today()
    complaints = complaints_of(subject)
    since = subject.previous_login_at
    withdrawal, withdrawal_due, correction_due = db.session.execute(OTHER_MATTERS, {"user_id": subject.id}).one()
    return render_template("overview/cabinet.html", subject=subject,
                           pending=Due(correction_due) if correction_due is not None else None,
                           confirmation=confirmation, today=today, deadline=deadline,
                           open_complaints=[c for c in complaints if c.is_open],
                           answered=[c for c in complaints if c.status == "answered"
                                     and (since is None or c.last_event_at > since)],
                           scheduled=Due(withdrawal_due) if withdrawal == "scheduled" else None)


@bp.route("/cabinet/export")
@subject_required
@committed
def download_export():
    text = operations.export_json(current_actor(), current_subject())
    stamp = utcnow().strftime("%Y%m%d")
    return Response(
        text,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="cabinet-export-{stamp}.json"'},
    )


@bp.route("/cabinet/export.zip")
@subject_required
@committed
def download_archive():
    """The same facts for a person: a document to read in the page's language, the scans, the JSON beside."""
    today = local_today()
    spool = operations.export_archive(current_actor(), current_subject(), today)
    return send_file(spool, mimetype="application/zip", as_attachment=True, max_age=0,
                     download_name=archive.folder(today) + ".zip")


@bp.route("/cabinet/access-log")
@subject_required
def show_access_log():
    before = request.args.get("before", type=int)
    rows, older = access_log.page(current_subject(), before=before)
    words = EventWords([event for event, *_names in rows], current_subject())
    return render_template("overview/access_log.html", rows=rows, older=older, user=current_subject(), words=words)
