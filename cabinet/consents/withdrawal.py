"""Withdrawing all consent (law art. 8): refused with reasons while an obligation is open, otherwise
processing stops at once and the data is destroyed within 15 working days, except what must be kept."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update

from cabinet.acting import duties
from cabinet.audit import trail
from cabinet.complaints.models import OPEN_STATUSES, Complaint
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


#: functions returning the subject's unfinished obligations; other areas (complaints) add theirs
OBLIGATION_SOURCES = []


def obligation_source(func):
    OBLIGATION_SOURCES.append(func)
    return func


@obligation_source
def _pending_corrections(subject) -> list[Obligation]:
    found = db.session.execute(select(CorrectionRequest.id, CorrectionRequest.due_on).where(
        CorrectionRequest.user_id == subject.id, CorrectionRequest.status == "pending"))
    return [Obligation("correction", str(i), due_on) for i, due_on in found]


@obligation_source
def _open_complaints(subject) -> list[Obligation]:
    """An open complaint (policy 5.2) is owed an answer, which needs the complainant's data."""
    found = db.session.execute(select(Complaint.number, Complaint.due_on).where(
        Complaint.user_id == subject.id, Complaint.status.in_(OPEN_STATUSES)).order_by(Complaint.id))
    return [Obligation("complaint", number, due_on) for number, due_on in found]


def unfinished_obligations(subject) -> list[Obligation]:
    return [o for source in OBLIGATION_SOURCES for o in source(subject)]


def current(subject) -> Withdrawal | None:
    """The latest withdrawal request of the subject, if any."""
    return db.session.scalar(select(Withdrawal).where(Withdrawal.user_id == subject.id)
                             .order_by(Withdrawal.id.desc()).limit(1))


def processing_stopped(subject) -> bool:
    latest = current(subject)
    return latest is not None and latest.status in ("scheduled", "done")


def withdraw_all(subject, *, actor, today, channel: str = "cabinet") -> Withdrawal:
    """Refuse with reasons if an obligation is open; otherwise withdraw every consent and schedule destruction."""
    if processing_stopped(subject):
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
    from cabinet.accounts.models import User

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
    from cabinet.audit.models import AuditEvent

    seq = db.session.scalar(select(AuditEvent.seq).where(
        AuditEvent.action == "consent.withdraw_all", AuditEvent.object_type == "withdrawal",
        AuditEvent.object_id == str(withdrawal.id)).limit(1))
    return {"by": withdrawal.actor_id, "at": withdrawal.requested_at.isoformat(), "event": seq}


def _end_acts(subject) -> None:
    """An act's basis is one of the scans destroyed; the audit trail keeps that the acts took place."""
    from cabinet.acting.models import ActingSession

    acts = select(ActingSession.id).where(ActingSession.subject_id == subject.id)
    db.session.execute(update(ProfileChange).where(ProfileChange.acting_id.in_(acts)).values(acting_id=None))
    db.session.execute(delete(ActingSession).where(ActingSession.subject_id == subject.id))


def destroy_due(today) -> int:
    """Carry out every scheduled destruction whose deadline has come; one commit each (run as a named job)."""
    due = db.session.scalars(select(Withdrawal).where(Withdrawal.status == "scheduled",
                                                      Withdrawal.due_on <= today).order_by(Withdrawal.id)).all()
    for withdrawal in due:
        destroy(withdrawal)
        db.session.commit()
    return len(due)


def refuse(withdrawal: Withdrawal, reason: str, *, actor) -> None:
    """Staff refuse a scheduled withdrawal with a reason the subject sees (law art. 8: a reasoned refusal)."""
    from cabinet.accounts.models import User

    duties.check("withdrawal", actor=actor, subject=withdrawal.user_id)
    if withdrawal.status != "scheduled":
        raise service.ConsentError(_l("Only a scheduled withdrawal can be refused."))
    withdrawal.status = "refused"
    withdrawal.reasons = [{"kind": "staff", "reference": reason}]
    subject = db.session.get(User, withdrawal.user_id)
    trail.record("consent.withdraw_all_refused", actor=actor, subject=subject, obj=withdrawal,
                 details={"reason": reason})
