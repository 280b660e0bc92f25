"""One database handle for the process, bound from NEXTSTEP_DATABASE_URL."""
from peewee import SqliteDatabase
from playhouse.db_url import connect

from .models import ALL_MODELS, database

POOL_STALE_SECONDS = 300


def open_database(url, busy_timeout_ms=5000):
    """Build the database for `url`; SQLite gets WAL and IMMEDIATE write transactions.

    IMMEDIATE matters: a deferred transaction that reads then writes can fail with
    "database is locked" under concurrency whatever the busy timeout.

    Connections come from Peewee's pool: each request still connects and closes, but a
    close hands the connection back instead of paying for a new one and its pragmas
    next time (about a tenth of a small request, measured in bench/). A request holds
    one at a time, so the pool never grows past the server's thread count.
    """
    scheme, _, rest = url.partition("://")
    pooled_url = f"{scheme}+pool://{rest}" if not scheme.endswith("+pool") else url
    pool = {"max_connections": None, "stale_timeout": POOL_STALE_SECONDS}
    if scheme.startswith("sqlite"):
        return connect(pooled_url, lock_type="IMMEDIATE", timeout=busy_timeout_ms / 1000,
                       check_same_thread=False,  # a pooled connection moves between threads
                       pragmas={"journal_mode": "wal", "synchronous": "normal",
                                "foreign_keys": 1, "busy_timeout": busy_timeout_ms},
                       **pool)
    return connect(pooled_url, **pool)


def bind_database(url, busy_timeout_ms=5000):
    database.initialize(open_database(url, busy_timeout_ms))
    return database


def close_all_connections():
    """Close pooled connections too, so a database file can go (tests, shutdown)."""
    if not database.is_closed():
        database.close()
    database.close_all()


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


def create_tables():
    """A fresh database at the latest schema version, an older one migrated to it."""
    from .migrations import migrate_to_latest
    with database.connection_context():
        return migrate_to_latest()


def drop_tables():
    from .migrations import SchemaVersion
    with database.connection_context():
        database.drop_tables([*ALL_MODELS, SchemaVersion], safe=True, cascade=not is_sqlite())


def transaction():
    """The one way writes start: atomic, and on SQLite `BEGIN IMMEDIATE`."""
    return database.atomic()
