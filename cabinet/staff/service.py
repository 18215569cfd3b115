"""Staff operations on a subject: looking (with a reason), acting (with a basis), stopping."""

import re

import phonenumbers
from sqlalchemy import and_, exists, or_, select

from cabinet.accounts.models import User, UserRole
from cabinet.acting import expiry_from
from cabinet.acting.models import ActingSession
from cabinet.audit import labels, trail
from cabinet.audit.who import staff_role
from cabinet.database import utcnow
from cabinet.documents import storage
from cabinet.extensions import db
from cabinet.mail import send
from cabinet.messages import lazy_gettext as _l

labels.register_actions({
    "staff.subject_viewed": _l("Staff opened your record"),
    "staff.acting_started": _l("Staff started acting on your behalf"),
    "staff.acting_stopped": _l("Staff stopped acting on your behalf"),
})

PAGE_SIZE = 25


def search(q: str, page: int = 1) -> tuple[list[User], bool]:
    """Subjects matching a name prefix, an e-mail prefix, a phone number or an id; one page and whether more exist."""
    q = q.strip()[:100]
    query = select(User).where(exists().where(UserRole.user_id == User.id, UserRole.role == "subject"))
    if q:
        query = query.where(_matches(q))
    rows = db.session.scalars(query.order_by(User.surname, User.id)
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def _matches(q: str):
    """Index-friendly conditions: exact phone, e-mail prefix, surname, given-name or e-mail prefix, account number."""
    if q.isdigit() and len(q) < 9:
        return User.id == int(q)
    if "@" in q:
        return _starts_with(User.email, q.lower())
    if re.fullmatch(r"[+\d\s()\-]{7,}", q):
        try:
            number = phonenumbers.parse(q, "KZ")
            return User.phone == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            return User.phone == q
    # names are stored as written (capitalised); SQLite cannot lower-case Cyrillic, so match both forms
    variants = {q, q[:1].upper() + q[1:].lower()}
    names = [_starts_with(column, v) for v in variants for column in (User.surname, User.given_name)]
    # the beginning of an address is typed without its "@" as often as with it
    return or_(*names, _starts_with(User.email, q.lower()))


#: above every character: a prefix followed by it is past every text that begins with the prefix
LAST_CHARACTER = "\U0010ffff"


def _starts_with(column, prefix: str):
    """A prefix as a range, which a plain index answers under the database's C.UTF-8 (code point) order; LIKE
    'x%' cannot use it there, nor on SQLite, whose LIKE ignores ASCII case. No wildcard needs escaping."""
    return and_(column >= prefix, column < prefix + LAST_CHARACTER)


def record_view(subject: User, *, actor, reason: str) -> None:
    """A staff look at a subject's record is itself an event the subject sees."""
    trail.record("staff.subject_viewed", actor=actor, subject=subject, obj=subject, details={"reason": reason})


def start_acting(subject: User, *, actor, reason: str, basis) -> ActingSession:
    """Open an acting session on a stored basis document; the subject is told by mail."""
    document = storage.store(basis, actor=actor, subject=subject, kind="basis")
    now = utcnow()
    act = ActingSession(staff_id=actor.id, subject_id=subject.id, reason=reason, basis_document_id=document.id,
                        staff_role=staff_role(actor), started_at=now, expires_at=expiry_from(now))
    db.session.add(act)
    db.session.flush()
    trail.record("staff.acting_started", actor=actor, subject=subject, obj=act,
                 details={"reason": reason, "basis_document": document.id, "expires_at": act.expires_at.isoformat()})
    send(subject.email, "acting_started", locale=subject.locale, user=subject, staff=actor, act=act,
         regarding=f"acting:{act.id}")
    return act


def stop_acting(act: ActingSession, *, actor) -> None:
    if act.ended_at is None:
        act.ended_at, act.end_reason = utcnow(), "stopped"
        trail.record("staff.acting_stopped", actor=actor, subject=act.subject, obj=act)


def acts_for(subject: User, limit: int = 20) -> list[ActingSession]:
    return list(db.session.scalars(select(ActingSession).where(ActingSession.subject_id == subject.id)
                                   .order_by(ActingSession.id.desc()).limit(limit)))
