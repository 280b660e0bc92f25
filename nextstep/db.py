"""One database handle for the process, bound from NEXTSTEP_DATABASE_URL; how writes run.

Writes prepare everything first (rows, SQL and parameters, the answer) and hold the write
lock only to execute prepared statements: see `transaction` and docs/decisions.md.
"""
import logging
import os
import re
import threading
from contextlib import contextmanager
from contextvars import ContextVar

import peewee
from peewee import OperationalError, SqliteDatabase
from playhouse.db_url import connect, parse

from .errors import ConfigError, unavailable
from .models import ALL_MODELS, database

POOL_STALE_SECONDS = 300
log = logging.getLogger("nextstep")


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
    writer_turn.timeout = busy_timeout_ms / 1000
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


RETRY_AFTER_SECONDS = 1
LOCK_MESSAGES = ("database is locked", "database table is locked")


def database_busy():
    """503 `unavailable`: nothing was written, and the same request may simply be retried."""
    return unavailable("The database is busy; nothing was changed, try again in a moment",
                       RETRY_AFTER_SECONDS)


def is_lock_timeout(error):
    return isinstance(error, OperationalError) and str(error).strip() in LOCK_MESSAGES


class WriterTurn:
    """One SQLite writer at a time per process, queued on a real lock.

    SQLite's own busy handler polls with growing sleeps (up to 100 ms) and is not first
    come, first served. Measured with 32 writers on `nextstep serve --threads 32` (wrk,
    runs of 20-30 s, statements prepared outside the transaction either way): without
    this turn 2 to 37 writes a run still waited past the 5 s busy timeout (5 runs); with
    it none did (48 runs), the longest wait for the turn 2.6 s. (A strictly first-come
    hand-off queue cut that longest wait a little and throughput by about a tenth, so a
    plain lock it is.) SQLite's busy timeout still covers writers of other processes
    (the CLI, a second server). Re-entrant, so a nested `transaction()` on the same
    thread goes straight in.

    The turn is handed on just before COMMIT (`hand_on`): SQLite's own lock covers the
    commit, and the next writer wakes while it runs instead of after this thread has
    the GIL back. That was 10% more writes a second (7 rounds of 20 s, each faster).
    """

    def __init__(self, timeout=5.0):
        self.timeout = timeout
        self._lock = threading.RLock()

    def acquire(self, timeout):
        return self._lock.acquire(timeout=timeout)

    def release(self):
        self._lock.release()

    @contextmanager
    def __call__(self):
        """Hold the turn (SQLite only); yields `hand_on()`, which lets it go early."""
        if not is_sqlite():
            yield _nothing
            return
        if not self.acquire(self.timeout):
            log.warning("no SQLite write turn within %.1f s; answered 503", self.timeout)
            raise database_busy()
        held = [True]

        def hand_on():
            if held[0]:
                held[0] = False
                self.release()
        try:
            yield hand_on
        finally:
            hand_on()


def _nothing():
    pass


writer_turn = WriterTurn()


# Work that must commit with the first write transaction of this context (a request):
# the idempotency record of its answer (api/idempotency.py). Run once, then cleared.
commit_with_first_write = ContextVar("nextstep_commit_with_first_write", default=None)


@contextmanager
def transaction():
    """The one way writes run: atomic (on SQLite `BEGIN IMMEDIATE`, one writer of this
    process at a time). A lock timeout rolls back and becomes `database_busy()` (503):
    this is the one place that mapping is made."""
    with writer_turn() as hand_on:
        try:
            with database.atomic():
                yield
                joined = commit_with_first_write.get()
                if joined is not None:
                    commit_with_first_write.set(None)
                    joined()
                hand_on()  # the body is done: only COMMIT is left
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise
            log.warning("SQLite write lock timeout (%s); rolled back, answered 503", error)
            raise database_busy() from None
