"""The mail's background tasks: each committed mail's id is enqueued; a periodic sweep finds any task lost."""

import logging
from datetime import timedelta

from huey import crontab
from sqlalchemy import event, inspect

from cabinet.extensions import db
from cabinet.mail import delivery
from cabinet.queue import enqueue_safely, huey, in_app, once_per

log = logging.getLogger(__name__)

#: the sweep leaves a mail this long to the task enqueued (or scheduled) for it before enqueuing another
SWEEP_GRACE = timedelta(seconds=60)


@huey.task(name="mail.deliver")
@in_app
def deliver_mail(mail_id: int) -> None:
    """Send one mail (if it is still ours to send); after a failure, come back when its back-off ends."""
    state, wait = delivery.deliver_one(mail_id)
    if state == "queued" and wait is not None:
        try:
            deliver_mail.schedule(args=(mail_id,), delay=wait.total_seconds())
        except Exception:  # the sweep will find it when it is due
            log.exception("could not schedule the retry of mail %s", mail_id)


@huey.periodic_task(crontab(minute="*"), name="mail.sweep")
@in_app
@once_per(timedelta(seconds=45))
def sweep_mail() -> int:
    """Each minute: enqueue what is due and has no live task (lost with a store, or abandoned by a dead worker),
    and delete sent mail past its keeping time."""
    ids = delivery.due_ids(SWEEP_GRACE)
    for mail_id in ids:
        enqueue_safely(deliver_mail, mail_id)
    delivery.purge_sent()
    return len(ids)


def _committed(session) -> None:
    """Hand the mail now on record to the queue (a savepoint rolled back leaves no identity)."""
    queued = session.info.pop("mail_queued", [])
    for key in (inspect(mail).identity for mail in queued):
        if key:
            enqueue_safely(deliver_mail, key[0])


def _rolled_back(session) -> None:
    """Nothing of a rolled-back transaction is sent."""
    session.info.pop("mail_queued", None)


event.listen(db.session, "after_commit", _committed)
event.listen(db.session, "after_rollback", _rolled_back)
