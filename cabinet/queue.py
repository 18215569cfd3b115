"""The background queue (Huey): tasks carry only ids, the database rows are the truth; a worker runs them.

One Huey for the process, its storage chosen by CABINET_QUEUE_URL: a SQLite file in the instance folder by
default (one machine, nothing to install), Redis (redis://…) when web and workers run on several machines,
"immediate:" to run each task at once in the process that enqueues it (the tests' default).
"""

import functools
import logging
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

#: results are never read: a task's effect is in the database
huey = Huey("cabinet", results=False, utc=True, immediate_use_memory=False, storage_class=MemoryStorage)
_configured = {"app": None}

#: the consumer polls an empty SQLite queue at least this often, so a mail leaves within a second of its commit
POLL_MAX_SECONDS = 1.0


def storage_for(url: str):
    """The Huey storage a CABINET_QUEUE_URL names."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss", "unix"):
        return RedisStorage("cabinet", url=url)
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
        logging.getLogger(__name__).exception("could not enqueue %s%r; the sweep will pick it up", task.name, args)
        return False
    return True


def consumer(workers: int = 2):
    """The worker: delivery tasks in threads, and the scheduler for periodic work (locks of a killed run cleared)."""
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=True, initial_delay=0.05,
                                backoff=1.15, max_delay=POLL_MAX_SECONDS, flush_locks=True)
