"""What a person does with a complaint, one function per use case, each taking the Actor explicitly.

Each does everything its use case means (the change, the timeline step, the document version, the trail event,
the mail and the due date) in the caller's transaction and never commits: the view or command that calls it
commits at the edge (cabinet.transaction). Refusals raise a DomainError (ComplaintError, ConflictOfDuties).
"""

from cabinet.audit.actor import Actor
from cabinet.complaints import handling, service
from cabinet.complaints.models import Complaint, ComplaintEvent, ComplaintNote


def file(actor: Actor, subject, *, subject_line: str, body: str, desired_outcome: str, scans: list, token: str,
         kept=()) -> tuple[Complaint, bool]:
    """File the subject's complaint, numbered and due COMPLAINT_ANSWER working days on, and queue the receipt;
    the same token twice files it once (False: filed before)."""
    complaint, created = service.file_complaint(subject, actor=actor, subject_line=subject_line, body=body,
                                                desired_outcome=desired_outcome, scans=scans, token=token,
                                                kept=kept)
    if created:
        service.send_receipt(complaint)
    return complaint, created


def supplement(actor: Actor, complaint: Complaint, *, text: str, scans: list, token: str
               ) -> tuple[ComplaintEvent, bool]:
    """Add text and files to an open complaint; the due date stays as set at filing."""
    return service.add_supplement(complaint, text, scans, actor=actor, token=token)


def withdraw(actor: Actor, complaint: Complaint) -> ComplaintEvent:
    """The complainant takes the complaint back; nothing of it is deleted."""
    return service.withdraw(complaint, actor=actor)


def take_under_review(actor: Actor, complaint: Complaint) -> None:
    """Staff take a newly registered complaint under review."""
    handling.take_under_review(complaint, actor=actor)


def answer(actor: Actor, complaint: Complaint, *, text: str, scans: list, token: str, kept=()) -> bool:
    """The operator's answer with its files, and the notice to the complainant; True when answered now (the same
    form twice answers once and mails once)."""
    answered = handling.answer(complaint, text, scans, actor=actor, token=token, kept=kept)
    if answered:
        handling.send_answer_notice(complaint)
    return answered


def add_note(actor: Actor, complaint: Complaint, *, text: str, token: str) -> ComplaintNote:
    """An internal note of the operator's deliberation; the trail records that one was added, never its text."""
    return handling.add_note(complaint, text, actor=actor, token=token)


def record_read(actor: Actor, complaint: Complaint, what: str = "viewed", **details) -> None:
    """Every look at a complaint by anyone but its complainant, and every printout or check, goes into the trail,
    so the complainant's access log shows it."""
    if what == "viewed" and actor.id == complaint.user_id:
        return
    handling.record_view(complaint, actor=actor, what=what, **details)
