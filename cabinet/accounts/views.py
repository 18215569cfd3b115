"""Sign-up, sign-in, sign-out, e-mail confirmation and password reset."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from cabinet.accounts import registration, service
from cabinet.accounts.forms import LoginForm, RegisterForm, ResetForm, ResetRequestForm
from cabinet.accounts.models import User
from cabinet.documents.storage import UploadRejected, check_uploads
from cabinet.extensions import db, limiter, login_manager
from cabinet.i18n import local_today
from cabinet.policies.service import current_version
from cabinet.security import safe_next

bp = Blueprint("accounts", __name__)

AUTH_LIMIT = "10 per minute;100 per day"


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Find the user from the session; a cookie from before a logout carries an old version."""
    user_id, _sep, version = identity.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.session_version == int(version) else None


@bp.record_once
def _setup_login(state):
    login_manager.init_app(state.app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register():
    form = RegisterForm()
    version = current_version(local_today())
    if version is not None and form.validate_on_submit():
        try:
            scans = check_uploads(form.documents.data, required=True)
        except UploadRejected as error:
            form.documents.errors.append(str(error))
        else:
            details = {f: form[f].data.strip() or None for f in ("surname", "given_name", "patronymic", "email", "phone")}
            optional = {p for p in ("marketing", "research", "third_party") if form[f"consent_{p}"].data}
            registration.register(details, form.password.data, scans, optional,
                                  locale=str(get_locale()), today=local_today())
            db.session.commit()
            return render_template("accounts/registered.html", email=details["email"])
    return render_template("accounts/register.html", form=form, version=version)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("overview.cabinet"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        db.session.commit()
        if user is not None:
            login_user(user)
            return redirect(safe_next(url_for("overview.cabinet")))
        flash(_("The e-mail or the password is wrong."), "error")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    service.end_sessions(current_user._get_current_object(), "account.signed_out")
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("overview.home"))


@bp.route("/confirm/<token>")
def confirm(token):
    user = service.confirm_email(token)
    db.session.commit()
    if user is None:
        flash(_("The confirmation link is invalid or has expired."), "error")
    else:
        flash(_("Your e-mail address is confirmed."), "success")
    return redirect(url_for("overview.cabinet" if current_user.is_authenticated else "accounts.login"))


@bp.route("/confirm/resend", methods=["POST"])
@login_required
@limiter.limit("3 per hour")
def resend_confirmation():
    user = current_user._get_current_object()
    if user.email_confirmed_at is None:
        service.send_confirmation(user)
    flash(_("We have sent the confirmation link again."), "info")
    return redirect(url_for("overview.cabinet"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        service.send_reset(form.email.data)
        db.session.commit()
        flash(_("If an account with that address exists, we have sent it a link to choose a new password. "
                "The link works for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset(token):
    user = service.user_for_reset(token)
    if user is None:
        flash(_("The reset link is invalid, used or expired. Please ask for a new one."), "error")
        return redirect(url_for("accounts.reset_request"))
    form = ResetForm()
    if form.validate_on_submit():
        service.reset_password(user, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Your password has been changed. Please sign in with it."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.app_context_processor
def _upload_limits():
    return {"max_upload_files": current_app.config["MAX_UPLOAD_FILES"]}
