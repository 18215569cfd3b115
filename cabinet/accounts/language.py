"""The language switch: a link sets this browser's cookie, the signed-in switcher's POST the account's language too."""

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from cabinet.accounts import operations
from cabinet.acting import current_actor
from cabinet.i18n import lang_cookie
from cabinet.security import safe_next
from cabinet.transaction import committed

#: named "i18n" as before the switch moved here, so url_for("i18n.switch") and /lang/<code> stay the same
bp = Blueprint("i18n", __name__)


@bp.route("/lang/<code>", methods=["GET", "POST"])
@committed
def switch(code):
    """A link sets only this browser's cookie; the account's language (its mail's) changes only by the signed-in
    switcher's POST, which carries a CSRF token, so another site's link cannot change stored data."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(url_for("overview.home")))
    response.set_cookie(lang_cookie(), code, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=current_app.config["ENV"] == "production")
    if request.method == "POST" and current_user.is_authenticated and current_user.locale != code:
        operations.set_language(current_actor(), code)
    return response
