"""Who did something, in the subject's words: themselves, staff on their behalf (with the basis), or a job."""

from functools import cached_property

from sqlalchemy import select

from cabinet.database import model_for
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.messages import lazy_pgettext

ROLES = {
    "support": lazy_pgettext("role", "support"),
    "admin": lazy_pgettext("role", "administrator"),
}


def full_name(user) -> str:
    return f"{user.given_name} {user.surname}".strip() if user is not None else "—"


def document_title(document) -> str:
    """A basis document as the subject sees it on their documents page: its file name."""
    return f"«{document.original_name}»" if document is not None else _("a document no longer kept")


def on_your_behalf(name: str, role: str, document: str) -> str:
    """`document` as document_title() words it."""
    return _("Made by %(name)s, %(role)s, on your behalf — basis: %(document)s",
             name=name, role=str(ROLES.get(role, role)), document=document)


def by_job(job: dict, people: dict) -> str:
    """A command-line or scheduled job: its name, the machine account that ran it, the person it named."""
    person = people.get(job.get("by"))
    if person is not None:
        return _("Job “%(job)s”, run by %(run_by)s on the decision of %(person)s",
                 job=job.get("name", "?"), run_by=job.get("run_by", "?"), person=full_name(person))
    return _("Job “%(job)s”, run by %(run_by)s", job=job.get("name", "?"), run_by=job.get("run_by", "?"))


def _frozen_basis(frozen: dict) -> str:
    basis = frozen.get("basis")
    return "«" + basis["name"] + "»" if basis else _("a document no longer kept")


def by_whom(frozen: dict) -> str:
    """Who took a decision, as an issued document states it (audit.who.frozen), in the third person."""
    role = str(ROLES.get(frozen["role"], frozen["role"]))
    if frozen.get("job"):
        return _("Job “%(job)s”, run by %(run_by)s", job=frozen["job"]["name"], run_by=frozen["job"]["run_by"])
    if frozen["role"] == "subject":
        return _("%(name)s, the data subject", name=frozen["name"] or "—")
    if frozen.get("on_behalf"):
        return _("%(name)s, %(role)s, on behalf of the data subject — basis: %(document)s (%(reason)s)",
                 name=frozen["name"] or "—", role=role, reason=frozen.get("reason") or "—",
                 document=_frozen_basis(frozen))
    return _("%(name)s, %(role)s of the operator", name=frozen["name"] or "—", role=role)


def for_subject(frozen: dict) -> str:
    """The same, as the subject reads it on their pages: "You", or staff on your behalf with the basis."""
    if frozen.get("job"):
        return by_whom(frozen)
    if frozen["role"] == "subject":
        return _("You")
    if frozen.get("on_behalf"):
        return on_your_behalf(frozen["name"] or "—", frozen["role"], _frozen_basis(frozen))
    return by_whom(frozen)


def for_change(change, subject) -> str:
    """The "by whom" of a history entry."""
    if change.basis == "acting":
        act = change.acting
        return on_your_behalf(full_name(change.actor), act.staff_role if act else "support",
                              document_title(act.basis_document if act else None))
    if change.actor_id == subject.id:
        return _("You")
    return full_name(change.actor) if change.actor is not None else "—"


class EventWords:
    """Words for the trail events of one page: the documents and people they name, fetched once."""

    def __init__(self, events, subject, *, documents: dict | None = None):
        Document, User = model_for("documents"), model_for("users")
        self.subject = subject
        doc_ids = {(e.details or {}).get("on_behalf", {}).get("basis_document") for e in events} - {None}
        if documents is not None:  # the caller has the subject's documents already
            self.documents = documents
        else:
            self.documents = {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(doc_ids)))} \
                if doc_ids else {}
        people = {((e.details or {}).get("job") or {}).get("by") for e in events} - {None}
        self.people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people)))} \
            if people else {}

    def who(self, event, actor_name: str | None) -> str:
        details = event.details or {}
        if "on_behalf" in details:
            behalf = details["on_behalf"]
            return on_your_behalf(actor_name or "—", behalf.get("staff_role", "support"),
                                  document_title(self.documents.get(behalf.get("basis_document"))))
        if details.get("job"):
            return by_job(details["job"], self.people)
        if event.actor_id == self.subject.id:
            return self.you
        return actor_name or _("Unknown visitor")

    @cached_property
    def you(self) -> str:
        """Translated once for the page: most rows of an access log are the subject's own sign-ins."""
        return _("You")

    def basis_document(self, event):
        """The basis document of an event made on the subject's behalf, when the subject still has it."""
        behalf = (event.details or {}).get("on_behalf") or {}
        document = self.documents.get(behalf.get("basis_document"))
        return document if document is not None and document.owner_id == self.subject.id else None
