"""Who acts and for whom, resolved once per request; the cabinet's pages ask here for the subject.

A staff member acting on a subject's behalf has an ActingSession; its id rides in the signed session
cookie and is checked against the database on every request, so stopping or expiry takes effect at once.
"""

from datetime import timedelta
from functools import wraps

from flask import abort, g, request, session
from flask_login import current_user, login_required

from cabinet.acting.models import ActingSession
from cabinet.audit import trail
from cabinet.audit.actor import Actor
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.transaction import committing

#: how long an acting session lasts unless stopped
ACTING_MINUTES = 30
SESSION_KEY = "acting_id"


def current_actor() -> Actor:
    """Who does what the request does, as the operations take it: the signed-in person and, in the subject's
    cabinet, the acting session they work in (the public: nobody)."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user, acting_here() if user is not None else None)


def current_subject():
    """Whose data the cabinet pages show and change: the signed-in person, unless staff act on a subject's
    behalf."""
    return g.get("acting_subject") or current_user._get_current_object()


def current_act():
    """The active acting session of this request, if any."""
    return g.get("acting")


#: staff pages: there a staff member works as the operator, never on a subject's behalf
OPERATOR_SIDE = frozenset({"staff", "staff_complaints", "admin", "admin_mail", "translate"})


def acting_here():
    """The acting session, when this request works in the subject's cabinet (not on the operator's pages)."""
    return None if request.blueprint in OPERATOR_SIDE else current_act()


def _resolve():
    """Before each request: load the acting session named in the cookie, if it is still valid."""
    act_id = session.get(SESSION_KEY)
    if act_id is None or not current_user.is_authenticated:
        return
    act = db.session.get(ActingSession, act_id)
    if act is not None and act.ended_at is None and act.expires_at <= utcnow():
        with committing():  # this hook is the expiry's edge: it stands whatever the request does next
            expire(Actor(act.staff), act)
    if act is None or act.staff_id != current_user.id or act.ended_at is not None or not _may_act(current_user):
        session.pop(SESSION_KEY, None)
        return
    g.acting, g.acting_subject = act, act.subject


def expire(actor: Actor, act) -> None:
    """Close on record an act whose time ran out (the first request of its staff member after that), so the
    subject sees it end; actor: that staff member."""
    act.ended_at, act.end_reason = act.expires_at, "expired"
    trail.record("staff.acting_expired", actor=actor, subject=act.subject, obj=act)


def _may_act(user) -> bool:
    """A staff member whose support role was taken away stops acting at once, not when the act expires."""
    return user.has_role("support") or user.has_role("admin")


def start(act) -> None:
    """Remember the acting session in the staff member's session cookie."""
    session[SESSION_KEY] = act.id


def forget() -> None:
    session.pop(SESSION_KEY, None)


def expiry_from(moment):
    return moment + timedelta(minutes=ACTING_MINUTES)


def subject_required(view):
    """Cabinet pages need a signed-in person with data of their own (or one they act for)."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_subject().has_role("subject"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def own_only(view):
    """What stays the subject's alone (password, sign-in e-mail): refused while someone acts for them."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_act() is not None:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def role_required(role: str):
    """Staff pages: the signed-in person must hold the role (admins hold every staff power)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not (current_user.has_role(role) or current_user.has_role("admin")):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def init_app(app):
    app.before_request(_resolve)

    @app.context_processor
    def _acting_context():
        return {"acting": g.get("acting")}
