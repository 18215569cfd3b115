"""The subject's complaint pages (policy 5.2): file, preview, follow, supplement, withdraw, print."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from sqlalchemy.exc import IntegrityError

from cabinet.acting import current_actor, current_subject, subject_required
from cabinet.complaints import forms, labels, operations, pdf, service, timeline, versions
from cabinet.complaints.models import Complaint
from cabinet.documents import drafts as upload_drafts
from cabinet.documents import storage
from cabinet.i18n import local_today
from cabinet.messages import gettext as _
from cabinet.transaction import attempt, committed

bp = Blueprint("complaints", __name__, url_prefix="/cabinet/complaints")
bp.record_once(labels.register)


def get_own_complaint_or_404(number: str) -> Complaint:
    """A complaint of the current subject; anybody else's answers 404."""
    complaint = service.own_complaint(current_subject(), number)
    if complaint is None:
        abort(404)
    return complaint


def checked_attachments(field, kept=None) -> list | None:
    """The uploads checked before anything is written, with the files kept for the form counted in; None (with
    the message on the field) if refused."""
    try:
        return storage.check_uploads(field.data) if kept is None else upload_drafts.check_new(field.data, kept)
    except storage.UploadRejected as error:
        field.errors = [*field.errors, str(error)]
        return None


@bp.route("")
@subject_required
def index():
    complaints = service.complaints_of(current_subject())
    return render_template("complaints/index.html", complaints=complaints, today=local_today(),
                           deadline=service.deadline)


@bp.route("/new", methods=["GET", "POST"])
@subject_required
@committed
def new():
    subject, actor = current_subject(), current_actor()
    form = forms.ComplaintForm()
    if not form.is_submitted():
        return _form_page(form, [])
    kept = upload_drafts.of_form(subject, "complaint", form.submission_token.data)
    removing = "remove_draft" in request.form
    if removing:  # another subject's draft, or another form's, is not among these: ignored
        kept = remove_kept(kept, request.form.get("remove_draft", type=int), actor)
    if not form.validate():
        return _form_page(form, kept)
    if removing or "preview" in request.form:
        kept, added = _keep_chosen(form, kept, subject, actor)
        return _form_page(form, kept, preview=added)
    asked = request.form.get("file_anyway") == "yes" or service.complaint_by_token(form.submission_token.data)
    duplicate = None if asked else service.recent_duplicate(subject, form.subject.data, form.body.data)
    if duplicate is not None and duplicate.submission_token == form.submission_token.data:
        return redirect(url_for("complaints.show", number=duplicate.number))  # this form, filed a moment ago
    if duplicate is not None:  # Back and "file" again, or a second tab: ask before filing it twice
        kept, _added = _keep_chosen(form, kept, subject, actor)  # what was chosen stays for "file it anyway"
        return _form_page(form, kept, duplicate=duplicate)
    scans = checked_attachments(form.attachments, kept)
    if scans is None:
        return _form_page(form, kept)
    return _file(subject, actor, form, scans, kept)


def _form_page(form, kept, *, preview=False, duplicate=None):
    return render_template("complaints/new.html", form=form, limits=forms, preview=preview, subject=current_subject(),
                           duplicate=duplicate, kept=kept)


def remove_kept(kept, draft_id, actor) -> list:
    """Take one kept file off the form; the rest stay."""
    for draft in kept:
        if draft.id == draft_id:
            upload_drafts.remove(draft, actor=actor)
    return [d for d in kept if d.id != draft_id]


def _keep_chosen(form, kept, subject, actor) -> tuple[list, bool]:
    """The newly chosen files checked and kept for the form; a refused one keeps nothing new (False)."""
    scans = checked_attachments(form.attachments, kept)
    if scans is None:
        return kept, False
    if scans:
        kept = kept + upload_drafts.keep(scans, actor=actor, subject=subject, purpose="complaint",
                                         token=form.submission_token.data)
    return kept, True


def _file(subject, actor, form, scans, kept):
    token = form.submission_token.data
    try:
        with attempt():
            complaint, created = operations.file(
                actor, subject, subject_line=form.subject.data, body=form.body.data,
                desired_outcome=form.desired_outcome.data or "", scans=scans, token=token, kept=kept)
    except IntegrityError:  # the same form sent twice at once: the other request filed it
        complaint, created = service.complaint_by_token(token), False
    except service.ComplaintError:
        complaint, created = None, False
    except storage.UploadRejected as error:  # a kept file gone meanwhile: nothing is filed
        form.attachments.errors = [*form.attachments.errors, str(error)]
        return _form_page(form, upload_drafts.of_form(subject, "complaint", token))
    if complaint is None or complaint.user_id != subject.id:
        form.submission_token.errors = [str(service.EXPIRED)]
        return _form_page(form, upload_drafts.of_form(subject, "complaint", token))
    if created:
        flash(_("Your complaint is registered under number %(number)s.", number=complaint.number), "success")
    return redirect(url_for("complaints.show", number=complaint.number))


@bp.route("/<number>")
@subject_required
@committed
def show(number):
    complaint = get_own_complaint_or_404(number)
    operations.record_read(current_actor(), complaint)
    return _page(complaint, forms.SupplementForm(formdata=None), forms.WithdrawForm(formdata=None))


def _page(complaint, supplement_form, withdraw_form):
    documents = versions.ensure(complaint)  # a complaint filed before snapshots gets its reconstructed version once
    return render_template("complaints/show.html", record=timeline.record(complaint), complaint=complaint,
                           deadline=service.deadline(complaint, local_today()), supplement_form=supplement_form,
                           withdraw_form=withdraw_form, limits=forms, documents=documents,
                           notices=service.notices(complaint))


def chosen_version(complaint):
    """The version `?version=N` names, the latest without it; 404 for one that does not exist."""
    found = versions.ensure(complaint)
    if "version" not in request.args:
        return found[-1]
    wanted = request.args.get("version", type=int)
    version = next((v for v in found if v.number == wanted), None)
    if version is None:
        abort(404)
    return version


def send_version(complaint, version):
    """The stored bytes of the version in the reader's language: the same file on every download."""
    rendering = pdf.stored(version, str(get_locale()))
    return send_file(io.BytesIO(rendering.pdf), mimetype="application/pdf", max_age=0,
                     download_name=f"{complaint.number}-v{version.number}.pdf")


@bp.route("/<number>.pdf")
@subject_required
@committed
def printable(number):
    complaint = get_own_complaint_or_404(number)
    version = chosen_version(complaint)
    response = send_version(complaint, version)
    operations.record_read(current_actor(), complaint, "printed", version=version.number)
    return response


@bp.route("/<number>/supplement", methods=["POST"])
@subject_required
@committed
def supplement(number):
    complaint = get_own_complaint_or_404(number)
    form = forms.SupplementForm()
    scans = checked_attachments(form.attachments) if form.validate_on_submit() else None
    if scans is None:
        return _page(complaint, form, forms.WithdrawForm(formdata=None))
    try:
        with attempt():
            _event, created = operations.supplement(current_actor(), complaint, text=form.text.data, scans=scans,
                                                    token=form.submission_token.data)
    except (service.ComplaintError, IntegrityError) as error:
        flash(str(error) if isinstance(error, service.ComplaintError) else _("The supplement is already added."),
              "error")
    else:
        if created:
            flash(_("Your supplement is added to the complaint."), "success")
    return redirect(url_for("complaints.show", number=number))


@bp.route("/<number>/withdraw", methods=["POST"])
@subject_required
@committed
def withdraw(number):
    complaint = get_own_complaint_or_404(number)
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        return _page(complaint, forms.SupplementForm(formdata=None), form)
    try:
        with attempt():
            operations.withdraw(current_actor(), complaint)
    except service.ComplaintError as error:
        flash(str(error), "error")
    else:
        flash(_("Your complaint is withdrawn."), "success")
    return redirect(url_for("complaints.show", number=number))
