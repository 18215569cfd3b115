"""Who acts and for whom, resolved once per request; the cabinet's pages ask here for the subject."""

from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required


def current_actor():
    """The signed-in person who does what the request does."""
    return current_user._get_current_object()


def current_subject():
    """Whose data the cabinet pages show and change: the actor, unless staff act on a subject's behalf."""
    return g.get("acting_subject") or current_actor()


def subject_required(view):
    """Cabinet pages need a signed-in person with data of their own (or one they act for)."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_subject().has_role("subject"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def role_required(role: str):
    """Staff pages: the signed-in person must hold the role (admins hold every staff power)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            user = current_actor()
            if not (user.has_role(role) or user.has_role("admin")):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
