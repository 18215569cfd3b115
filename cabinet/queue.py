"""The background queue (Huey): tasks carry only ids, the database rows are the truth; a worker runs them.

One Huey for the process, its storage chosen by CABINET_QUEUE_URL: a SQLite file in the instance folder by
default (one machine, nothing to install), Redis (redis://…) when web and workers run on several machines,
"immediate:" to run each task at once in the process that enqueues it (the tests' default).
"""

import functools
import logging
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import String, event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db
from cabinet.transaction import apart

log = logging.getLogger(__name__)

#: results are never read: a task's effect is in the database
huey = Huey("cabinet", results=False, utc=True, immediate_use_memory=False, storage_class=MemoryStorage)
_configured = {"app": None}

#: the consumer polls an empty SQLite queue at least this often, so a mail leaves within a second of its commit
POLL_MAX_SECONDS = 1.0


def storage_for(url: str):
    """The Huey storage a CABINET_QUEUE_URL names; a fragment names the queue in a Redis several cabinets share
    (redis://host:6379/1#staging), "cabinet" by default."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss", "unix"):
        return RedisStorage(parts.fragment or "cabinet", url=parts._replace(fragment="").geturl())
    if parts.scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage("cabinet", filename=str(path), timeout=30)
    if parts.scheme in ("immediate", "memory"):
        return MemoryStorage("cabinet")
    raise RuntimeError(f"CABINET_QUEUE_URL: {url!r} is neither sqlite:///path, redis://host:port/db nor immediate:")


def init_app(app) -> None:
    """Point the process's queue at the app's storage; tasks run in this app's context."""
    url = app.config["QUEUE_URL"]
    huey.immediate = urlsplit(url).scheme == "immediate"
    huey.storage = storage_for(url)
    _configured["app"] = app


def in_app(work):
    """Run a task inside an application context: the enqueuing one when run at once, else the worker's app."""

    @functools.wraps(work)
    def run(*args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else _configured["app"]
        with app.app_context():
            return work(*args, **kwargs)

    return run


def enqueue_safely(task, *args) -> bool:
    """Enqueue, but never fail the caller: the rows are on record already and the sweep finds what was missed."""
    try:
        task(*args)
    except Exception:  # the queue's store is down (Redis restarting): the periodic sweep makes up for it
        log.exception("could not enqueue %s%r; the sweep will pick it up", task.name, args)
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """Enqueue once the caller's transaction commits, and not at all if it rolls back: the task reads what it
    wrote."""
    db.session.info.setdefault("enqueue_on_commit", []).append((task, args))


def _committed(session) -> None:
    for task, args in session.info.pop("enqueue_on_commit", []):
        enqueue_safely(task, *args)


def _rolled_back(session) -> None:
    session.info.pop("enqueue_on_commit", None)


event.listen(db.session, "after_commit", _committed)
event.listen(db.session, "after_rollback", _rolled_back)


def consumer(workers: int = 2):
    """The worker: delivery tasks in threads, and the scheduler that enqueues the periodic work."""
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=True, initial_delay=0.05,
                                backoff=1.15, max_delay=POLL_MAX_SECONDS)


class JobLease(db.Model):
    """A periodic job's current period: the worker that took it runs the job; the others skip until it ends."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


def claim_period(name: str, period: timedelta) -> bool:
    """Take the job's next period: one UPDATE (or the first INSERT) that only one worker wins."""
    now = utcnow()
    try:
        with apart() as session:
            won = session.execute(update(JobLease).where(JobLease.name == name, JobLease.until <= now)
                                  .values(until=now + period).execution_options(synchronize_session=False)).rowcount
            if not won and session.get(JobLease, name) is None:
                session.add(JobLease(name=name, until=now + period))
                won = 1
    except IntegrityError:  # another worker's first run got in first
        return False
    return bool(won)


def once_per(period: timedelta):
    """Run the job at most once per period across all workers (each worker's scheduler enqueues it); a run
    killed midway leaves nothing locked: the next period is free again."""

    def decorator(work):
        @functools.wraps(work)
        def run(*args, **kwargs):
            if not claim_period(work.__name__, period):
                log.debug("%s: another worker has this period", work.__name__)
                return None
            return work(*args, **kwargs)

        return run

    return decorator
