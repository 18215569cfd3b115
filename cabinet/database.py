"""Database mechanics shared by every area: UTC timestamps and SQLite connections and transactions."""

from datetime import UTC, datetime
from functools import lru_cache

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter, UnicodeConverter

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


@lru_cache(maxsize=64)
def model_for(table: str):
    """The mapped class of a table, so a mechanism can read rows an area owns ("users") without importing it; kept,
    as the models are mapped once at import (walking every mapper was 70 calls a look-up)."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == table:
            return mapper.class_
    raise LookupError(table)


def _sqlite_connect(dbapi_connection, _record):
    """WAL, a busy timeout, and transactions begun by us (below) rather than by pysqlite."""
    dbapi_connection.isolation_level = None  # SQLAlchemy's pysqlite recipe: the "begin" event emits BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: methods that only read: their transactions start deferred, so pages never queue behind writers
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: statements that write (a savepoint is only taken to write inside it)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


def reads_first(view):
    """A form whose slow work (checking a password's hash) comes after its reads and before its writes begins its
    transaction deferred like a page and takes SQLite's write lock at its first write, so other writers never queue
    behind that work (50 sign-ins at once waited for each other's argon2 and passed the busy timeout)."""
    view.reads_first = True
    return view


def _reads_only() -> bool:
    if not has_request_context():
        return False
    return request.method in READING_METHODS or \
        getattr(current_app.view_functions.get(request.endpoint), "reads_first", False)


def _sqlite_begin(conn):
    """Writers take the write lock up front (BEGIN IMMEDIATE), where the busy timeout can wait for it.

    A deferred transaction that has read and then writes cannot wait: SQLite refuses the upgrade at
    once with "database is locked" when another writer got in between. So forms and the CLI begin
    IMMEDIATE, and pages begin deferred. Sent to the driver's connection itself: through SQLAlchemy's statement
    machinery the BEGIN cost 64 Python calls on every request (listeners of executed statements don't see it).
    """
    deferred = _reads_only()
    conn.info["sqlite_deferred"] = deferred
    conn.connection.driver_connection.execute("BEGIN" if deferred else "BEGIN IMMEDIATE")


def _sqlite_upgrade(conn, cursor, statement, _parameters, _context, _executemany):
    """A page that writes after all (an access record) restarts as a write transaction at its first write.

    Nothing was written yet, so ending the read snapshot loses nothing; what the page read is shown
    as read, and the writes (appends that re-read what they depend on) wait for the lock properly.
    """
    if conn.info.get("sqlite_deferred") and statement.lstrip()[:9].upper().startswith(WRITES):
        conn.info["sqlite_deferred"] = False
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")


#: the largest id a database integer column holds (PostgreSQL's integer)
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: an id too large for the database is simply not found (404), never a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """`<name>` in every route: text no database column holds (a NUL) is simply not found (404), never a 500."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def init_app(app):
    """Bounded ids in URLs; on SQLite, the settings of every new connection and how transactions begin."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_upgrade)
