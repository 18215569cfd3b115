"""Who may receive marketing mail: only subjects whose latest marketing decision is a grant."""

from sqlalchemy import func, select

from cabinet.accounts.models import User
from cabinet.consents.models import ConsentEvent
from cabinet.extensions import db


def latest_grants(purpose: str):
    """A query of user ids whose most recent event for the purpose grants it."""
    latest = (select(func.max(ConsentEvent.id).label("id"))
              .where(ConsentEvent.purpose == purpose).group_by(ConsentEvent.user_id).subquery())
    return select(ConsentEvent.user_id).join(latest, latest.c.id == ConsentEvent.id).where(
        ConsentEvent.action == "grant")


def consenting_subjects(purpose: str, *, after_id: int = 0, limit: int = 500) -> list[User]:
    """One batch of the subjects who consent to the purpose now, in id order."""
    return list(db.session.scalars(select(User).where(User.id.in_(latest_grants(purpose)), User.id > after_id)
                                   .order_by(User.id).limit(limit)))
