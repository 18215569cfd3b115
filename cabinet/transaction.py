"""Where a request's or a command's transaction ends: committed after success, rolled back on failure.

Operations write in the caller's transaction and never commit. A view (or CLI command) wrapped in `committed`
parses, calls one operation and answers; when it returns, everything it wrote commits together, and when it
raises, nothing of it stays. A decorator rather than an app-wide after_request hook, because (1) the commit runs
inside the view's call, before the response leaves: a commit that fails becomes an error page, never a success
page for a lost write; (2) it works the same for a CLI command, which has no request hooks; (3) a view that
writes nothing (most GETs) says so by not wearing it. A view that catches a refusal to
answer with it runs the operation inside `attempt`, so the refused step leaves nothing behind when the edge
commits whatever the view records afterwards (a refused decision's trail event).

Work that is its own edge without being a view or a command (each batch of a mailing, each withdrawal a job carries
out, a queued task, the work done after a response) runs in `committing`; the mail queue's claims and a periodic
job's lease, which must stand whatever the caller's transaction does, run `apart` in a session of their own. No
other module commits or rolls back.
"""

from contextlib import contextmanager
from functools import wraps

from sqlalchemy.orm import Session

from cabinet.extensions import db


@contextmanager
def committing():
    """One unit of work at an edge: committed when the block ends; rolled back, and the error raised, if the block
    or its commit failed."""
    try:
        yield
        if db.session().in_transaction():  # a block that touched no table (a kept page) has nothing to end
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def committed(function):
    """Commit what the view or command wrote once it returned; roll everything back if it raised."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with committing():
            return function(*args, **kwargs)

    return wrapper


@contextmanager
def apart():
    """A short transaction in a session of its own, beside the request's or the job's: committed when the block
    ends, rolled back if it raised."""
    with Session(db.engine) as session, session.begin():
        yield session


@contextmanager
def attempt():
    """One operation the view may see refused: its writes are flushed so a constraint refuses it here; if it
    raises, all the request wrote is undone, then the error goes on to the view."""
    try:
        yield
        db.session.flush()
    except BaseException:
        db.session.rollback()
        raise
