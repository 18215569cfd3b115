"""Granting and withdrawing consent, each change one event with its audit record."""

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defaultload

from cabinet.accounts.models import User
from cabinet.audit import labels, trail
from cabinet.consents import receipts
from cabinet.consents.models import ConsentEvent, Withdrawal
from cabinet.consents.purposes import BY_CODE, PURPOSES
from cabinet.domain import DomainError
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.messages import lazy_gettext as _l
from cabinet.paging import Page, page_of

labels.register_actions({
    "consent.grant": _l("Consent granted"),
    "consent.decline": _l("Consent not given"),
    "consent.withdraw": _l("Consent withdrawn"),
    "consent.receipt_downloaded": _l("Consent receipt downloaded"),
})


class ConsentError(DomainError):
    """A consent change that cannot be made; the message is shown to the user."""


#: asked on the overview and before every consent change: built once
LATEST_WITHDRAWAL = (select(Withdrawal).where(Withdrawal.user_id == bindparam("user_id"))
                     .order_by(Withdrawal.id.desc()).limit(1))


def current_withdrawal(subject) -> Withdrawal | None:
    """The latest withdrawal-of-all-consent request of the subject, if any."""
    return db.session.scalar(LATEST_WITHDRAWAL, {"user_id": subject.id})


def processing_stopped(subject) -> bool:
    latest = current_withdrawal(subject)
    return latest is not None and latest.status in ("scheduled", "done")


def history(subject) -> list[ConsentEvent]:
    return list(db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.user_id == subject.id).order_by(ConsentEvent.id)
    ))


#: who made each decision is shown by name; their roles are not needed (loaded only if asked)
WITHOUT_ACTOR_ROLES = defaultload(ConsentEvent.actor).lazyload(User.roles)


_MINE = ConsentEvent.user_id == bindparam("user_id")
#: the history page's statements, built once (building one costs more than running it); the subject as a parameter
HISTORY, HISTORY_COUNTED = (select(ConsentEvent).where(_MINE).options(WITHOUT_ACTOR_ROLES),
                            select(func.count()).select_from(ConsentEvent).where(_MINE))


def history_page(subject, *, number: int = 1, after: str | None = None, before: str | None = None) -> Page:
    """One page of the history, newest first: a long history costs a page what a short one does."""
    return page_of(HISTORY, HISTORY_COUNTED, number, after=after, before=before, keys=(ConsentEvent.id,),
                   descending=True, scalars=True, params={"user_id": subject.id})


#: the id of each purpose's latest event for one subject: what "the current state" means, in one place
LATEST_IDS = select(func.max(ConsentEvent.id)).where(_MINE).group_by(ConsentEvent.purpose)
#: the latest events whole (pages, withdrawal) and only their actions (read before every change): built once
LATEST_EVENTS = select(ConsentEvent).where(ConsentEvent.id.in_(LATEST_IDS)).options(WITHOUT_ACTOR_ROLES)
LATEST_ACTIONS = select(ConsentEvent.purpose, ConsentEvent.action).where(ConsentEvent.id.in_(LATEST_IDS))


def current_states(subject) -> dict[str, ConsentEvent | None]:
    """The latest event per purpose (None where nothing was ever recorded), read without the rest of the history."""
    states: dict[str, ConsentEvent | None] = {p.code: None for p in PURPOSES}
    for event in db.session.scalars(LATEST_EVENTS, {"user_id": subject.id}):
        states[event.purpose] = event
    return states


def latest_actions(subject) -> dict[str, str]:
    """Purpose → the action of its latest decision; a purpose never decided is absent."""
    return dict(db.session.execute(LATEST_ACTIONS, {"user_id": subject.id}).all())


def change(subject, purpose: str, action: str, *, actor, channel: str, policy_version=None,
           withdrawing_all: bool = False) -> ConsentEvent:
    """Record one decision about one purpose, refusing what makes no sense."""
    if purpose not in BY_CODE or action not in ("grant", "withdraw", "decline"):
        raise ConsentError(_("Unknown purpose or action."))
    if action == "withdraw" and not BY_CODE[purpose].optional and not withdrawing_all:
        raise ConsentError(_("This purpose is needed to provide the service; use “withdraw all consent” instead."))
    if action == "grant" and not withdrawing_all:
        if processing_stopped(subject):
            raise ConsentError(_("You have withdrawn all consent; processing of your data has stopped."))
    latest = latest_actions(subject)
    if purpose in latest and (latest[purpose] == "grant") == (action == "grant"):
        raise ConsentError(_("Nothing to change: the consent is already in that state."))
    event = ConsentEvent(user_id=subject.id, purpose=purpose, action=action, actor_id=actor.id,
                         channel=channel, policy_version_id=getattr(policy_version, "id", None))
    db.session.add(event)
    db.session.flush()
    latest[purpose] = action
    _recorded(event, subject, actor=actor, third_party=latest.get("third_party") == "grant")
    return event


def first_decisions(subject, optional: set[str], *, actor, channel: str, policy_version) -> list[ConsentEvent]:
    """A subject just created decides on every purpose (registration): each needed one granted, each optional one
    granted if chosen and declined if not. With no earlier decision there is nothing to refuse: the events are
    written in one statement, then each gets its trail record and receipt, as `change` gives them."""
    events = [ConsentEvent(user_id=subject.id, purpose=purpose.code, actor_id=actor.id, channel=channel,
                           action="grant" if not purpose.optional or purpose.code in optional else "decline",
                           policy_version_id=getattr(policy_version, "id", None)) for purpose in PURPOSES]
    db.session.add_all(events)
    db.session.flush()
    third_party = False  # each receipt tells whether transfer was allowed when its decision was taken
    for event in events:
        third_party = event.granted if event.purpose == "third_party" else third_party
        _recorded(event, subject, actor=actor, third_party=third_party)
    return events


def _recorded(event: ConsentEvent, subject, *, actor, third_party: bool) -> None:
    """A decision's audit event and its frozen receipt, in the decision's transaction."""
    trail.record(f"consent.{event.action}", actor=actor, subject=subject, obj=event,
                 details={"purpose": event.purpose, "channel": event.channel})
    receipts.freeze(event, subject, actor=actor, third_party=third_party)
