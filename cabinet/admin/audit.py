"""The administrator's view of the audit trail: how long it is, what the last verifications found, and a button
that has the worker verify it all again."""

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select

from cabinet.accounts.models import User
from cabinet.acting import current_actor, role_required
from cabinet.audit import checkpoints, verification
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.transaction import committed

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")


@bp.route("")
@role_required("admin")
def index():
    events, last_event_at = verification.chain_end()
    verifications = verification.recent()
    ids = {v.requested_by_id for v in verifications} - {None}
    names = {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return render_template("admin/audit.html", events=events, last_event_at=last_event_at,
                           checkpoint=checkpoints.latest(), verifications=verifications, names=names,
                           pending=verification.pending(),
                           reasons=verification.REASONS, stale_before=utcnow() - verification.PENDING_FOR)


@bp.route("/verify", methods=["POST"])
@role_required("admin")
@committed
def verify():
    if verification.request_verification(actor=current_actor()) is None:
        flash(_("A verification asked for earlier is not finished yet; its result will appear here."), "info")
    else:
        flash(_("The verification is queued: the worker checks every event and every checkpoint, and its result "
                "appears here."), "success")
    return redirect(url_for("admin_audit.index"))
