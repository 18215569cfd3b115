"""Where a request's or a command's transaction ends: committed after success, rolled back on failure.

Operations write in the caller's transaction and never commit. A view (or CLI command) wrapped in `committed`
parses, calls one operation and answers; when it returns, everything it wrote commits together, and when it
raises, nothing of it stays. A decorator rather than an app-wide after_request hook, because (1) the commit runs
inside the view's call, before the response leaves: a commit that fails becomes an error page, never a success
page for a lost write; (2) it works the same for a CLI command, which has no request hooks; (3) a view that
writes nothing (most GETs) says so by not wearing it. A view that catches a refusal to
answer with it runs the operation inside `attempt`, so the refused step leaves nothing behind when the edge
commits whatever the view records afterwards (a refused decision's trail event).
"""

from contextlib import contextmanager
from functools import wraps

from cabinet.extensions import db


def committed(function):
    """Commit what the view or command wrote once it returned; roll everything back if it raised."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return wrapper


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
