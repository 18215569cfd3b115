"""Who did it, for whom, on what basis: the acting session or the named job every trail event carries."""

import getpass
import os
import socket
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context

from cabinet.audit.actor import Actor
from cabinet.database import model_for
from cabinet.extensions import db

#: the command-line job running in this process, if any: {"name", "run_by", "by"}
_job: ContextVar[dict | None] = ContextVar("cabinet_job", default=None)


def staff_role(user) -> str:
    """The role a staff member acts in, as the subject reads it: admins say so, everyone else is support."""
    return "admin" if user.has_role("admin") else "support"


def os_user() -> str:
    """Who ran the command on the machine: the person behind sudo when there is one, and the host."""
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    return f"{user}@{socket.gethostname()}"


@contextmanager
def job(name: str, *, actor=None):
    """Every event recorded inside names the job, the machine account that ran it and the person it names."""
    running = {"name": name, "run_by": os_user()}
    if actor is not None:
        running["by"] = actor.id
    token = _job.set(running)
    try:
        yield
    finally:
        _job.reset(token)


def _no_acting():
    return None


#: the acting session of this request, if any: cabinet.acting registers how to find it at app setup
_acting_here = _no_acting


def register_acting(find) -> None:
    global _acting_here
    _acting_here = find


def current_job() -> dict | None:
    return _job.get()


def on_behalf(subject, actor=None) -> dict:
    """The acting session the step works in, when the event is about its subject: the explicit Actor's, or for
    callers that pass a plain user, the one of the subject-side request."""
    if not isinstance(actor, Actor):
        actor = Actor(None, _acting_here() if has_request_context() else None)
    return actor.on_behalf_of(subject)


def context_details(subject, actor=None) -> dict:
    """What the trail adds to every event's details: the acting session, the running job."""
    running = current_job()
    return {**on_behalf(subject, actor), **({"job": running} if running else {})}


def frozen(actor, subject) -> dict:
    """Who took a decision, as an issued document keeps it for good: name, role, for whom and on what basis (actor:
    an Actor, or a user for callers not yet passing one)."""
    subject_id = getattr(subject, "id", subject)
    behalf = on_behalf(subject, actor).get("on_behalf")
    person = actor.user if isinstance(actor, Actor) else actor
    who = {"name": f"{person.given_name} {person.surname}".strip() if person is not None else None,
           "role": "subject" if person is not None and person.id == subject_id else
           staff_role(person) if person is not None else "job"}
    if behalf:
        document = db.session.get(model_for("documents"), behalf["basis_document"])
        who.update(role=behalf["staff_role"], on_behalf=True, reason=behalf["reason"],
                   basis={"name": document.original_name, "sha256": document.sha256} if document else None)
    running = current_job()
    if running:
        who["job"] = {"name": running["name"], "run_by": running["run_by"]}
    return who
