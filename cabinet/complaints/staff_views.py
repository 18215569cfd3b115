"""Staff pages for complaints: the queue by due date, review, answer, internal notes, checking a printout."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cabinet.acting import current_actor, role_required
from cabinet.complaints import forms, handling, labels, pdf, service, verification
from cabinet.complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from cabinet.complaints.views import checked_attachments
from cabinet.documents import signing, storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.messages import gettext as _

bp = Blueprint("staff_complaints", __name__, url_prefix="/staff/complaints")
bp.record_once(labels.register)


def get_complaint_or_404(number: str) -> Complaint:
    """Any complaint but one's own: nobody handles a complaint they filed themselves."""
    complaint = handling.complaint_by_number(number)
    if complaint is None:
        abort(404)
    if complaint.user_id == current_actor().id:
        abort(403)
    return complaint


@bp.route("")
@role_required("support")
def queue():
    status = request.args.get("status", "open")
    if status not in handling.FILTERS:
        status = "open"
    page = handling.queue(status, request.args.get("page", 1, type=int), local_today())
    return render_template("staff/complaints.html", queue=page, status=status, filters=handling.FILTERS)


@bp.route("/<number>", methods=["GET", "POST"])
@role_required("support")
def detail(number):
    complaint = get_complaint_or_404(number)
    form = forms.AnswerForm()
    if form.validate_on_submit() and (scans := checked_attachments(form.attachments)) is not None:
        try:
            answered = handling.answer(complaint, form.answer.data, scans, actor=current_actor(),
                                       token=form.submission_token.data)
            if answered:
                handling.send_answer_notice(complaint)
            db.session.commit()
        except (service.ComplaintError, IntegrityError) as error:
            db.session.rollback()
            flash(str(error) if isinstance(error, service.ComplaintError) else _("The answer is already given."),
                  "error")
        else:
            if answered:
                flash(_("The answer is recorded and the complainant is notified."), "success")
        return redirect(url_for("staff_complaints.detail", number=number))
    handling.record_view(complaint, actor=current_actor())
    db.session.commit()
    return render_template("staff/complaint.html", complaint=complaint, record=service.record(complaint),
                           deadline=service.deadline(complaint, local_today()), notes=handling.notes(complaint),
                           answer_form=form, note_form=forms.NoteForm(formdata=None, prefix="note"),
                           review_form=forms.ReviewForm(formdata=None), limits=forms)


@bp.route("/<number>/review", methods=["POST"])
@role_required("support")
def review(number):
    complaint = get_complaint_or_404(number)
    if forms.ReviewForm().validate_on_submit():
        try:
            handling.take_under_review(complaint, actor=current_actor())
            db.session.commit()
        except service.ComplaintError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("The complaint is under review."), "success")
    return redirect(url_for("staff_complaints.detail", number=number))


@bp.route("/<number>/notes", methods=["POST"])
@role_required("support")
def add_note(number):
    complaint = get_complaint_or_404(number)
    form = forms.NoteForm(prefix="note")
    if not form.validate_on_submit():
        flash(_("The note was not saved: %(problem)s", problem=next(iter(form.errors.values()))[0]), "error")
        return redirect(url_for("staff_complaints.detail", number=number))
    try:
        handling.add_note(complaint, form.text.data, actor=current_actor(), token=form.submission_token.data)
        db.session.commit()
    except (service.ComplaintError, IntegrityError):
        db.session.rollback()
    flash(_("The note is saved."), "success")
    return redirect(url_for("staff_complaints.detail", number=number))


@bp.route("/<number>.pdf")
@role_required("support")
def printable(number):
    complaint = get_complaint_or_404(number)
    data = signing.sign_pdf(pdf.render(service.record(complaint)), locale=str(get_locale()))
    handling.record_view(complaint, actor=current_actor(), what="printed")
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"{complaint.number}.pdf",
                     max_age=0)


@bp.route("/<number>/documents/<int:document_id>")
@role_required("support")
def document(number, document_id):
    complaint = get_complaint_or_404(number)
    found = db.session.scalar(select(Document).join(ComplaintAttachment, ComplaintAttachment.document_id == Document.id)
                              .join(ComplaintEvent, ComplaintEvent.id == ComplaintAttachment.event_id)
                              .where(Document.id == document_id, ComplaintEvent.complaint_id == complaint.id))
    path = storage.path_of(found) if found is not None else None
    if path is None or not path.exists():
        abort(404)
    handling.record_view(complaint, actor=current_actor(), what="document_downloaded")
    db.session.commit()
    return storage.send(found)


@bp.route("/verify", methods=["GET", "POST"])
@role_required("support")
def verify():
    """Check a printed copy: its number and code against the stored complaint."""
    form, complaint, step = forms.VerifyForm(), None, None
    if form.validate_on_submit():
        complaint = handling.complaint_by_number(form.number.data.upper())
        if complaint is not None:
            step = verification.verify(service.record(complaint), form.code.data)
            handling.record_view(complaint, actor=current_actor(), what="verified", matches=step is not None)
            db.session.commit()
    checked = form.is_submitted() and not form.errors
    return render_template("staff/complaints_verify.html", form=form, checked=checked, step=step,
                           complaint=complaint)
