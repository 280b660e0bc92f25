"""One database handle for the process, bound from NEXTSTEP_DATABASE_URL."""
import os
import re

import peewee
from peewee import SqliteDatabase
from playhouse.db_url import connect, parse

from .errors import ConfigError
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
    check_reachable_at_start(url)
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


def check_reachable_at_start(url):
    """What can be known before connecting, told at start-up: a SQLite file whose folder
    is missing (SQLite only says "unable to open database file"), or no PostgreSQL driver."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder and not os.path.isdir(folder):
            raise ConfigError(f"NEXTSTEP_DATABASE_URL names the SQLite file {path}, but its "
                              f"folder {folder} does not exist; create it (mkdir -p {folder}), "
                              f"or fix the URL.")
    elif peewee.psycopg2 is None and peewee.psycopg is None:
        raise ConfigError("NEXTSTEP_DATABASE_URL is a PostgreSQL URL, but no PostgreSQL driver "
                          "is installed; install it with: pip install 'nextstep[postgresql]'")


def sqlite_path(url):
    """The file of a sqlite:/// URL; None for an in-memory database."""
    path = parse(url)["database"]
    return None if path in ("", ":memory:") or path.startswith("file:") else path


def describe_connection_error(url, error):
    """One sentence for a failed connection that says what to do, or None when the error
    is not one we recognise."""
    text = str(error).strip()
    if url.startswith("sqlite") and "unable to open database file" in text:
        return (f"Cannot open the SQLite database {sqlite_path(url)}: check that its folder "
                f"is writable by this user, or fix NEXTSTEP_DATABASE_URL.")
    if url.startswith("sqlite"):
        return None
    params = parse(url)
    server = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"
    name = params.get("database")
    if f'database "{name}" does not exist' in text:
        return (f'The PostgreSQL server at {server} has no database "{name}"; create it '
                f"(e.g. `createdb {name}`), then run `nextstep init-db`.")
    if "Connection refused" in text or "timeout expired" in text:
        return (f"Cannot reach the PostgreSQL server at {server}; start it, or fix "
                f"NEXTSTEP_DATABASE_URL.")
    role = re.search(r'role "([^"]*)" does not exist', text)
    if role:
        return (f'The PostgreSQL server at {server} has no role "{role[1]}"; create it '
                f"(e.g. `createuser {role[1]}`), or fix NEXTSTEP_DATABASE_URL.")
    if "password authentication failed" in text:
        return (f"The PostgreSQL server at {server} refused the password in "
                f"NEXTSTEP_DATABASE_URL; fix the URL.")
    return None


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
    with database.connection_context():
        database.create_tables(ALL_MODELS, safe=True)


def drop_tables():
    with database.connection_context():
        database.drop_tables(ALL_MODELS, safe=True, cascade=not is_sqlite())


def transaction():
    """The one way writes start: atomic, and on SQLite `BEGIN IMMEDIATE`."""
    return database.atomic()
