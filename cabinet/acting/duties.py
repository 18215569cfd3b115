"""Separation of duties: a staff member acting for a subject takes no operator decision on that subject's records.

While a staff member has an open acting session for a subject (in that browser or any other), they speak for
the subject; answering the subject's complaint, deciding their name correction or their withdrawal of consent
is then for another staff member. The decision functions call `check` before they write anything.
"""

from sqlalchemy import select

from cabinet.acting.models import ActingSession
from cabinet.audit import labels, trail
from cabinet.database import utcnow
from cabinet.domain import DomainError
from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l

labels.register_actions({
    "staff.acting_expired": _l("The time of staff acting on your behalf ran out"),
    "staff.decision_refused": _l("A staff member acting on your behalf was stopped from deciding on your request"),
})

#: the decisions guarded, with the words that explain the refusal to the staff member
DECISIONS = {
    "complaint": _l("You are acting on behalf of %(name)s, so another staff member must take the operator's "
                    "decisions on their complaint. Stop acting, or hand the complaint over."),
    "correction": _l("You are acting on behalf of %(name)s, so another staff member must decide on their name "
                     "correction."),
    "withdrawal": _l("You are acting on behalf of %(name)s, so another staff member must decide on their "
                     "withdrawal of consent."),
}
OWN = _l("This is your own request: another staff member must decide on it.")


class ConflictOfDuties(DomainError):
    """An operator's decision refused because its maker speaks for the subject; the message says why."""

    code = "conflict_of_duties"

    def __init__(self, message: str, *, decision: str, act=None):
        super().__init__(message)
        self.decision, self.act = decision, act


def open_act(staff, subject_id: int):
    """The staff member's acting session for the subject that is still running, if any."""
    return db.session.scalar(select(ActingSession).where(
        ActingSession.staff_id == staff.id, ActingSession.subject_id == subject_id,
        ActingSession.ended_at.is_(None), ActingSession.expires_at > utcnow()).limit(1))


def acted_for(staff, subject_ids) -> set[int]:
    """Of these subjects, those the staff member acts for now (for pages that list many), and themselves."""
    ids = set(subject_ids)
    if not ids:
        return set()
    found = set(db.session.scalars(select(ActingSession.subject_id).where(
        ActingSession.staff_id == staff.id, ActingSession.subject_id.in_(ids),
        ActingSession.ended_at.is_(None), ActingSession.expires_at > utcnow())))
    return found | ({staff.id} & ids)


def check(decision: str, *, actor, subject) -> None:
    """Refuse (raise ConflictOfDuties) when the actor is the subject or acts for them now; nothing is written."""
    if actor is None:  # a scheduled job: no person, no conflict
        return
    subject_id = getattr(subject, "id", subject)
    if actor.id == subject_id:
        raise ConflictOfDuties(str(OWN), decision=decision)
    act = open_act(actor, subject_id)
    if act is not None:
        raise ConflictOfDuties(DECISIONS[decision] % {"name": act.subject.full_name}, decision=decision, act=act)


def refusal_for(decision: str, *, actor, subject) -> str | None:
    """What `check` would say, for pages that offer the decision only to those who may take it."""
    try:
        check(decision, actor=actor, subject=subject)
    except ConflictOfDuties as error:
        return str(error)
    return None


def refused(error: ConflictOfDuties, *, actor, subject, obj=None) -> str:
    """In a view, once the refused decision is undone (cabinet.transaction.attempt): the refused attempt itself goes
    into the trail, committed at the edge, and the message to show comes back."""
    trail.record("staff.decision_refused", actor=actor, subject=subject, obj=obj,
                 details={"decision": error.decision, "act": getattr(error.act, "id", None)})
    return str(error)
