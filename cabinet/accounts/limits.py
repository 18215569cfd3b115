"""Rate limits of sign-in, sign-up and reset: strict per account, generous per client address.

An account is named by the e-mail typed, normalised as accounts are stored, whether or not it exists
(a limit only for existing accounts would tell which exist). The limiter keeps a digest of it, not the
address. Every worker must count in one store (Redis): production refuses to start with memory://.

Each app has its own limiter (init_app, from its configuration, in app.extensions["rate_limiter"]): the views name
their limits when imported, and each app's limiter applies them, so two apps in one process never share settings or
counters.
"""

import hashlib
import math
import time
from functools import wraps

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from cabinet.messages import ngettext

#: sign-in per account: a password guesser gets 20 tries an hour at one account, from however many addresses
SIGN_IN_PER_ACCOUNT = "5 per minute;20 per hour"
#: reset, sign-up and confirmation mails per address typed: enough for a lost mail, too few to flood an inbox
MAIL_PER_ACCOUNT = "3 per 10 minutes;10 per day"
#: per client address: high, so strangers behind the same carrier NAT do not lock a person out
PER_ADDRESS = "30 per minute;300 per hour"
#: sign-up per client address: each one hashes a password and stores scans
SIGN_UP_PER_ADDRESS = "10 per minute;100 per hour"


def account_key() -> str:
    """The account a form names: a digest of the e-mail typed (or of the signed-in account's)."""
    email = request.form.get("email", getattr(current_user, "email", ""))
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


#: every view given a limit (the wrapper per_account and per_address put around it), in the order they were made
_LIMITED: list = []


#: the methods the limits count: sending a form, not showing it
COUNTED = frozenset({"POST"})


def per_account(limits: str):
    """The limit for one account, counted on every POST, whatever address it comes from."""
    return _limit(limits, key_func=account_key, methods=sorted(COUNTED), scope="account")


def per_address(limits: str):
    """The limit for one client address, counted on every POST."""
    return _limit(limits, methods=sorted(COUNTED), scope="address")


def _limit(limits: str, **options):
    """Give a view a limit: it runs as the current app's limiter wrapped it (init_app); a second limit on the same
    view joins the first, as two of Flask-Limiter's decorators would (one check of both, the inner one first)."""
    def decorate(view):
        if view in _LIMITED:
            view.rate_limits.append((limits, options))
            return view

        @wraps(view)
        def limited(*args, **kwargs):
            if request.method not in COUNTED:  # what no limit counts (the form shown) goes straight to the view
                return view(*args, **kwargs)
            return current_app.extensions["rate_limited_views"][limited](*args, **kwargs)

        limited.rate_limits = [(limits, options)]
        _LIMITED.append(limited)
        return limited

    return decorate


def init_app(app) -> None:
    """The app's own limiter, from its configuration, and each limited view wrapped by it."""
    limiter = Limiter(key_func=get_remote_address, default_limits=[])
    limiter.init_app(app)
    app.extensions["rate_limiter"] = limiter
    app.extensions["rate_limited_views"] = {view: _applied(limiter, view) for view in _LIMITED}


def _applied(limiter: Limiter, view):
    applied = view.__wrapped__
    for limits, options in view.rate_limits:
        applied = limiter.limit(limits, **options)(applied)
    return applied


def seconds_to_wait() -> int:
    """How long until the breached limit lets one more attempt through."""
    breached = current_app.extensions["rate_limiter"].current_limit
    return max(1, math.ceil(breached.window.reset_time - time.time())) if breached else 60


def wait_text(seconds: int) -> str:
    """The wait, in seconds under two minutes, otherwise in whole minutes rounded up."""
    if seconds < 120:
        return ngettext("Too many attempts. Please try again in %(num)d second.",
                        "Too many attempts. Please try again in %(num)d seconds.", seconds)
    return ngettext("Too many attempts. Please try again in %(num)d minute.",
                    "Too many attempts. Please try again in %(num)d minutes.", math.ceil(seconds / 60))
