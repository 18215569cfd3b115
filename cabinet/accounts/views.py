"""Sign-up, sign-in, sign-out, e-mail confirmation, password reset and change, session time limits."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import lazyload

from cabinet import public_pages
from cabinet.accounts import operations, service
from cabinet.accounts.forms import LoginForm, PasswordChangeForm, ResetForm, ResetRequestForm
from cabinet.accounts.limits import (
    MAIL_PER_ACCOUNT,
    PER_ADDRESS,
    SIGN_IN_PER_ACCOUNT,
    per_account,
    per_address,
    seconds_to_wait,
    wait_text,
)
from cabinet.accounts.models import User, UserRole
from cabinet.acting import current_actor, own_only
from cabinet.database import MAX_ID, reads_first
from cabinet.documents.storage import max_upload_mb
from cabinet.errors import render_error
from cabinet.extensions import db, login_manager
from cabinet.i18n import lang_cookie
from cabinet.mail.delivery import after_response
from cabinet.messages import gettext as _
from cabinet.security import safe_next
from cabinet.transaction import attempt, committed

bp = Blueprint("accounts", __name__)


#: the account's roles as one string beside its row: no joined collection to assemble (a third fewer Python calls)
ROLE_CODES = select(func.aggregate_strings(UserRole.role, " ")).where(UserRole.user_id == User.id).scalar_subquery()
#: the query of every signed-in request, built once: building it costs as much as running it
USER_WITH_ROLES = select(User, ROLE_CODES).options(lazyload(User.roles)).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Find the user from the session; a cookie from before a logout carries an old version."""
    user_id, _sep, version = identity.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or int(user_id) > MAX_ID:
        return None
    found = db.session.execute(USER_WITH_ROLES, {"user_id": int(user_id)}).one_or_none()
    if found is None or found[0].session_version != int(version):
        return None
    user, codes = found
    user.held_roles = tuple((codes or "").split())
    return user


@bp.record_once
def _setup_login(state):
    login_manager.init_app(state.app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"


#: where each role starts after signing in, in order of preference (an area not installed is skipped)
LANDINGS = (("subject", "overview.cabinet"), ("support", "staff.deadlines"), ("admin", "staff.deadlines"),
            ("translator", "translate.index"))


def landing(user) -> str:
    """Staff without data of their own would meet a 403 in the cabinet: they start on their own pages."""
    for role, endpoint in LANDINGS:
        if user.has_role(role) and endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("overview.home")


@bp.route("/login", methods=["GET", "POST"])
@reads_first  # the password is checked before the write lock is taken
@per_address(PER_ADDRESS)
@per_account(SIGN_IN_PER_ACCOUNT)
@committed
def login():
    if current_user.is_authenticated:
        return redirect(landing(current_user))
    if request.method == "GET":  # the empty form: kept for anonymous visitors, each given their own token
        return public_pages.form_page(("login",), lambda: render_template("accounts/login.html", form=LoginForm()))
    form = LoginForm()
    if form.validate_on_submit():
        chosen = request.cookies.get(lang_cookie())  # the language chosen on the sign-in page becomes the account's
        user = operations.sign_in(form.email.data, form.password.data,
                                  locale=chosen if chosen in current_app.config["LANGUAGES"] else None)
        if user is not None:
            target = safe_next(landing(user))
            session.clear()  # nothing of the visit before signing in (a planted form token) carries over
            login_user(user)
            session["auth_at"] = session["seen_at"] = time.time()
            return redirect(target)
        form.form_errors.append(_("The e-mail or the password is wrong."))  # of the form: neither field alone
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
@committed
def logout():
    operations.sign_out(current_actor())
    logout_user()
    session.clear()  # nothing of the signed-in visit (an acting session, a form token) outlives it
    flash(_("You have signed out."), "info")
    response = redirect(url_for("overview.home"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'  # the browser forgets the pages it kept
    return response


@bp.route("/confirm/<token>")
@committed
def confirm(token):
    user = operations.confirm_email(token)
    if user is None:
        flash(_("The confirmation link is invalid or has expired."), "error")
    else:
        flash(_("Your e-mail address is confirmed."), "success")
    return redirect(url_for("overview.cabinet" if current_user.is_authenticated else "accounts.login"))


@bp.route("/confirm/resend", methods=["POST"])
@login_required
@per_address(PER_ADDRESS)
@per_account(MAIL_PER_ACCOUNT)
@committed
def resend_confirmation():
    operations.resend_confirmation(current_actor())  # committed: without it the mail was never on record
    flash(_("We have sent the confirmation link again."), "info")
    return redirect(url_for("overview.cabinet"))


@bp.route("/reset", methods=["GET", "POST"])
@per_address(PER_ADDRESS)
@per_account(MAIL_PER_ACCOUNT)
def reset_request():
    """Whether the address has an account is looked up after the response: both answers take as long."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        after_response(operations.ask_reset, form.email.data)
        flash(_("If an account with that address exists, we have sent it a link to choose a new password. "
                "The link works for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


def owner_words(user) -> tuple:
    """What a new password of this account must not be made of."""
    return (user.email, user.surname, user.given_name, user.patronymic, user.phone)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@per_address(PER_ADDRESS)
@committed
def reset(token):
    user = service.user_for_reset(token)
    if user is None:
        flash(_("The reset link is invalid, used or expired. Please ask for a new one."), "error")
        return redirect(url_for("accounts.reset_request"))
    form = ResetForm()
    form.owner_words = owner_words(user)
    if form.validate_on_submit():
        operations.reset_password(user, form.password.data)
        logout_user()
        flash(_("Your password has been changed. Please sign in with it."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


#: the limited forms, shown again as they were filled in (a password field never shows what was typed)
#: (the registration area adds its own form, with the policy version its page shows)
FORMS = {"accounts.login": ("accounts/login.html", LoginForm),
         "accounts.reset_request": ("accounts/reset_request.html", ResetRequestForm),
         "accounts.reset": ("accounts/reset.html", ResetForm)}


@bp.errorhandler(429)
def too_many_attempts(_error):
    """Say how long to wait, on the form as it was filled in, so nothing typed is lost."""
    wait = seconds_to_wait()
    headers = {"Retry-After": str(wait)}
    if request.endpoint not in FORMS:
        body, code = render_error(429, text=wait_text(wait))
        return body, code, headers
    template, form_class, *context = FORMS[request.endpoint]
    flash(wait_text(wait), "error")
    return render_template(template, form=form_class(), **(context[0]() if context else {})), 429, headers


@bp.route("/cabinet/password", methods=["GET", "POST"])
@login_required
@own_only
@committed
def change_password():
    """The password stays the person's own: nobody acting on their behalf may change it."""
    actor = current_actor()
    form = PasswordChangeForm()
    form.owner_words = owner_words(actor.user)
    if form.validate_on_submit():
        try:
            with attempt():
                operations.change_password(actor, form.current_password.data, form.password.data)
        except operations.WrongPassword as error:
            form.current_password.errors.append(error.message)
        else:
            login_user(actor.user)  # this session goes on with the new version; every other one has ended
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(landing(actor.user))
    return render_template("accounts/password.html", form=form)


#: (idle, absolute) limits in seconds: staff sessions are shorter than subjects'
SESSION_LIMITS = {"staff": (15 * 60, 8 * 3600), "subject": (60 * 60, 24 * 3600)}
#: how stale the last-seen stamp may get before it is renewed; the idle limit is exact to within this
SEEN_STEP = 30


def _may_be_signed_in() -> bool:
    """Only a session naming a user (or a remember cookie, which the cabinet never sets) can sign anybody in."""
    return "_user_id" in session or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


@bp.before_app_request
def _enforce_session_limits():
    """End a session left idle too long, or open too long, whatever its cookie says."""
    if request.endpoint == "static" or not _may_be_signed_in():
        return None  # an anonymous visitor's request loads no user at all
    user = current_user._get_current_object()  # once: each look through the proxy costs as much as a role check
    if not user.is_authenticated:
        return None
    staff = any(user.has_role(r) for r in ("support", "translator", "admin"))
    idle, absolute = SESSION_LIMITS["staff" if staff else "subject"]
    now = time.time()
    if now - session.get("seen_at", now) > idle or now - session.get("auth_at", now) > absolute:
        logout_user()
        session.clear()
        flash(_("Your session has ended. Please sign in again."), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    session.setdefault("auth_at", now)
    if now - session.get("seen_at", 0) > SEEN_STEP:
        session["seen_at"] = now  # not on every request: an unchanged session is not signed and sent again
    return None


@bp.app_context_processor
def _upload_limits():
    return {"max_upload_files": current_app.config["MAX_UPLOAD_FILES"], "max_upload_mb": max_upload_mb}
