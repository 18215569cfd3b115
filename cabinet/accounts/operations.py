"""What a person does with their account, one function per use case; each writes its trail event in the caller's
transaction and never commits (the view commits at the edge, cabinet.transaction).

Signing in, confirming an address and resetting a password are done by someone not yet signed in: the password
or the mailed link names the account, so they take no Actor. The rest take the signed-in person's Actor.
"""

from flask import current_app, request

from cabinet.accounts import tokens
from cabinet.accounts.models import User
from cabinet.accounts.service import end_sessions, find_by_email, send_confirmation
from cabinet.audit import trail
from cabinet.audit.actor import Actor
from cabinet.database import utcnow
from cabinet.domain import DomainError
from cabinet.extensions import db
from cabinet.mail import external_url, send
from cabinet.messages import gettext as _
from cabinet.security import check_password, hash_password, needs_rehash


class WrongPassword(DomainError):
    """The current password given does not match: nothing changes."""

    code = "wrong_password"


def sign_in(email: str, password: str, *, locale: str | None = None) -> User | None:
    """The account for these credentials (every attempt on an existing account is recorded), taking the language
    chosen on the sign-in page as the account's; None when they do not match."""
    user = find_by_email(email) if "@" in email else None
    if not check_password(user.password_hash if user else None, password):
        if user is not None:
            trail.record("account.sign_in_failed", subject=user, obj=user)
        else:  # no account to hold the event: the application log has it, without the address typed
            current_app.logger.warning("sign-in failed for no account from %s", request.remote_addr)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.previous_login_at, user.last_login_at = user.last_login_at, utcnow()
    trail.record("account.signed_in", actor=Actor(user), subject=user, obj=user)
    if locale is not None and locale != user.locale:
        set_language(Actor(user), locale)
    return user


def sign_out(actor: Actor) -> None:
    """Every session cookie of the person stops working, not only this browser's."""
    end_sessions(actor.user, "account.signed_out", actor=actor)


def set_language(actor: Actor, locale: str) -> None:
    """The account's language: its pages after sign-in and its mail."""
    actor.user.locale = locale
    trail.record("account.locale_changed", actor=actor, subject=actor.user, obj=actor.user, details={"locale": locale})


def change_password(actor: Actor, current: str, new: str) -> None:
    """Set a new password after checking the current one; every other session of the person ends."""
    user = actor.user
    if not check_password(user.password_hash, current):
        raise WrongPassword(_("The password is wrong."))
    user.password_hash = hash_password(new)
    end_sessions(user, "account.password_changed", actor=actor)


def resend_confirmation(actor: Actor) -> None:
    """The confirmation link once more, unless the address is confirmed already."""
    if actor.user.email_confirmed_at is None:
        send_confirmation(actor.user)


def ask_reset(email: str) -> None:
    """Mail a reset link if the account exists; the caller answers the same either way."""
    user = find_by_email(email)
    if user is None:
        return
    token = tokens.make("reset", {"uid": user.id, "fp": tokens.password_fingerprint(user.password_hash)})
    send(user.email, "reset", locale=user.locale, user=user,
         link=external_url("accounts.reset", token=token))
    trail.record("account.reset_requested", subject=user, obj=user)


def reset_password(user: User, password: str) -> None:
    """Set the new password from a reset link; the link proved the address, so it is confirmed too."""
    user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    end_sessions(user, "account.password_reset", actor=Actor(user))


def confirm_email(token: str) -> User | None:
    """Confirm the sign-in address, or a pending new one, from a link mailed to that address."""
    payload = tokens.read("confirm", token, current_app.config["CONFIRM_MAX_AGE"])
    user = db.session.get(User, payload["uid"]) if payload else None
    if user is None:
        return None
    if payload["email"] == user.email:
        if user.email_confirmed_at is None:
            user.email_confirmed_at = utcnow()
            trail.record("account.email_confirmed", actor=Actor(user), subject=user, obj=user)
        return user
    if payload["email"] == user.pending_email and _email_change:
        try:
            _email_change[0](user)
        except ValueError:  # the address was taken meanwhile
            return None
        return user
    return None


#: what makes a confirmed new address the sign-in one, with its history (the profile area registers it at app setup)
_email_change = []


def register_email_change(apply) -> None:
    _email_change[:] = [apply]
