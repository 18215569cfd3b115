"""Deadline work the worker does on its own (no cron): withdrawals whose day has come, stale uploads.

Each runs as the same named job as its command (`consents destroy-due`, `documents sweep`), so the trail
reads alike whoever started it, and under a lock: two workers never run the same job at once.
"""

import logging
from datetime import timedelta

from huey import crontab

from cabinet import i18n
from cabinet.audit import who
from cabinet.consents.withdrawal import destroy_due
from cabinet.documents.storage import sweep
from cabinet.extensions import db
from cabinet.queue import huey, in_app

log = logging.getLogger(__name__)

#: upload files younger than this may belong to an upload still in progress
UPLOAD_MIN_AGE = timedelta(minutes=60)


@huey.periodic_task(crontab(minute="*/15"), name="consents.destroy_due")
@huey.lock_task("consents.destroy_due")
@in_app
def withdrawals_due() -> int:
    """Every quarter of an hour: carry out the withdrawals whose 15 working days have come."""
    with who.job("consents destroy-due"):
        done = destroy_due(i18n.local_today())
    if done:
        log.info("%s withdrawals carried out", done)
    return done


@huey.periodic_task(crontab(minute="37", hour="*/6"), name="documents.sweep")
@huey.lock_task("documents.sweep")
@in_app
def sweep_uploads() -> int:
    """Every six hours: delete upload files no document names (left by a process killed mid-upload)."""
    with who.job("documents sweep"):
        removed = sweep(UPLOAD_MIN_AGE)
        db.session.commit()  # the sweep's trail event
    if removed:
        log.info("%s orphaned upload files removed", len(removed))
    return len(removed)
