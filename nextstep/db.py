"""One database handle for the process, bound from NEXTSTEP_DATABASE_URL."""
from peewee import SqliteDatabase
from playhouse.db_url import connect

from .models import ALL_MODELS, database


def open_database(url, busy_timeout_ms=5000):
    """Build the database for `url`; SQLite gets WAL and IMMEDIATE write transactions.

    IMMEDIATE matters: a deferred transaction that reads then writes can fail with
    "database is locked" under concurrency whatever the busy timeout.
    """
    if url.startswith("sqlite"):
        return connect(url, lock_type="IMMEDIATE", timeout=busy_timeout_ms / 1000,
                       pragmas={"journal_mode": "wal", "synchronous": "normal",
                                "foreign_keys": 1, "busy_timeout": busy_timeout_ms})
    return connect(url)


def bind_database(url, busy_timeout_ms=5000):
    database.initialize(open_database(url, busy_timeout_ms))
    return database


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


def create_tables():
    with database.connection_context():
        database.create_tables(ALL_MODELS, safe=True)


def drop_tables():
    with database.connection_context():
        database.drop_tables(ALL_MODELS, safe=True, cascade=not is_sqlite())


def transaction():
    """The one way writes start: atomic, and on SQLite `BEGIN IMMEDIATE`."""
    return database.atomic()
