"""Who did it, for whom, on what basis: the acting session or the named job every trail event carries."""

import getpass
import os
import socket
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context

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


def on_behalf(subject) -> dict:
    """The acting session a subject-side request works in, when the event is about its subject."""
    act = _acting_here() if has_request_context() else None
    if act is None or getattr(subject, "id", subject) != act.subject_id:
        return {}
    return {"on_behalf": {"act": act.id, "reason": act.reason, "basis_document": act.basis_document_id,
                          "staff_role": act.staff_role}}


def context_details(subject) -> dict:
    """What the trail adds to every event's details: the acting session, the running job."""
    running = current_job()
    return {**on_behalf(subject), **({"job": running} if running else {})}


def frozen(actor, subject) -> dict:
    """Who took a decision, as an issued document keeps it for good: name, role, for whom and on what basis."""
    subject_id = getattr(subject, "id", subject)
    who = {"name": f"{actor.given_name} {actor.surname}".strip() if actor is not None else None,
           "role": "subject" if actor is not None and actor.id == subject_id else
           staff_role(actor) if actor is not None else "job"}
    behalf = on_behalf(subject).get("on_behalf")
    if behalf:
        document = db.session.get(model_for("documents"), behalf["basis_document"])
        who.update(role=behalf["staff_role"], on_behalf=True, reason=behalf["reason"],
                   basis={"name": document.original_name, "sha256": document.sha256} if document else None)
    running = current_job()
    if running:
        who["job"] = {"name": running["name"], "run_by": running["run_by"]}
    return who
