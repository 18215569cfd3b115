"""Staff operations on a subject: looking (with a reason), acting (with a basis), stopping."""

import re
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import ColumnElement, and_, exists, not_, select

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
from cabinet.paging import continued, decode, encode

labels.register_actions({
    "staff.subject_viewed": _l("Staff opened your record"),
    "staff.acting_started": _l("Staff started acting on your behalf"),
    "staff.acting_stopped": _l("Staff stopped acting on your behalf"),
})

PAGE_SIZE = 25


@dataclass(frozen=True)
class Kind:
    """One kind of match: the rows it takes, in the order of the index that answers it."""
    condition: ColumnElement
    order: tuple


def search(q: str, page: int = 1, after: str | None = None) -> tuple[list[User], str | None]:
    """Subjects matching a name prefix, an e-mail prefix, a phone number or an id: one page, and the cursor of the
    next (None on the last). Surname matches come first, then given-name and e-mail matches, each kind in the order
    of its own index and without the people an earlier kind showed, so a page reads a stretch of an index per kind
    however many people share a name; from a cursor it starts where the page before ended, however deep (an OR of
    the kinds sorted by surname made the database read every match, or scan every account)."""
    kinds = _kinds(q.strip()[:100])
    begin, position = _start(kinds, after)
    skip = 0 if position else (max(page, 1) - 1) * PAGE_SIZE  # without a cursor, page N by its number
    wanted = skip + PAGE_SIZE + 1  # one more than shown tells whether more exist
    is_subject = exists().where(UserRole.user_id == User.id, UserRole.role == "subject")
    found: list[tuple[int, int, tuple]] = []  # (kind, account id, its sort key) in the order shown
    for k in range(begin, len(kinds)):
        kind, earlier = kinds[k], [other.condition for other in kinds[:k]]
        query = select(User.id, *kind.order).where(kind.condition, is_subject, *(not_(c) for c in earlier))
        query = continued(query, kind.order, position) if k == begin and position else query.order_by(*kind.order)
        rows = db.session.execute(query.limit(wanted - len(found)))
        found += [(k, account, tuple(key)) for account, *key in rows]
        if len(found) >= wanted:
            break
    shown = found[skip:skip + PAGE_SIZE]
    ids = [account for _kind, account, _key in shown]
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
    following = encode([shown[-1][0], *shown[-1][2]]) if len(found) > skip + PAGE_SIZE else None
    return [users[i] for i in ids], following


def _start(kinds: list[Kind], after: str | None) -> tuple[int, tuple | None]:
    """The kind and the sort key a cursor continues after; the first kind and none for anything else."""
    for k, kind in enumerate(kinds):
        decoded = decode(after, (int, *(column.type.python_type for column in kind.order)))
        if decoded and decoded[0] == k:
            return k, decoded[1:]
    return 0, None


def _kinds(q: str) -> list[Kind]:
    """The kinds of match a text can be, in the order they are shown: an account number; an exact phone; an e-mail
    prefix; or surname, given-name and e-mail prefixes."""
    if q.isdigit() and len(q) < 9:
        return [Kind(User.id == int(q), (User.id,))]
    if "@" in q:
        return [_prefixed(User.email, q.lower())]
    if re.fullmatch(r"[+\d\s()\-]{7,}", q):
        try:
            number = phonenumbers.parse(q, "KZ")
            phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            phone = q
        return [Kind(User.phone == phone, (User.id,))]
    # names are stored as written (capitalised); SQLite cannot lower-case Cyrillic, so match both forms; two prefixes
    # that differ in their first letter are two stretches of the index, read in its order
    variants = sorted({q, q[:1].upper() + q[1:].lower()}) if q else []
    names = [_prefixed(column, v) for column in (User.surname, User.given_name) for v in variants]
    # the beginning of an address is typed without its "@" as often as with it
    return [*names, _prefixed(User.email, q.lower())] if q else []


def _prefixed(column, prefix: str) -> Kind:
    """Accounts whose column begins with the prefix, in the order of the column's index (the column, then the id;
    an e-mail address is unique on its own)."""
    return Kind(_starts_with(column, prefix), (column,) if column is User.email else (column, User.id))


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
