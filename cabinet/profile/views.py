"""My data (policy 2.3, 1.5): view it, correct it, see its history, download my scans."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cabinet.acting import current_act, current_actor, current_subject, subject_required
from cabinet.audit import trail, wording
from cabinet.documents import issued, storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.mail import notices_by
from cabinet.messages import gettext as _
from cabinet.profile import decisions, service
from cabinet.profile.forms import ProfileEditForm
from cabinet.profile.models import CorrectionRequest
from cabinet.security import check_password
from cabinet.workdays.deadlines import NAME_CORRECTION
from cabinet.workdays.service import calendar

bp = Blueprint("profile", __name__, url_prefix="/cabinet")

def get_own_document_or_404(document_id: int) -> Document:
    """A document of the current subject; anybody else's answers 404 (ids too large never reach here)."""
    document = db.session.scalar(select(Document).where(
        Document.id == document_id, Document.owner_id == current_subject().id))
    if document is None:
        abort(404)
    return document


def _documents(subject):
    return list(db.session.scalars(select(Document).where(Document.owner_id == subject.id)
                                   .order_by(Document.uploaded_at.desc(), Document.id.desc())))


@bp.route("/profile")
@subject_required
def show():
    subject = current_subject()
    return render_template("profile/show.html", subject=subject, documents=_documents(subject),
                           pending=service.pending_correction(subject))


@bp.route("/profile/edit", methods=["GET", "POST"])
@subject_required
def edit():
    subject, actor = current_subject(), current_actor()
    form = ProfileEditForm(obj=subject)
    if form.validate_on_submit():
        names = {f: (form[f].data or "").strip() or None for f in service.NAME_FIELDS}
        names_changed = any(names[f] != getattr(subject, f) for f in names)
        email_changed = form.email.data != subject.email
        if email_changed and current_act() is not None:
            form.email.errors.append(_("Only the subject can change the e-mail used to sign in."))
        token = form.submission_token.data
        if (names_changed or email_changed) and not check_password(actor.password_hash,
                                                                   form.current_password.data or ""):
            form.current_password.errors.append(_("Enter your current password to change the e-mail or the name."))
        elif names_changed and service.correction_by_token(token) is not None:
            return _sent_before(subject, form)
        scans = _check_name_change(form, subject) if names_changed else _checked_scans(form, required=False)
        if not any(field.errors for field in form):
            try:
                return _apply(subject, actor, form, names if names_changed else None, email_changed, scans)
            except IntegrityError:
                db.session.rollback()  # the same submission, sent twice at once: the other one won
                return _sent_before(subject, form)
    return render_template("profile/edit.html", form=form, subject=subject)


def _sent_before(subject, form):
    """A resubmitted form answers as the first time did; a token of someone else's request is refused."""
    existing = service.correction_by_token(form.submission_token.data)
    if existing is None or existing.user_id != subject.id:
        form.submission_token.errors.append(_("The form expired. Please reload the page and send it again."))
        return render_template("profile/edit.html", form=form, subject=subject)
    flash(_("Your name correction has been sent for review."), "success")
    return redirect(url_for("profile.show"))


def _check_name_change(form, subject) -> list:
    """A name change needs a reason, a supporting scan, and no other change under review."""
    if not (form.reason.data or "").strip():
        form.reason.errors.append(_("Say why the name changes (e.g. marriage, a new identity card)."))
    scans = _checked_scans(form, required=True)
    if service.pending_correction(subject) is not None:
        form.surname.errors.append(_("A name correction is already under review; wait for its result."))
    return scans


def _checked_scans(form, *, required: bool) -> list:
    """Attached files are checked even when unused, so a bad upload never passes silently."""
    try:
        return storage.check_uploads(form.documents.data, required=required)
    except storage.UploadRejected as error:
        form.documents.errors.append(str(error))
        return []


def _apply(subject, actor, form, names, email_changed, scans):
    """Apply each kind of correction through its domain function, then commit once."""
    messages = []
    if service.change_phone(subject, form.phone.data, actor=actor):
        messages.append(_("Your phone number has been changed."))
    if email_changed:
        service.request_email_change(subject, form.email.data, actor=actor)
        messages.append(_("We have sent a confirmation link to the new address; the e-mail changes once you open it."))
    if names is not None:
        due_on = calendar().add_working_days(local_today(), NAME_CORRECTION)
        service.request_name_correction(subject, names, form.reason.data.strip(), scans, actor=actor,
                                        token=form.submission_token.data, due_on=due_on)
        messages.append(_("Your name correction has been sent for review."))
    db.session.commit()
    for message in messages or [_("Nothing has changed.")]:
        flash(message, "success" if messages else "info")
    return redirect(url_for("profile.show"))


@bp.route("/profile/history")
@subject_required
def history():
    subject = current_subject()
    corrections = service.corrections(subject)
    return render_template("profile/history.html", changes=service.history(subject), corrections=corrections,
                           notices=notices_by([f"correction:{r.id}" for r in corrections]) if corrections else {},
                           who=lambda change: wording.for_change(change, subject))


@bp.route("/documents")
@subject_required
def documents():
    return render_template("profile/documents.html", documents=_documents(current_subject()))


@bp.route("/documents/<int:document_id>")
@subject_required
def download(document_id):
    document = get_own_document_or_404(document_id)
    path = storage.path_of(document)
    if not path.exists():
        abort(404)
    trail.record("document.downloaded", actor=current_actor(), subject=current_subject(), obj=document)
    db.session.commit()
    return storage.send(document)


@bp.route("/profile/corrections/<int:request_id>/decision.pdf")
@subject_required
def correction_decision(request_id):
    """The decision on one of my name corrections, signed by the operator: the same bytes on every download."""
    correction = db.session.get(CorrectionRequest, request_id)
    if correction is None or correction.user_id != current_subject().id or correction.status == "pending":
        abort(404)
    document = decisions.decision(correction)
    rendering = issued.stored(document, str(get_locale()))
    trail.record("profile.decision_downloaded", actor=current_actor(), subject=current_subject(), obj=correction)
    db.session.commit()
    return send_file(io.BytesIO(rendering.pdf), mimetype="application/pdf", max_age=0,
                     download_name=f"{decisions.number(issued.load(document))}.pdf")
