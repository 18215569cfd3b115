"""Corrections of personal data; every change keeps the old value and is recorded with its actor."""

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from cabinet.accounts import tokens
from cabinet.accounts.models import User
from cabinet.accounts.service import find_by_email
from cabinet.acting import duties
from cabinet.acting.models import ActingSession
from cabinet.audit import labels, trail
from cabinet.database import utcnow
from cabinet.documents import storage
from cabinet.domain import DomainError
from cabinet.extensions import db
from cabinet.mail import external_url, send
from cabinet.messages import lazy_gettext as _l
from cabinet.paging import Page, page_of
from cabinet.profile import decisions
from cabinet.profile.models import FIELDS, CorrectionRequest, ProfileChange

labels.register_actions({
    "profile.surname_changed": _l("Surname changed"),
    "profile.given_name_changed": _l("Given name changed"),
    "profile.patronymic_changed": _l("Patronymic changed"),
    "profile.email_changed": _l("E-mail address changed"),
    "profile.phone_changed": _l("Phone number changed"),
    "profile.email_change_requested": _l("E-mail change requested"),
    "profile.correction_requested": _l("Name correction requested"),
    "profile.correction_approved": _l("Name correction approved"),
    "profile.correction_rejected": _l("Name correction rejected"),
    "profile.decision_downloaded": _l("Correction decision downloaded"),
})

NAME_FIELDS = ("surname", "given_name", "patronymic")


class ProfileError(DomainError):
    """A correction that cannot be made; the message is shown to the user."""


def _change(subject, field: str, new_value, *, actor, basis: str, correction=None, act=None) -> ProfileChange:
    """Set one field and append its history entry and audit event."""
    old_value = getattr(subject, field)
    setattr(subject, field, new_value)
    change = ProfileChange(user_id=subject.id, field=field, old_value=old_value, new_value=new_value,
                           actor_id=actor.id, basis=basis, correction_id=getattr(correction, "id", None),
                           acting_id=getattr(act, "id", None))
    db.session.add(change)
    trail.record(f"profile.{field}_changed", actor=actor, subject=subject, obj=subject,
                 details={"basis": basis})
    return change


def _own_or_acting(subject, actor, act):
    """A change in the cabinet is the subject's own, or made by staff in an open acting session for them.

    Returns the basis and the act to record; anybody else is refused, so "corrected by you" is never written
    for a change someone else made.
    """
    if actor.id == subject.id:
        return "self", None
    act = act if act is not None else getattr(actor, "act", None)
    if act is None or act.staff_id != actor.id or act.subject_id != subject.id or act.ended_at is not None:
        raise ProfileError("only the subject or staff acting for them")
    return "acting", act


def record_initial_values(subject) -> None:
    """The first entry of each field's history: the value given at registration."""
    for field in FIELDS:
        value = getattr(subject, field)
        if value:
            db.session.add(ProfileChange(user_id=subject.id, field=field, old_value=None,
                                         new_value=value, actor_id=subject.id, basis="registration"))


def change_phone(subject, phone: str, *, actor, act=None) -> bool:
    """Store a new (already normalised) phone number; False when it is the same.

    Staff acting for the subject change it in their acting session (`act`, by default the Actor's), and the
    history says so: made by them, on the subject's behalf, on the act's basis document.
    """
    if phone == subject.phone:
        return False
    basis, act = _own_or_acting(subject, actor, act)
    _change(subject, "phone", phone, actor=actor, basis=basis, act=act)
    return True


def request_email_change(subject, new_email: str, *, actor) -> None:
    """Ask the new address to confirm; tell the old one. The sign-in address changes only then."""
    if new_email == subject.email:
        return
    subject.pending_email = new_email
    trail.record("profile.email_change_requested", actor=actor, subject=subject, obj=subject)
    if find_by_email(new_email) is None:  # a taken address gets no link, and nothing else differs
        token = tokens.make("confirm", {"uid": subject.id, "email": new_email})
        send(new_email, "confirm_new_email", locale=subject.locale, user=subject,
             link=external_url("accounts.confirm", token=token))
    send(subject.email, "email_change_notice", locale=subject.locale, user=subject, new_email=new_email)


def apply_email_change(subject) -> None:
    """The new address proved itself: it becomes the sign-in address, the old one stays in history."""
    new_email = subject.pending_email
    subject.pending_email = None
    if find_by_email(new_email) is not None:
        raise ProfileError("address taken")
    _change(subject, "email", new_email, actor=subject, basis="email_confirmation")
    subject.email_confirmed_at = utcnow()


def request_name_correction(subject, changes: dict, reason: str, scans: list, *, actor, token: str,
                            due_on) -> tuple[CorrectionRequest, bool]:
    """File a name correction with its supporting scans; the same token twice files it once."""
    existing = correction_by_token(token)
    if existing is not None:
        if existing.user_id != subject.id:
            raise ProfileError("token reused")
        return existing, False
    changes = {k: v for k, v in changes.items() if k in NAME_FIELDS and (v or None) != getattr(subject, k)}
    if not changes:
        raise ProfileError("nothing to change")
    if pending_correction(subject) is not None:
        raise ProfileError("pending")
    request = CorrectionRequest(user_id=subject.id, requested_by_id=actor.id, changes=changes,
                                reason=reason, due_on=due_on, submission_token=token)
    db.session.add(request)
    db.session.flush()
    for scan in scans:
        storage.store(scan, actor=actor, subject=subject, kind="correction", attached_id=request.id)
    trail.record("profile.correction_requested", actor=actor, subject=subject, obj=request,
                 details={"fields": sorted(changes), "reason": reason})
    return request, True


def correction_by_token(token: str) -> CorrectionRequest | None:
    """The request a form submission created, so that sending it again creates nothing new."""
    return db.session.scalar(select(CorrectionRequest).where(CorrectionRequest.submission_token == token))


#: asked on the overview, a page every subject opens: built once, like the sign-in's user query
PENDING_CORRECTION = select(CorrectionRequest).where(CorrectionRequest.user_id == bindparam("user_id"),
                                                     CorrectionRequest.status == "pending")


def pending_correction(subject) -> CorrectionRequest | None:
    return db.session.scalar(PENDING_CORRECTION, {"user_id": subject.id})


def owed_corrections(subject) -> list[tuple[str, object]]:
    """Name corrections still to decide (number, due date): they block withdrawing all consent."""
    return [(str(i), due_on) for i, due_on in db.session.execute(select(CorrectionRequest.id, CorrectionRequest.due_on)
            .where(CorrectionRequest.user_id == subject.id, CorrectionRequest.status == "pending"))]


def _changes(subject):
    """The subject's changes with who made each (their roles are not needed, so not loaded)."""
    return (select(ProfileChange).where(ProfileChange.user_id == subject.id)
            .options(joinedload(ProfileChange.actor).lazyload(User.roles),
                     selectinload(ProfileChange.acting).options(
                         lazyload(ActingSession.staff), lazyload(ActingSession.subject),
                         selectinload(ActingSession.basis_document))))


def history(subject) -> list[ProfileChange]:
    """Every change, newest first (the export)."""
    return list(db.session.scalars(_changes(subject).order_by(ProfileChange.changed_at.desc(),
                                                              ProfileChange.id.desc())))


def history_page(subject, *, number: int = 1, after: str | None = None, before: str | None = None) -> Page:
    """One page of the changes, newest first: a long history costs a page what a short one does."""
    counted = select(func.count()).select_from(ProfileChange).where(ProfileChange.user_id == subject.id)
    return page_of(_changes(subject), counted, number, after=after, before=before, keys=(ProfileChange.id,),
                   descending=True, scalars=True)


def corrections(subject) -> list[CorrectionRequest]:
    return list(db.session.scalars(select(CorrectionRequest).where(CorrectionRequest.user_id == subject.id)
                                   .order_by(CorrectionRequest.id.desc())))


def corrections_page(subject, *, number: int = 1, after: str | None = None, before: str | None = None) -> Page:
    """One page of the name corrections, newest first."""
    mine = CorrectionRequest.user_id == subject.id
    return page_of(select(CorrectionRequest).where(mine),
                   select(func.count()).select_from(CorrectionRequest).where(mine), number, after=after,
                   before=before, keys=(CorrectionRequest.id,), descending=True, scalars=True)


def decide_correction(request: CorrectionRequest, decision: str, reason: str, *, actor) -> None:
    """Staff review: approving applies the new name (the history keeps the old one); rejecting says why."""
    duties.check("correction", actor=actor, subject=request.user_id)
    if request.status != "pending":
        raise ProfileError("already decided")
    if decision not in ("approve", "reject"):
        raise ProfileError("unknown decision")
    subject = db.session.get(User, request.user_id)
    before = decisions.names_of(subject)
    request.status = "approved" if decision == "approve" else "rejected"
    request.decided_at, request.decided_by_id, request.decision_reason = utcnow(), actor.id, reason or None
    if decision == "approve":
        for field, value in request.changes.items():
            _change(subject, field, value, actor=actor, basis="correction", correction=request)
    trail.record(f"profile.correction_{request.status}", actor=actor, subject=subject, obj=request,
                 details={"reason": reason})
    decisions.freeze(request, subject, before, actor=actor)
    send(subject.email, "correction_decided", locale=subject.locale, user=subject, request=request,
         regarding=f"correction:{request.id}")
