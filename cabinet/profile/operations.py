"""What a subject (or staff acting for them) does with their own data, one function per use case taking the Actor.

Each does everything its use case means (the change and its history row, the trail event, the mail, the due date)
in the caller's transaction and never commits: the view commits at the edge (cabinet.transaction). Refusals raise
ProfileError (a DomainError).
"""

from cabinet.audit import trail
from cabinet.audit.actor import Actor
from cabinet.documents import issued
from cabinet.documents.models import Document
from cabinet.i18n import local_today
from cabinet.profile import decisions, service
from cabinet.profile.models import CorrectionRequest
from cabinet.workdays.deadlines import NAME_CORRECTION
from cabinet.workdays.service import calendar


def correct(actor: Actor, subject, *, phone: str, email: str, names: dict | None = None, reason: str = "",
            scans=(), token: str = "") -> list[str]:
    """Correct my data: a new phone at once, a new sign-in address once it confirms itself (only the subject may
    ask), a new name (with its reason and scans) for review within NAME_CORRECTION working days. Returns what was
    done ("phone", "email", "names"), nothing when nothing differs."""
    done = []
    if service.change_phone(subject, phone, actor=actor):
        done.append("phone")
    if email != subject.email:
        if actor.act is not None:
            raise service.ProfileError("only the subject changes the sign-in address")
        service.request_email_change(subject, email, actor=actor)
        done.append("email")
    if names is not None:
        due_on = calendar().add_working_days(local_today(), NAME_CORRECTION)
        service.request_name_correction(subject, names, reason, list(scans), actor=actor, token=token, due_on=due_on)
        done.append("names")
    return done


def download_document(actor: Actor, document: Document) -> None:
    """A look at one of the subject's stored files goes into the trail, so their access log shows it."""
    trail.record("document.downloaded", actor=actor, subject=document.owner_id, obj=document)


def decision_pdf(actor: Actor, correction: CorrectionRequest, locale: str) -> tuple[bytes, str]:
    """The decision on a name correction as the operator signed it (rendered once, the same bytes ever after), with
    its file name; the download goes into the trail."""
    document = decisions.decision(correction)
    rendering = issued.stored(document, locale)
    trail.record("profile.decision_downloaded", actor=actor, subject=correction.user_id, obj=correction)
    return rendering.pdf, f"{decisions.number(issued.load(document))}.pdf"
