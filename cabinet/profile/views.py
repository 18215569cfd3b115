"""My data (policy 2.3, 1.5): view it, correct it, see its history, download my scans."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from cabinet.acting import current_actor, current_subject, subject_required
from cabinet.audit import wording
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.mail import notices_by
from cabinet.messages import gettext as _
from cabinet.paging import cursors, kept
from cabinet.profile import operations, service
from cabinet.profile.forms import ProfileEditForm
from cabinet.profile.models import CorrectionRequest
from cabinet.security import check_password
from cabinet.transaction import attempt, committed

bp = Blueprint("profile", __name__, url_prefix="/cabinet")

def get_own_document_or_404(document_id: int) -> Document:
    """A document of the current subject; anybody else's answers 404 (ids too large never reach here)."""
    document = db.session.scalar(select(Document).where(
        Document.id == document_id, Document.owner_id == current_subject().id))
    if document is None:
        abort(404)
    return document


#: the subject's documents, newest first: on the profile and the documents page, built once
DOCUMENTS = (select(Document).where(Document.owner_id == bindparam("owner_id"))
             .order_by(Document.uploaded_at.desc(), Document.id.desc()))


def _documents(subject):
    return list(db.session.scalars(DOCUMENTS, {"owner_id": subject.id}))


@bp.route("/profile")
@subject_required
def show():
    subject = current_subject()
    return render_template("profile/show.html", subject=subject, documents=_documents(subject),
                           pending=service.pending_correction(subject))


@bp.route("/profile/edit", methods=["GET", "POST"])
@subject_required
@committed
def edit():
    subject, actor = current_subject(), current_actor()
    form = ProfileEditForm(obj=subject)
    if form.validate_on_submit():
        names = {f: (form[f].data or "").strip() or None for f in service.NAME_FIELDS}
        names_changed = any(names[f] != getattr(subject, f) for f in names)
        email_changed = form.email.data != subject.email
        if email_changed and actor.act is not None:
            form.email.errors.append(_("Only the subject can change the e-mail used to sign in."))
        token = form.submission_token.data
        if (names_changed or email_changed) and not check_password(actor.user.password_hash,
                                                                   form.current_password.data or ""):
            form.current_password.errors.append(_("Enter your current password to change the e-mail or the name."))
        elif names_changed and service.correction_by_token(token) is not None:
            return _sent_before(subject, form)
        scans = _check_name_change(form, subject) if names_changed else _checked_scans(form, required=False)
        if not any(field.errors for field in form):
            try:
                with attempt():
                    return _apply(subject, actor, form, names if names_changed else None, scans)
            except IntegrityError:  # the same submission, sent twice at once: the other one won
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


#: what the page says for each correction done
DONE = {"phone": lambda: _("Your phone number has been changed."),
        "email": lambda: _("We have sent a confirmation link to the new address; the e-mail changes once you open it."),
        "names": lambda: _("Your name correction has been sent for review.")}


def _apply(subject, actor, form, names, scans):
    """One operation makes every correction of the form; the page says what each did."""
    done = operations.correct(actor, subject, phone=form.phone.data, email=form.email.data, names=names,
                              reason=(form.reason.data or "").strip(), scans=scans, token=form.submission_token.data)
    for message in [DONE[what]() for what in done] or [_("Nothing has changed.")]:
        flash(message, "success" if done else "info")
    return redirect(url_for("profile.show"))


#: the name corrections' page parameters beside the changes' own (`corrections_page`, `corrections_after`, …)
CORRECTIONS = "corrections_"


@bp.route("/profile/history")
@subject_required
def history():
    subject = current_subject()
    corrections = service.corrections_page(subject, **cursors(CORRECTIONS))
    return render_template("profile/history.html", page=service.history_page(subject, **cursors()),
                           corrections=corrections, prefix=CORRECTIONS, changes_at=kept(),
                           corrections_at=kept(CORRECTIONS),
                           notices=notices_by([f"correction:{r.id}" for r in corrections.rows])
                           if corrections.rows else {},
                           who=lambda change: wording.for_change(change, subject))


@bp.route("/documents")
@subject_required
def documents():
    return render_template("profile/documents.html", documents=_documents(current_subject()))


@bp.route("/documents/<int:document_id>")
@subject_required
@committed
def download(document_id):
    document = get_own_document_or_404(document_id)
    path = storage.path_of(document)
    if not path.exists():
        abort(404)
    operations.download_document(current_actor(), document)
    return storage.send(document)


@bp.route("/profile/corrections/<int:request_id>/decision.pdf")
@subject_required
@committed
def correction_decision(request_id):
    """The decision on one of my name corrections, signed by the operator: the same bytes on every download."""
    correction = db.session.get(CorrectionRequest, request_id)
    if correction is None or correction.user_id != current_subject().id or correction.status == "pending":
        abort(404)
    pdf, name = operations.decision_pdf(current_actor(), correction, str(get_locale()))
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", max_age=0, download_name=name)
