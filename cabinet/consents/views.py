"""My consents: each purpose with its clause, state, since when, and its history a page at a time."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale

from cabinet import operator as operators
from cabinet.acting import current_actor, current_subject, subject_required
from cabinet.consents import operations, receipts, service, withdrawal
from cabinet.consents.forms import ConsentForm, WithdrawAllForm
from cabinet.consents.models import ConsentEvent
from cabinet.consents.purposes import BY_CODE, PURPOSES
from cabinet.documents import issued
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.messages import gettext as _
from cabinet.paging import cursors
from cabinet.policies.service import current_version
from cabinet.security import check_password
from cabinet.transaction import attempt, committed
from cabinet.workdays.deadlines import CONSENT_WITHDRAWAL

bp = Blueprint("consents", __name__, url_prefix="/cabinet")


@bp.record_once
def _template_helpers(state) -> None:
    """The consent history names each purpose by its title; an unknown code shows as itself."""
    state.app.jinja_env.globals["purpose_title"] = lambda code: BY_CODE[code].title if code in BY_CODE else code


@bp.route("/consents", methods=["GET", "POST"])
@subject_required
@committed
def index():
    subject = current_subject()
    if request.method == "POST":  # the page's forms are plain HTML: a GET builds no form object (~300 calls)
        answer = _decide(subject)
        if answer is not None:
            return answer
    page = service.history_page(subject, **cursors())
    return render_template("consents/index.html", purposes=PURPOSES, states=service.current_states(subject),
                           page=page, subject=subject,
                           deciders={event_id: issued.load(document)["by"]
                                     for event_id, document in receipts.receipts_of(page.rows).items()})


def _decide(subject):
    """A decision sent from the page: asked to confirm, then recorded; None when the form was not valid (the page
    again, with the message)."""
    form = ConsentForm()
    if form.validate_on_submit() and form.confirm.data != "yes":
        return render_template("consents/confirm.html", purpose=BY_CODE[form.purpose.data], action=form.action.data)
    if form.validate_on_submit():
        actor = current_actor()
        try:
            with attempt():
                service.change(subject, form.purpose.data, form.action.data, actor=actor,
                               channel="staff" if actor.id != subject.id else "cabinet",
                               policy_version=current_version(local_today()))
        except service.ConsentError as error:
            flash(str(error), "error")
        else:
            flash(_("Your consent has been granted.") if form.action.data == "grant"
                  else _("Your consent has been withdrawn."), "success")
        return redirect(url_for("consents.index"))
    if form.errors:
        flash(_("Unknown purpose or action."), "error")
    return None


@bp.route("/consents/<purpose>/receipt")
@subject_required
@committed
def receipt(purpose):
    """What art. 8 p.4 says a consent must state, for the latest decision on one purpose, as it was issued."""
    if purpose not in BY_CODE:
        abort(404)
    event = service.current_states(current_subject())[purpose]
    if event is None:
        return render_template("consents/receipt.html", purpose=BY_CODE[purpose], document=None, frozen=None)
    return _receipt_page(event)


@bp.route("/consents/receipts/<int:event_id>")
@subject_required
@committed
def past_receipt(event_id):
    return _receipt_page(_own_event_or_404(event_id))


@bp.route("/consents/receipts/<int:event_id>.pdf")
@subject_required
@committed
def receipt_pdf(event_id):
    """The receipt signed by the operator, in the reader's language: the same bytes on every download."""
    pdf, name = operations.receipt_pdf(current_actor(), _own_event_or_404(event_id), str(get_locale()))
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", max_age=0, download_name=name)


def _own_event_or_404(event_id: int) -> ConsentEvent:
    event = db.session.get(ConsentEvent, event_id)
    if event is None or event.user_id != current_subject().id:
        abort(404)
    return event


def _receipt_page(event: ConsentEvent):
    document = receipts.receipt(event)  # a decision recorded before receipts were frozen gets its receipt once
    frozen = issued.load(document)
    return render_template("consents/receipt.html", purpose=BY_CODE[event.purpose], document=document,
                           frozen=frozen, number=receipts.number(frozen),
                           operator=operators.contact(frozen["operator"], str(get_locale())))


@bp.route("/consents/withdraw-all", methods=["GET", "POST"])
@subject_required
@committed
def withdraw_all():
    subject, actor = current_subject(), current_actor()
    form = WithdrawAllForm()
    if form.validate_on_submit():
        if not check_password(actor.user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The password is wrong."))
        else:
            try:
                with attempt():
                    result = withdrawal.withdraw_all(subject, actor=actor, today=local_today(),
                                                     channel="staff" if actor.id != subject.id else "cabinet")
            except service.ConsentError as error:
                flash(str(error), "error")
            else:
                if result.status != "refused":  # a refusal is said once, by the page, with what blocks it
                    flash(_("All your consent is withdrawn. Processing of your data has stopped."), "success")
            return redirect(url_for("consents.withdraw_all"))
    return render_template("consents/withdraw_all.html", form=form, withdrawal=service.current_withdrawal(subject),
                           obligations=withdrawal.unfinished_obligations(subject), kept=withdrawal.KEPT,
                           deadline=CONSENT_WITHDRAWAL)
