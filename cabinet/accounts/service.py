"""Account operations; each writes its audit event in the caller's transaction."""

from flask import current_app
from sqlalchemy import exists, select

from cabinet.accounts import tokens
from cabinet.accounts.models import ROLES, User, UserRole
from cabinet.audit import labels, trail
from cabinet.extensions import db
from cabinet.mail import external_url, send
from cabinet.messages import lazy_gettext as _l
from cabinet.security import hash_password

labels.register_actions({
    "account.created": _l("Account created"),
    "account.signed_in": _l("Signed in"),
    "account.sign_in_failed": _l("Failed sign-in attempt"),
    "account.signed_out": _l("Signed out"),
    "account.sessions_ended": _l("Signed out on every device by an administrator"),
    "account.email_confirmed": _l("E-mail address confirmed"),
    "account.reset_requested": _l("Password reset requested"),
    "account.password_reset": _l("Password changed with a reset link"),
    "account.password_changed": _l("Password changed"),
    "account.locale_changed": _l("Language changed"),
    "account.roles_changed": _l("Roles changed"),
    "account.registration_attempt": _l("Someone tried to register with your e-mail address"),
})


class AccountError(ValueError):
    """An account operation that cannot be done; the message says why."""


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(email: str, password: str, *, roles=("subject",), actor=None, **profile) -> User:
    """Create an account with the given roles (the CLI and registration both come here)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError(f"unknown role: {', '.join(sorted(unknown))}")
    if find_by_email(email):
        raise AccountError(f"an account with {email} exists")
    user = User(email=email.strip().lower(), password_hash=hash_password(password), **profile)
    user.roles = [UserRole(role=role) for role in roles]
    db.session.add(user)
    db.session.flush()
    trail.record("account.created", actor=actor or user, subject=user, obj=user,
                 details={"roles": sorted(roles)})
    return user


def holders(role: str) -> list[User]:
    """Everyone who holds the role, in the order they were created: who a reminder or an alert goes to."""
    return list(db.session.scalars(select(User).where(
        exists().where(UserRole.user_id == User.id, UserRole.role == role)).order_by(User.id)))


def set_roles(user: User, roles, *, actor) -> None:
    """Replace the account's roles, recording old and new."""
    old = user.role_names
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError(f"unknown role: {', '.join(sorted(unknown))}")
    user.roles = [r for r in user.roles if r.role in roles] + [
        UserRole(role=role) for role in sorted(set(roles) - set(old))
    ]
    trail.record("account.roles_changed", actor=actor, subject=user, obj=user,
                 details={"old": old, "new": sorted(roles)})


def confirmation_link(user: User, email: str) -> str:
    token = tokens.make("confirm", {"uid": user.id, "email": email})
    return external_url("accounts.confirm", token=token)


def send_confirmation(user: User) -> None:
    if user.id is None:
        db.session.flush()  # the link and the notice's state name the account by its id
    send(user.email, "confirm", locale=user.locale, user=user, link=confirmation_link(user, user.email),
         regarding=confirmation_regarding(user))


def confirmation_regarding(user: User) -> str:
    """How the confirmation mails name the account (outgoing_mail.regarding), for the cabinet to show their state."""
    return f"confirm:{user.id}"


def end_sessions(user: User, action: str, *, actor: User | None = None) -> None:
    """Make every session cookie of this user stop working (logout, password change, an administrator's order)."""
    user.session_version += 1
    trail.record(action, actor=actor or user, subject=user, obj=user)


def user_for_reset(token: str) -> User | None:
    """The account a reset link is for, while the link is fresh and unused."""
    payload = tokens.read("reset", token, current_app.config["RESET_MAX_AGE"])
    user = db.session.get(User, payload.get("uid")) if payload else None
    if user is None or payload.get("fp") != tokens.password_fingerprint(user.password_hash):
        return None
    return user
