"""Staff pages for complaints: the queue by due date, review, answer, internal notes, checking a printout."""


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cabinet.acting import current_actor, duties, role_required
from cabinet.complaints import forms, handling, labels, operations, service, timeline, verification, versions
from cabinet.complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from cabinet.complaints.pdf import full_name
from cabinet.complaints.views import checked_attachments, chosen_version, remove_kept, send_version
from cabinet.documents import drafts as upload_drafts
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.messages import gettext as _
from cabinet.paging import cursors
from cabinet.transaction import attempt, committed

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
    page = handling.queue(status, local_today(), **cursors())
    return render_template("staff/complaints.html", queue=page, status=status, filters=handling.FILTERS)


@bp.route("/<number>", methods=["GET", "POST"])
@role_required("support")
@committed
def detail(number):
    """The complaint and its answer form. The browser's path checks the answer first (`preview`: a confirmation
    with the files kept as drafts, then "Send the answer" or "Back to edit"); a POST without it answers at once."""
    complaint, actor = get_complaint_or_404(number), current_actor()
    form = forms.AnswerForm()
    if not form.is_submitted():
        return _detail_page(complaint, form, [])
    kept = upload_drafts.of_form(complaint.complainant, "answer", form.submission_token.data, complaint=complaint,
                                 uploaded_by=actor)
    step = next((s for s in ("remove_draft", "edit", "preview") if s in request.form), "send")
    if step == "remove_draft":
        kept = remove_kept(kept, request.form.get("remove_draft", type=int), actor)
    if not form.validate() or step in ("remove_draft", "edit"):
        return _detail_page(complaint, form, kept)
    if step == "preview":
        refusal = duties.refusal_for("complaint", actor=actor, subject=complaint.user_id)
        if refusal:
            flash(refusal, "error")
            return redirect(url_for("staff_complaints.detail", number=number))
        kept, checked = _keep_chosen(form, kept, complaint, actor)
        return _detail_page(complaint, form, kept, confirming=checked)
    scans = checked_attachments(form.attachments, kept)
    if scans is None:
        return _detail_page(complaint, form, kept)
    return _send(actor, complaint, form, scans, kept)


def _keep_chosen(form, kept, complaint, actor) -> tuple[list, bool]:
    """The newly chosen files checked and kept as the complainant's drafts for this answer; False if refused."""
    scans = checked_attachments(form.attachments, kept)
    if scans is None:
        return kept, False
    if scans:
        kept = kept + upload_drafts.keep(scans, actor=actor, subject=complaint.complainant, purpose="answer",
                                         token=form.submission_token.data, complaint=complaint)
    return kept, True


def _send(actor, complaint, form, scans, kept):
    number = complaint.number
    try:
        with attempt():
            answered = operations.answer(actor, complaint, text=form.answer.data, scans=scans,
                                         token=form.submission_token.data, kept=kept)
    except duties.ConflictOfDuties as error:
        flash(duties.refused(error, actor=actor, subject=complaint.user_id, obj=complaint), "error")
    except storage.UploadRejected as error:  # a kept file gone meanwhile: nothing is sent
        form.attachments.errors = [*form.attachments.errors, str(error)]
        return _detail_page(complaint, form, _kept_for(complaint, form))
    except (service.ComplaintError, IntegrityError) as error:
        flash(str(error) if isinstance(error, service.ComplaintError) else _("The answer is already given."),
              "error")
    else:
        if answered:
            flash(_("The answer is recorded; the mail to the complainant is on its way (its state is below)."),
                  "success")
    return redirect(url_for("staff_complaints.detail", number=number))


def _kept_for(complaint, form) -> list:
    return upload_drafts.of_form(complaint.complainant, "answer", form.submission_token.data, complaint=complaint,
                                 uploaded_by=current_actor())


def _detail_page(complaint, form, kept, *, confirming=False):
    documents = versions.ensure(complaint)
    filed = versions.load(documents[-1])["complainant"]
    operations.record_read(current_actor(), complaint)
    conflict = duties.refusal_for("complaint", actor=current_actor(), subject=complaint.user_id)
    return render_template("staff/complaint.html", complaint=complaint, record=timeline.record(complaint),
                           conflict=conflict, documents=documents, filed=filed, filed_name=full_name(filed),
                           deadline=service.deadline(complaint, local_today()), notes=handling.notes(complaint),
                           answer_form=form, note_form=forms.NoteForm(formdata=None, prefix="note"),
                           review_form=forms.ReviewForm(formdata=None), limits=forms,
                           notices=service.notices(complaint), kept=kept, confirming=confirming)


@bp.route("/<number>/review", methods=["POST"])
@role_required("support")
@committed
def review(number):
    complaint, actor = get_complaint_or_404(number), current_actor()
    if forms.ReviewForm().validate_on_submit():
        try:
            with attempt():
                operations.take_under_review(actor, complaint)
        except duties.ConflictOfDuties as error:
            flash(duties.refused(error, actor=actor, subject=complaint.user_id, obj=complaint), "error")
            return redirect(url_for("staff_complaints.detail", number=number))
        except service.ComplaintError as error:
            flash(str(error), "error")
        else:
            flash(_("The complaint is under review."), "success")
    return redirect(url_for("staff_complaints.detail", number=number))


@bp.route("/<number>/notes", methods=["POST"])
@role_required("support")
@committed
def add_note(number):
    complaint, actor = get_complaint_or_404(number), current_actor()
    form = forms.NoteForm(prefix="note")
    if not form.validate_on_submit():
        flash(_("The note was not saved: %(problem)s", problem=next(iter(form.errors.values()))[0]), "error")
        return redirect(url_for("staff_complaints.detail", number=number))
    try:
        with attempt():
            operations.add_note(actor, complaint, text=form.text.data, token=form.submission_token.data)
    except duties.ConflictOfDuties as error:
        flash(duties.refused(error, actor=actor, subject=complaint.user_id, obj=complaint), "error")
        return redirect(url_for("staff_complaints.detail", number=number))
    except service.ComplaintError as error:  # the form's token was used on another complaint: nothing is saved
        flash(str(error), "error")
        return redirect(url_for("staff_complaints.detail", number=number))
    except IntegrityError:
        pass  # the same form sent twice at once: the other request saved the note
    flash(_("The note is saved."), "success")
    return redirect(url_for("staff_complaints.detail", number=number))


@bp.route("/<number>.pdf")
@role_required("support")
@committed
def printable(number):
    complaint = get_complaint_or_404(number)
    version = chosen_version(complaint)
    response = send_version(complaint, version)
    operations.record_read(current_actor(), complaint, "printed", version=version.number)
    return response


@bp.route("/<number>/documents/<int:document_id>")
@role_required("support")
@committed
def document(number, document_id):
    complaint = get_complaint_or_404(number)
    found = db.session.scalar(select(Document).join(ComplaintAttachment, ComplaintAttachment.document_id == Document.id)
                              .join(ComplaintEvent, ComplaintEvent.id == ComplaintAttachment.event_id)
                              .where(Document.id == document_id, ComplaintEvent.complaint_id == complaint.id))
    path = storage.path_of(found) if found is not None else None
    if path is None or not path.exists():
        abort(404)
    operations.record_read(current_actor(), complaint, "document_downloaded")
    return storage.send(found)


@bp.route("/verify", methods=["GET", "POST"])
@role_required("support")
@committed
def verify():
    """Check a printed copy: its number and code against the stored complaint."""
    form, complaint, match = forms.VerifyForm(), None, None
    if form.validate_on_submit():
        complaint = handling.complaint_by_number(form.number.data.upper())
        if complaint is not None:
            match = verification.verify(complaint, versions.ensure(complaint), form.code.data)
            operations.record_read(current_actor(), complaint, "verified", matches=match is not None,
                                   version=match.version.number if match and match.version else None)
    checked = form.is_submitted() and not form.errors
    return render_template("staff/complaints_verify.html", form=form, checked=checked, match=match,
                           complaint=complaint)
