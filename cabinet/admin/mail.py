"""The mail that could not be delivered, for an administrator to see and send again (issue 14)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from cabinet.acting import current_actor, role_required
from cabinet.extensions import db
from cabinet.mail import delivery
from cabinet.mail.models import OutgoingMail
from cabinet.messages import gettext as _
from cabinet.paging import cursors, page_of
from cabinet.transaction import committed

bp = Blueprint("admin_mail", __name__, url_prefix="/admin/mail")

#: what an administrator must look at: given up, or still trying after a failure
TROUBLE = OutgoingMail.state.in_(("failed",)) | ((OutgoingMail.state == "queued") & (OutgoingMail.attempts > 0))


@bp.route("")
@role_required("admin")
def index():
    page = page_of(select(OutgoingMail).where(TROUBLE), select(func.count()).select_from(OutgoingMail).where(TROUBLE),
                   **cursors(), keys=(OutgoingMail.id,), descending=True, scalars=True)
    return render_template("admin/mail.html", page=page, counts=delivery.counts())


@bp.route("/<int:mail_id>/resend", methods=["POST"])
@role_required("admin")
@committed
def resend(mail_id):
    if db.session.get(OutgoingMail, mail_id) is None:
        abort(404)
    if delivery.resend(mail_id, actor=current_actor()) is None:
        flash(_("This mail is not failed: it is sent or still being tried."), "info")
    else:
        flash(_("The mail is queued again; the worker sends it within seconds."), "success")
    return redirect(url_for("admin_mail.index"))
