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
from peewee import JSONField, OperationalError, SqliteDatabase
from playhouse.db_url import connect, parse

from .errors import ConfigError, unavailable
from .models import ALL_MODELS, database
from .models.base import json_text

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


def prepare(query):
    """(sql, params) of a Peewee query, compiled now so that `execute` runs it later,
    inside the transaction, without compiling there.

    Compiling a PATCH's statements is 0.5 ms of Python (a POST's 1.1 ms) on an idle
    core; under 32 writers on a busy machine, compiled inside the transaction, the
    median time SQLite's write lock was held went from 2.4-3.3 ms to 4.5-7.7 ms (3
    rounds each, wrk).
    """
    return query.sql()


def execute(statement):
    """Run one prepared (sql, params); the rows it touched."""
    sql, params = statement
    return database.execute_sql(sql, params).rowcount


def insert_statement(model, rows):
    """One multi-row INSERT of `rows` (dicts with the same keys) as a prepared statement.

    `insert_many` compiles every value into Peewee's SQL nodes: for a 50-task run that is
    about 6 ms, most of the request. Values are converted as Peewee would convert them;
    JSON columns go through json() on SQLite and psycopg2's Json adapter on PostgreSQL.
    Peewee's private `_meta` names the fields and columns: this is the one place that
    reads it.
    """
    fields = [model._meta.fields[name] for name in rows[0]]
    sqlite, param = is_sqlite(), database.param
    marks = [f"json({param})" if sqlite and isinstance(f, JSONField) else param
             for f in fields]
    group = "(" + ", ".join(marks) + ")"
    sql = (f'INSERT INTO "{model._meta.table_name}" ('
           + ", ".join(f'"{f.column_name}"' for f in fields) + ") VALUES "
           + ", ".join([group] * len(rows)))
    convert = [_json_text if sqlite and isinstance(f, JSONField) else f.db_value
               for f in fields]
    return sql, [to_db(row[f.name]) for row in rows
                 for f, to_db in zip(fields, convert, strict=True)]


def _json_text(value):
    return None if value is None else json_text(value)


class PreparedQuery:
    """A SELECT built and compiled by Peewee once, then run with new parameters.

    `build(*markers)` returns the Peewee query with a marker string where each parameter
    goes; the compiled SQL is kept per database handle, and each call swaps the markers
    in the parameter list for its own values. On the hot reads (the API key of every
    request, a run, a run task) building, compiling and reading back the row through
    Peewee's cursor wrapper was most of the request's Python (about 1 ms of the 2.3 ms
    of an in-process GET of a run, measured with cProfile). Rows are model instances as
    Peewee's own would be: each selected field's `python_value` converts its column, and
    a joined model is attached where its foreign key would load it (`__rel__`). That
    construction, Peewee's internals, is written here only.
    """

    def __init__(self, build, arity):
        self.build, self.arity = build, arity
        self._compiled = {}  # id of the bound database -> (sql, slots, params, make_row)

    def _compile(self):
        key = id(database.obj)
        compiled = self._compiled.get(key)
        if compiled is None:
            markers = [f"\x00prepared-{index}\x00" for index in range(self.arity)]
            query = self.build(*markers)
            sql, params = query.sql()
            slots = [(position, markers.index(value)) for position, value in enumerate(params)
                     if isinstance(value, str) and value in markers]
            if sorted(index for _position, index in slots) != list(range(self.arity)):
                raise ValueError("each marker must be one parameter of the compiled query")
            compiled = self._compiled[key] = (sql, slots, params, _row_maker(query))
        return compiled

    def rows(self, *values):
        """Every row, as the query would give them."""
        sql, slots, params, make_row = self._compile()
        params = list(params)
        for position, index in slots:
            params[position] = values[index]
        return [make_row(row) for row in database.execute_sql(sql, params).fetchall()]

    def first(self, *values):
        """The first row or None (the query should carry its own LIMIT 1)."""
        rows = self.rows(*values)
        return rows[0] if rows else None

    def keyset(self, *values):
        """The first row's values as the database stores them (no conversion), or None:
        a keyset cursor's columns, to be sent back as parameters."""
        sql, slots, params, _make_row = self._compile()
        params = list(params)
        for position, index in slots:
            params[position] = values[index]
        row = database.execute_sql(sql, params).fetchone()
        return None if row is None else list(row)


def _row_maker(query):
    """A function from a result tuple of `query` to its model instance, joined models
    attached by the main model's foreign key to each; or to a dict of the fields, for a
    `.dicts()` query of one model."""
    main = query.model
    columns = {}
    for index, field in enumerate(query._returning):
        if not isinstance(field, peewee.Field):
            raise ValueError("a prepared query selects model fields only")
        columns.setdefault(field.model, []).append((index, field.name, _converter(field)))
    if query._row_type == peewee.ROW.DICT:
        if list(columns) != [main]:
            raise ValueError("a dict row holds the fields of one model")
        return _data_maker(columns[main])
    if query._row_type not in (None, peewee.ROW.MODEL):
        raise ValueError("rows are models or dicts")
    if not isinstance(query._returning[0], peewee.Field):
        raise ValueError("a prepared query selects model fields only")
    links = []
    for model in columns:
        if model is not main:
            keys = [fk for fk in main._meta.refs if fk.rel_model is model]
            if len(keys) != 1:
                raise ValueError(f"{model.__name__} must be joined by one foreign key")
            links.append((keys[0].name, model))

    makers = {model: _data_maker(fields) for model, fields in columns.items()}

    def make_row(row):
        made = {}
        for model, make_data in makers.items():
            instance = model.__new__(model)
            instance.__data__ = make_data(row)
            instance._dirty = set()
            instance.__rel__ = {}
            made[model] = instance
        instance = made[main]
        for name, model in links:
            instance.__rel__[name] = made[model]
        return instance
    return make_row


# Field adapters that return what SQLite's and PostgreSQL's drivers already hand back
# (str for text columns, int for integer ones): their column needs no conversion.
IDENTITY_ADAPTERS = (peewee._StringField.adapt, peewee.IntegerField.adapt)


def _converter(field):
    """The field's python_value, or None where it would return the driver's value as is
    (a page of 100 tasks converted some 2,000 such values one call each)."""
    target = field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
    if (type(target).python_value is peewee.Field.python_value
            and type(target).adapt in IDENTITY_ADAPTERS):
        return None
    return field.python_value


def _data_maker(fields):
    """A function from a result tuple to the {field name: value} of `fields`."""
    plain = [(index, name) for index, name, convert in fields if convert is None]
    converted = [(index, name, convert) for index, name, convert in fields
                 if convert is not None]

    def make_data(row):
        data = {name: row[index] for index, name in plain}
        for index, name, convert in converted:
            data[name] = convert(row[index])
        return data
    return make_data
