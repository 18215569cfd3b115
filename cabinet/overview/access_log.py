"""The subject's access log: a view of the audit trail."""

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased

from cabinet.accounts.models import User
from cabinet.audit.models import AuditEvent
from cabinet.extensions import db

#: what the subject sees even when done by themselves
OWN_ACTIONS = ("account.signed_in", "account.sign_in_failed", "account.password_reset", "account.password_changed",
               "account.signed_out", "account.reset_requested")

PAGE_SIZE = 50
#: the largest position a 32-bit integer column holds; PostgreSQL refuses to compare with a larger literal
MAX_SEQ = 2**31 - 1


#: what a row shows of its event: plain rows, not ORM objects (a page of 50 events took ~450 more calls as objects)
SHOWN = (AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.details, AuditEvent.ip,
         AuditEvent.actor_id)


def _entries(*, before: bool):
    """Sign-ins and everything done to the subject's data by someone else, newest first, with actor names."""
    actor = aliased(User)
    query = (
        select(*SHOWN, actor.surname, actor.given_name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(AuditEvent.subject_id == bindparam("subject_id"))
        .where(or_(AuditEvent.action.in_(OWN_ACTIONS), AuditEvent.actor_id.is_(None),
                   AuditEvent.actor_id != bindparam("subject_id")))
        .order_by(AuditEvent.seq.desc())
        .limit(bindparam("limit"))
    )
    return query.where(AuditEvent.seq < bindparam("before")) if before else query


#: the first page's statement and an older page's, built once (building one costs more than running it)
FIRST, OLDER = _entries(before=False), _entries(before=True)


def entries(subject, *, before: int | None = None, limit: int = PAGE_SIZE):
    """Sign-ins and everything done to the subject's data by someone else, newest first: (the event's row, the
    actor's surname, given name), the row's attributes named as the event's."""
    if before:
        rows = db.session.execute(OLDER, {"subject_id": subject.id, "limit": limit, "before": before})
    else:
        rows = db.session.execute(FIRST, {"subject_id": subject.id, "limit": limit})
    return [(row, row.surname, row.given_name) for row in rows]


def page(subject, *, before: int | None = None):
    """One page of entries and the position the next (older) page starts before; None on the last page."""
    before = before if before is not None and 0 < before <= MAX_SEQ else None  # a hand-edited URL: the first page
    rows = entries(subject, before=before, limit=PAGE_SIZE + 1)
    older = rows[PAGE_SIZE - 1][0].seq if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], older
