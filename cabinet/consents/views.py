"""My consents: each purpose with its clause, state, since when, and history."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from cabinet.acting import current_actor, current_subject, subject_required
from cabinet.consents import service
from cabinet.consents.forms import ConsentForm
from cabinet.consents.purposes import PURPOSES
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.policies.service import current_version

bp = Blueprint("consents", __name__, url_prefix="/cabinet")


@bp.route("/consents", methods=["GET", "POST"])
@subject_required
def index():
    subject = current_subject()
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            service.change(subject, form.purpose.data, form.action.data, actor=current_actor(),
                           channel="cabinet", policy_version=current_version(local_today()))
        except service.ConsentError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Your consent has been granted.") if form.action.data == "grant"
                  else _("Your consent has been withdrawn."), "success")
        return redirect(url_for("consents.index"))
    if form.errors:
        flash(_("Unknown purpose or action."), "error")
    history = service.history(subject)
    states = {}
    for event in history:
        states[event.purpose] = event
    return render_template("consents/index.html", purposes=PURPOSES, states=states,
                           history=list(reversed(history)))
