"""My consents: each purpose with its clause, state, since when, and history."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from cabinet.acting import current_actor, current_subject, subject_required
from cabinet.consents import service, withdrawal
from cabinet.consents.forms import ConsentForm, WithdrawAllForm
from cabinet.consents.purposes import BY_CODE, PURPOSES
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.messages import gettext as _
from cabinet.policies.service import current_version
from cabinet.profile.models import FIELDS
from cabinet.security import check_password

bp = Blueprint("consents", __name__, url_prefix="/cabinet")


@bp.route("/consents", methods=["GET", "POST"])
@subject_required
def index():
    subject = current_subject()
    form = ConsentForm()
    if form.validate_on_submit() and form.confirm.data != "yes":
        return render_template("consents/confirm.html", purpose=BY_CODE[form.purpose.data], action=form.action.data)
    if form.validate_on_submit():
        actor = current_actor()
        try:
            service.change(subject, form.purpose.data, form.action.data, actor=actor,
                           channel="staff" if actor.id != subject.id else "cabinet",
                           policy_version=current_version(local_today()))
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
                           history=list(reversed(history)), subject=subject)


@bp.route("/consents/<purpose>/receipt")
@subject_required
def receipt(purpose):
    """What art. 8 p.4 says a consent must state, printable, for one purpose."""
    if purpose not in BY_CODE:
        abort(404)
    subject = current_subject()
    state = service.current_states(subject)[purpose]
    third_party = service.current_states(subject)["third_party"]
    return render_template("consents/receipt.html", purpose=BY_CODE[purpose], state=state, subject=subject,
                           third_party=bool(third_party and third_party.granted), fields=FIELDS)


@bp.route("/consents/withdraw-all", methods=["GET", "POST"])
@subject_required
def withdraw_all():
    subject, actor = current_subject(), current_actor()
    form = WithdrawAllForm()
    if form.validate_on_submit():
        if not check_password(actor.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The password is wrong."))
        else:
            try:
                result = withdrawal.withdraw_all(subject, actor=actor, today=local_today(),
                                                 channel="staff" if actor.id != subject.id else "cabinet")
            except service.ConsentError as error:
                flash(str(error), "error")
            else:
                db.session.commit()
                if result.status == "refused":
                    flash(_("Your request is recorded but cannot be carried out yet; the reasons are below."), "error")
                else:
                    flash(_("All your consent is withdrawn. Processing of your data has stopped."), "success")
            return redirect(url_for("consents.withdraw_all"))
    return render_template("consents/withdraw_all.html", form=form, withdrawal=withdrawal.current(subject),
                           obligations=withdrawal.unfinished_obligations(subject), kept=withdrawal.KEPT,
                           deadline=withdrawal.DEADLINE_WORKING_DAYS)
