"""Staff pages: the deadlines, finding a subject, acting for them, and the review queues."""

import time

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from cabinet import acting
from cabinet.accounts.models import User
from cabinet.acting import current_act, current_actor, duties, role_required
from cabinet.audit import trail
from cabinet.consents import withdrawal as withdrawal_service
from cabinet.consents.models import Withdrawal
from cabinet.database import MAX_ID
from cabinet.disclosures import service as disclosures
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.form_errors import errors_of
from cabinet.i18n import local_today
from cabinet.mail import notices_by
from cabinet.messages import gettext as _
from cabinet.paging import cursors, page_of
from cabinet.profile import service as profile
from cabinet.profile.models import CorrectionRequest
from cabinet.staff import agenda, reminders, service
from cabinet.staff.forms import ActForm, CorrectionDecisionForm, DisclosureForm, ViewReasonForm, WithdrawalDecisionForm
from cabinet.transaction import attempt, committed
from cabinet.workdays.deadlines import CONSENT_WITHDRAWAL, REMINDER_WARNING
from cabinet.workdays.service import calendar

bp = Blueprint("staff", __name__, url_prefix="/staff")

#: how long one recorded look at a record lasts before a new reason is asked
VIEW_SECONDS = 15 * 60


def _subject_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.has_role("subject"):
        abort(404)
    return user


def _owners(items) -> dict[int, User]:
    """The subjects a queue's items belong to, in one query whatever the queue's length."""
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({i.user_id for i in items})))}


@bp.route("")
@role_required("support")
def deadlines():
    today, cal = local_today(), calendar()
    return render_template("staff/deadlines.html", page=agenda.page(**cursors()), today=today,
                           reminders=reminders.latest(), warn_days=REMINDER_WARNING,
                           left=lambda due: cal.working_days_between(today, due))


@bp.route("/subjects")
@role_required("support")
def subjects():
    q, page = request.args.get("q", ""), max(request.args.get("page", 1, type=int), 1)
    found, following = service.search(q, page, request.args.get("after")) if q.strip() else ([], None)
    return render_template("staff/subjects.html", q=q, found=found, page=page, following=following)


@bp.route("/subjects/<int:user_id>", methods=["GET", "POST"])
@role_required("support")
@committed
def subject(user_id):
    person = _subject_or_404(user_id)
    form = ViewReasonForm()
    viewing = session.get("viewing", {})
    if form.validate_on_submit():
        service.record_view(person, actor=current_actor(), reason=form.reason.data.strip())
        session["viewing"] = {str(user_id): time.time() + VIEW_SECONDS}
        return redirect(url_for("staff.subject", user_id=user_id))
    if viewing.get(str(user_id), 0) < time.time():
        return render_template("staff/subject_reason.html", person=person, form=form)
    return render_template("staff/subject.html", person=person, act_form=ActForm(), acts=service.acts_for(person),
                           pending=profile.pending_correction(person))


@bp.route("/subjects/<int:user_id>/act", methods=["POST"])
@role_required("support")
@committed
def act(user_id):
    person = _subject_or_404(user_id)
    form = ActForm()
    if form.validate_on_submit():
        try:
            scans = storage.check_uploads([form.basis.data], required=True)
        except storage.UploadRejected as error:
            form.basis.errors.append(str(error))
        else:
            if current_act() is not None:
                service.stop_acting(current_act(), actor=current_actor())
            started = service.start_acting(person, actor=current_actor().user, reason=form.reason.data.strip(),
                                           basis=scans[0])
            acting.start(started)
            return redirect(url_for("overview.cabinet"))
    elif not form.basis.data:
        form.basis.errors.append(_("Attach at least one scanned document (PDF, JPEG or PNG)."))
    if session.get("viewing", {}).get(str(user_id), 0) < time.time():  # the look has ended: its reason is asked
        for problem in errors_of(form):
            flash(f"{problem.label}: {problem.message}" if problem.label else problem.message, "error")
        return redirect(url_for("staff.subject", user_id=user_id))
    # the page again, each error by its field and the typed reason kept (a browser never keeps a chosen file)
    return render_template("staff/subject.html", person=person, act_form=form, acts=service.acts_for(person),
                           pending=profile.pending_correction(person))


@bp.route("/act/stop", methods=["POST"])
@role_required("support")
@committed
def stop():
    act = current_act()
    if act is not None:
        service.stop_acting(act, actor=current_actor())
        flash(_("You no longer act on the subject's behalf."), "info")
    acting.forget()
    return redirect(url_for("staff.deadlines"))


@bp.route("/corrections")
@role_required("support")
def corrections():
    pending = CorrectionRequest.status == "pending"
    page = page_of(select(CorrectionRequest).where(pending), select(func.count()).select_from(CorrectionRequest)
                   .where(pending), **cursors(), keys=(CorrectionRequest.due_on, CorrectionRequest.id), scalars=True)
    documents = {}
    for document in db.session.scalars(select(Document).where(
            Document.kind == "correction", Document.attached_id.in_([r.id for r in page.rows]))):
        documents.setdefault(document.attached_id, []).append(document)
    return render_template("staff/corrections.html", page=page, owners=_owners(page.rows), documents=documents,
                           form=CorrectionDecisionForm(), today=local_today(),
                           conflicted=duties.acted_for(current_actor(), {r.user_id for r in page.rows}))


@bp.route("/corrections/<int:request_id>", methods=["POST"])
@role_required("support")
@committed
def decide_correction(request_id):
    correction = db.get_or_404(CorrectionRequest, request_id)
    form = CorrectionDecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose approve or reject."), "error")
    elif form.decision.data == "reject" and not (form.reason.data or "").strip():
        flash(_("Say why the correction is rejected: the subject will read it."), "error")
    else:
        actor = current_actor()
        try:
            with attempt():
                profile.decide_correction(correction, form.decision.data, (form.reason.data or "").strip(),
                                          actor=actor)
        except duties.ConflictOfDuties as error:
            flash(duties.refused(error, actor=actor, subject=correction.user_id, obj=correction), "error")
        except profile.ProfileError:
            flash(_("This correction has already been decided."), "error")
        else:
            flash(_("The decision is recorded and the subject is told."), "success")
    return redirect(url_for("staff.corrections"))


@bp.route("/corrections/<int:request_id>/documents/<int:document_id>")
@role_required("support")
@committed
def correction_document(request_id, document_id):
    """A supporting scan, visible to staff only while its correction is under review."""
    correction = db.get_or_404(CorrectionRequest, request_id)
    document = db.get_or_404(Document, document_id)
    if correction.status != "pending" or document.kind != "correction" or document.attached_id != correction.id:
        abort(404)
    trail.record("document.downloaded", actor=current_actor(), subject=document.owner_id, obj=document,
                 details={"reason": "correction review"})
    return storage.send(document)


@bp.route("/withdrawals")
@role_required("support")
def withdrawals():
    scheduled = Withdrawal.status == "scheduled"
    page = page_of(select(Withdrawal).where(scheduled), select(func.count()).select_from(Withdrawal).where(scheduled),
                   **cursors(), keys=(Withdrawal.due_on, Withdrawal.id), scalars=True)
    return render_template("staff/withdrawals.html", page=page, owners=_owners(page.rows), deadline=CONSENT_WITHDRAWAL,
                           form=WithdrawalDecisionForm(), today=local_today(),
                           notices=notices_by([f"withdrawal:{w.id}" for w in page.rows]),
                           conflicted=duties.acted_for(current_actor(), {w.user_id for w in page.rows}))


@bp.route("/withdrawals/<int:withdrawal_id>", methods=["POST"])
@role_required("support")
@committed
def decide_withdrawal(withdrawal_id):
    item = db.get_or_404(Withdrawal, withdrawal_id)
    form = WithdrawalDecisionForm()
    reason = (form.reason.data or "").strip()
    if not form.validate_on_submit() or item.status != "scheduled":
        flash(_("Choose a decision for a scheduled withdrawal."), "error")
    elif form.decision.data == "refuse" and not reason:
        flash(_("Say why the withdrawal is refused: the subject will read it."), "error")
    else:
        actor = current_actor()
        try:
            with attempt():
                _decide_withdrawal(item, form.decision.data, reason, actor)
        except duties.ConflictOfDuties as error:
            flash(duties.refused(error, actor=actor, subject=item.user_id, obj=item), "error")
    return redirect(url_for("staff.withdrawals"))


def _decide_withdrawal(item, decision: str, reason: str, actor) -> None:
    if decision == "refuse":
        withdrawal_service.refuse(item, reason, actor=actor)
        flash(_("The refusal is recorded."), "success")
    else:
        withdrawal_service.destroy(item, actor=actor)
        flash(_("The subject's data is destroyed."), "success")


@bp.route("/disclosures/new", methods=["GET", "POST"])
@role_required("support")
@committed
def new_disclosure():
    form = DisclosureForm(subject_id=request.args.get("subject_id", type=int))
    form.basis.choices = [("", "—")] + [(code, label) for code, label in disclosures.BASES.items()]
    if form.validate_on_submit():
        person = _subject_or_none(form.subject_id.data)
        if person is None:
            form.subject_id.errors.append(_("Nobody found."))
            return render_template("staff/disclosure_new.html", form=form)
        try:
            with attempt():
                disclosures.record(person, actor=current_actor(), recipient=form.recipient.data.strip(),
                                   basis=form.basis.data, categories=form.categories.data.strip(),
                                   disclosed_on=form.disclosed_on.data, reference=form.reference.data.strip())
        except disclosures.DisclosureError as error:
            form.basis.errors.append(str(error))
        else:
            flash(_("The disclosure is recorded; the subject sees it in their cabinet."), "success")
            return redirect(url_for("staff.new_disclosure"))
    return render_template("staff/disclosure_new.html", form=form)


def _subject_or_none(user_id: int) -> User | None:
    """A mistyped account number in a form is a message beside the field, not a page that loses the form."""
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    return user if user is not None and user.has_role("subject") else None
