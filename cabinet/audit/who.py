"""Who did it, for whom, on what basis: the acting session or the named job every trail event carries."""

import getpass
import os
import socket
from contextlib import contextmanager
from contextvars import ContextVar

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


def current_job() -> dict | None:
    return _job.get()


def context_details(subject, actor: Actor | None) -> dict:
    """What the trail adds to every event's details: the Actor's acting session when the event is about its
    subject, the running job."""
    running = current_job()
    return {**(actor.on_behalf_of(subject) if actor is not None else {}), **({"job": running} if running else {})}


def frozen(actor: Actor | None, subject) -> dict:
    """Who took a decision, as an issued document keeps it for good: name, role, for whom and on what basis (actor:
    None for a scheduled job)."""
    subject_id = getattr(subject, "id", subject)
    behalf = actor.on_behalf_of(subject).get("on_behalf") if actor is not None else None
    person = actor.user if actor is not None else None
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
