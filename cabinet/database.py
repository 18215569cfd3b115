"""Database mechanics shared by every area: UTC timestamps and SQLite connection settings."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

from cabinet.extensions import db


def utcnow() -> datetime:
    """The current moment, aware, in UTC: the only clock the models use."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC and returns aware UTC, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection, _record):
    """WAL and a busy timeout, so concurrent requests wait for the write lock instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: the largest id a database integer column holds (PostgreSQL's integer)
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: an id too large for the database is simply not found (404), never a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app):
    """Bounded ids in URLs, and the SQLite settings on every new connection of this app's engine."""
    app.url_map.converters["int"] = IdConverter
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
