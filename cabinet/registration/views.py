"""The registration page. Its route joins the accounts blueprint, so /register and url_for("accounts.register")
stay as they were while the accounts area knows nothing of policies, consents or the profile."""

from flask import render_template
from flask_babel import get_locale

from cabinet.accounts.forms import RegisterForm
from cabinet.accounts.limits import MAIL_PER_ACCOUNT, SIGN_UP_PER_ADDRESS, per_account, per_address
from cabinet.accounts.views import FORMS, bp
from cabinet.documents.storage import UploadRejected, check_uploads
from cabinet.i18n import local_today
from cabinet.mail.delivery import after_response
from cabinet.messages import gettext as _
from cabinet.policies.service import current_version
from cabinet.registration import service


def _page_context() -> dict:
    """The policy the page shows beside the form (None until one is in effect)."""
    return {"version": current_version(local_today())}


FORMS["accounts.register"] = ("accounts/register.html", RegisterForm, _page_context)


@bp.route("/register", methods=["GET", "POST"])
@per_address(SIGN_UP_PER_ADDRESS)
@per_account(MAIL_PER_ACCOUNT)
def register():
    """The same page and the same work in the request for a new and a taken address; the rest after it."""
    form = RegisterForm()
    version = current_version(local_today())
    if version is not None and form.validate_on_submit():
        try:
            scans = check_uploads(form.documents.data, required=True)
        except UploadRejected as error:
            form.documents.errors.append(str(error))
        else:
            fields = ("surname", "given_name", "patronymic", "email", "phone")
            details = {f: (form[f].data or "").strip() or None for f in fields}
            optional = {p for p in ("marketing", "research", "third_party") if form[f"consent_{p}"].data}
            after_response(service.register, details, form.password.data, scans, optional,
                           locale=str(get_locale()), today=local_today())
            return render_template("accounts/registered.html", email=details["email"])
    elif version is not None and form.is_submitted() and not any(getattr(f, "filename", "") for f in
                                                                 form.documents.data or ()):
        # every problem at once: the missing scan too, not only after the other fields are right
        form.documents.errors.append(_("Attach at least one scanned document (PDF, JPEG or PNG)."))
    return render_template("accounts/register.html", form=form, version=version)
