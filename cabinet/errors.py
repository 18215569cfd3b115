"""Error pages in the visitor's language, never a traceback."""

from flask import current_app, g, render_template
from flask_babel import get_locale
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l

MESSAGES = {
    400: (_l("The request could not be understood"), _l("Please go back, reload the page and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page does not exist or is not yours to see.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("The upload is too large"),
          _l("Each file may be at most %(size)s MB, all together %(total)s MB. Please attach smaller scans.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes before trying again.")),
    500: (_l("Something went wrong on our side"), _l("The error has been recorded. Please try again later.")),
    503: (_l("The service is briefly unavailable"),
          _l("Your data is safe. Please try again in a minute; if you were sending a form, send it again.")),
}
#: by status, what fills in the figures of its words (413: the upload limits, registered by cabinet.documents)
FIGURES = {}


def register_figures(code: int, figures) -> None:
    """The module that knows a status's limits tells the error page its figures, at import."""
    FIGURES[code] = figures


#: seconds a client is told to wait when the database cannot be reached
RETRY_AFTER = 30


def render_error(code: int, title=None, text=None):
    """Our page for any error status; a code without its own words gets the general 4xx or 5xx ones."""
    default_title, default_text = MESSAGES.get(code) or MESSAGES[400 if code < 500 else 500]
    if code in FIGURES:
        default_text = default_text % FIGURES[code]()  # the limits as configured
    return render_template(
        "errors/error.html", code=code, title=title or default_title, text=text or default_text
    ), code


def _http_error(error: HTTPException):
    """Keep the real status and the headers that go with it (Allow, Retry-After); only the body is ours."""
    body, code = render_error(error.code)
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return body, code, headers


def _csrf_error(_error: CSRFError):
    return render_error(
        400, text=_l("The form expired or was sent from elsewhere. Please reload the page and send it again.")
    )


def _unexpected(error: Exception):
    if getattr(error, "connection_invalidated", False):
        return _database_unavailable(error)
    db.session.rollback()
    current_app.logger.exception("unhandled error: %s", error)
    return render_error(500)


def _database_unavailable(error: Exception):
    """The database is restarting or out of reach (or SQLite stayed locked): 503, try again, no traceback.

    The page must not touch the database: the language is settled first while the user is still
    in memory, then the page is drawn as for a visitor who is not signed in.
    """
    try:
        get_locale()
    except SQLAlchemyError:
        pass  # the user could not even be loaded: the language comes from the cookie or the browser
    g._login_user, g.acting = AnonymousUserMixin(), None
    db.session.rollback()
    current_app.logger.warning("database unavailable: %s", error)
    body, code = render_error(503)
    return body, code, {"Retry-After": str(RETRY_AFTER)}


def init_app(app):
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
