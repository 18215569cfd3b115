"""Staff operations on a subject: looking (with a reason), acting (with a basis), stopping."""

import re

import phonenumbers
from sqlalchemy import and_, exists, select

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
    """Subjects matching a name prefix, an e-mail prefix, a phone number or an id; one page and whether more exist.
    Surname matches come first, then given-name and e-mail matches, each kind in the order of its own index, so a
    page reads a stretch of an index per kind however many people share a name (an OR of the kinds sorted by surname
    made the database read every match, or scan every account)."""
    q = q.strip()[:100]
    wanted = max(page, 1) * PAGE_SIZE + 1  # the pages before, this one, and one more to know whether more exist
    is_subject = exists().where(UserRole.user_id == User.id, UserRole.role == "subject")
    ids: dict[int, None] = {}  # in the order found, each once
    for query in _queries(q):
        ids.update(dict.fromkeys(db.session.scalars(query.where(is_subject).limit(wanted))))
        if len(ids) >= wanted:
            break
    shown = list(ids)[(max(page, 1) - 1) * PAGE_SIZE:]
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(shown[:PAGE_SIZE])))}
    return [users[i] for i in shown[:PAGE_SIZE]], len(shown) > PAGE_SIZE


def _queries(q: str):
    """The kinds of match a text can be, in the order they are shown, each ordered by its index: an account number;
    an exact phone; an e-mail prefix; or surname, given-name and e-mail prefixes."""
    if q.isdigit() and len(q) < 9:
        return [select(User.id).where(User.id == int(q))]
    if "@" in q:
        return [_prefixed(User.email, q.lower())]
    if re.fullmatch(r"[+\d\s()\-]{7,}", q):
        try:
            number = phonenumbers.parse(q, "KZ")
            phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            phone = q
        return [select(User.id).where(User.phone == phone).order_by(User.id)]
    # names are stored as written (capitalised); SQLite cannot lower-case Cyrillic, so match both forms; two prefixes
    # that differ in their first letter are two stretches of the index, read in its order
    variants = sorted({q, q[:1].upper() + q[1:].lower()})
    names = [_prefixed(column, v) for column in (User.surname, User.given_name) for v in variants]
    # the beginning of an address is typed without its "@" as often as with it
    return [*names, _prefixed(User.email, q.lower())]


def _prefixed(column, prefix: str):
    """Accounts whose column begins with the prefix, in the order of the column's index (the column, then the id;
    an e-mail address is unique on its own)."""
    order = (column,) if column is User.email else (column, User.id)
    return select(User.id).where(_starts_with(column, prefix)).order_by(*order)


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
