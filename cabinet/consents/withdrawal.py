"""Withdrawing all consent (law art. 8): refused with reasons while an obligation is open, otherwise
processing stops at once and the data is destroyed within 15 working days, except what must be kept."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update

from cabinet.accounts.models import User
from cabinet.acting import duties
from cabinet.acting.models import ActingSession
from cabinet.audit import labels, trail
from cabinet.audit.models import AuditEvent
from cabinet.consents import service
from cabinet.consents.models import Withdrawal
from cabinet.database import utcnow
from cabinet.documents import drafts, storage
from cabinet.documents.models import Document
from cabinet.extensions import db
from cabinet.mail import send
from cabinet.messages import lazy_gettext as _l
from cabinet.policies.models import PolicyAcceptance
from cabinet.profile.models import CorrectionRequest, ProfileChange
from cabinet.workdays.deadlines import CONSENT_WITHDRAWAL
from cabinet.workdays.service import calendar

labels.register_actions({
    "consent.withdraw_all": _l("All consent withdrawn"),
    "consent.withdraw_all_refused": _l("Withdrawal of all consent refused"),
    "account.destroyed": _l("Personal data destroyed"),
})

#: what survives destruction, and why (shown to the subject before and after)
KEPT = {
    "consent_records": _l("The record of when you gave and withdrew each consent, without your name: "
                          "the operator must be able to prove the consent it relied on."),
    "audit_trail": _l("The audit trail of access to your data, pseudonymised: it proves how your data "
                      "was protected and cannot be altered."),
    "complaints": _l("Your closed complaints and the operator's answers, without your name and contacts: "
                     "they are evidence for a court while a claim is still possible."),
}


@dataclass(frozen=True)
class Obligation:
    """Something unfinished between the subject and the operator that needs the data a while longer."""

    kind: str
    reference: str
    #: when the operator must have finished it, if it has a deadline (shown beside it)
    due_on: date | None = None


#: by kind, what returns the subject's unfinished obligations of that kind (each area registers its own)
OBLIGATION_SOURCES = {}


def register_obligations(kind: str, source) -> None:
    """An area names what it still owes a subject; registering a kind again replaces it (one app, or many)."""
    OBLIGATION_SOURCES[kind] = source


def unfinished_obligations(subject) -> list[Obligation]:
    return [Obligation(kind, reference, due_on) for kind, source in OBLIGATION_SOURCES.items()
            for reference, due_on in source(subject)]


def withdraw_all(subject, *, actor, today, channel: str = "cabinet") -> Withdrawal:
    """Refuse with reasons if an obligation is open; otherwise withdraw every consent and schedule destruction."""
    if service.processing_stopped(subject):
        raise service.ConsentError(_l("All consent is already withdrawn."))
    obligations = unfinished_obligations(subject)
    if obligations:
        withdrawal = Withdrawal(user_id=subject.id, actor_id=actor.id, status="refused",
                                reasons=[{"kind": o.kind, "reference": o.reference} for o in obligations])
        db.session.add(withdrawal)
        db.session.flush()
        trail.record("consent.withdraw_all_refused", actor=actor, subject=subject, obj=withdrawal,
                     details={"reasons": withdrawal.reasons})
        return withdrawal
    for purpose, event in service.current_states(subject).items():
        if event is not None and event.granted:
            service.change(subject, purpose, "withdraw", actor=actor, channel=channel, withdrawing_all=True)
    withdrawal = Withdrawal(user_id=subject.id, actor_id=actor.id, status="scheduled",
                            due_on=calendar().add_working_days(today, CONSENT_WITHDRAWAL))
    db.session.add(withdrawal)
    db.session.flush()
    trail.record("consent.withdraw_all", actor=actor, subject=subject, obj=withdrawal,
                 details={"due_on": withdrawal.due_on.isoformat()})
    send(subject.email, "withdrawal_scheduled", locale=subject.locale, user=subject, withdrawal=withdrawal,
         regarding=f"withdrawal:{withdrawal.id}")
    return withdrawal


def destroy(withdrawal: Withdrawal, *, actor=None) -> None:
    """Destroy the subject's personal data and scans; keep only what KEPT lists, pseudonymised.

    `actor` is the staff member who carries it out before the deadline; without one, the job that runs it
    (`consents destroy-due`) is named in the event. Either way the event names who requested it.
    """
    duties.check("withdrawal", actor=actor, subject=withdrawal.user_id)
    subject = db.session.get(User, withdrawal.user_id)
    requested = _requested(withdrawal)
    documents = db.session.scalars(select(Document).where(Document.owner_id == subject.id)).all()
    paths = [storage.path_of(d) for d in documents]
    _end_acts(subject)
    db.session.execute(delete(Document).where(Document.owner_id == subject.id))
    drafts.discard_all(subject)
    db.session.execute(update(ProfileChange).where(ProfileChange.user_id == subject.id)
                       .values(old_value=None, new_value=None))
    db.session.execute(update(CorrectionRequest).where(CorrectionRequest.user_id == subject.id)
                       .values(changes={}, reason="", decision_reason=None))
    db.session.execute(update(PolicyAcceptance).where(PolicyAcceptance.user_id == subject.id)
                       .values(ip=None, user_agent=None))
    subject.surname, subject.given_name, subject.patronymic, subject.phone = "", "", None, None
    subject.email, subject.pending_email = f"destroyed-{subject.id}@invalid", None
    subject.password_hash, subject.session_version = "!", subject.session_version + 1
    # no data left to hold, show, disclose or announce a policy to: no longer a data subject of the operator
    subject.roles = [r for r in subject.roles if r.role != "subject"]
    withdrawal.status, withdrawal.completed_at, withdrawal.kept = "done", utcnow(), sorted(KEPT)
    trail.record("account.destroyed", actor=actor, subject=subject, obj=withdrawal,
                 details={"documents": len(paths), "kept": sorted(KEPT), "requested": requested})
    storage.delete_after_commit(paths)


def _requested(withdrawal: Withdrawal) -> dict:
    """Who asked for the destruction, when, and the trail event that records it (with its acting session)."""
    seq = db.session.scalar(select(AuditEvent.seq).where(
        AuditEvent.action == "consent.withdraw_all", AuditEvent.object_type == "withdrawal",
        AuditEvent.object_id == str(withdrawal.id)).limit(1))
    return {"by": withdrawal.actor_id, "at": withdrawal.requested_at.isoformat(), "event": seq}


def _end_acts(subject) -> None:
    """An act's basis is one of the scans destroyed; the audit trail keeps that the acts took place."""
    acts = select(ActingSession.id).where(ActingSession.subject_id == subject.id)
    db.session.execute(update(ProfileChange).where(ProfileChange.acting_id.in_(acts)).values(acting_id=None))
    db.session.execute(delete(ActingSession).where(ActingSession.subject_id == subject.id))


def due(today) -> list[Withdrawal]:
    """The scheduled destructions whose deadline has come, oldest first (a job destroys each, committing each)."""
    return list(db.session.scalars(select(Withdrawal).where(Withdrawal.status == "scheduled",
                                                            Withdrawal.due_on <= today).order_by(Withdrawal.id)))


def refuse(withdrawal: Withdrawal, reason: str, *, actor) -> None:
    """Staff refuse a scheduled withdrawal with a reason the subject sees (law art. 8: a reasoned refusal)."""
    duties.check("withdrawal", actor=actor, subject=withdrawal.user_id)
    if withdrawal.status != "scheduled":
        raise service.ConsentError(_l("Only a scheduled withdrawal can be refused."))
    withdrawal.status = "refused"
    withdrawal.reasons = [{"kind": "staff", "reference": reason}]
    subject = db.session.get(User, withdrawal.user_id)
    trail.record("consent.withdraw_all_refused", actor=actor, subject=subject, obj=withdrawal,
                 details={"reason": reason})
