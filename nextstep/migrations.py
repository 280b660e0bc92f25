"""Schema versions: what `nextstep init-db` applies, one function per version.

Version 1 is the schema NextStep shipped before versions were recorded (no
`schema_version` table). A fresh database is created at LATEST directly; an older one
gets each migration after its version, in order, each in its own transaction together
with the version it reaches, so a failed migration leaves the database at the version
before it. Migrations go through Peewee's `playhouse.migrate` (SQLite and PostgreSQL).

A migration function takes the migrator and returns its operations; it spells out its
columns instead of borrowing the model's field, so it keeps meaning what it meant when
the model moves on.
"""
import json

from peewee import SQL, BooleanField, CharField, IntegerField
from playhouse.migrate import SchemaMigrator

from .db import is_sqlite
from .models import ALL_MODELS, BaseModel, database
from .models.base import TimestampField
from .schema_history import WEBHOOK_TABLES_AT_VERSION_6, IdempotencyKeyAtVersion7

PRE_VERSIONING = 1


class SchemaVersion(BaseModel):
    """One row: the version the schema is at."""

    version = IntegerField()

    class Meta:
        table_name = "schema_version"


class SchemaError(Exception):
    """The database is not at the schema this code needs; the message says what to do."""


def add_run_revision(migrator):
    """2: `run.revision`, the counter a PATCH compares and sets; 0 for existing runs."""
    revision = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    return [migrator.add_column("run", "revision", revision, allow_not_null=True)]


# Single-column indexes that lead a composite index on the same table: the composite one
# serves every lookup (and foreign-key check) they served, and each was one more index
# write per row; run_task(run_id) alone cost 50 index writes per started run of 50 tasks.
PREFIX_INDEXES = ("member_team_id", "template_team_id", "section_template_id",
                  "template_task_template_id", "custom_element_task_id", "event_team_id",
                  "run_team_id", "run_task_run_id", "template_version_template_id")


def drop_prefix_indexes(migrator):
    """3: drop PREFIX_INDEXES (IF EXISTS: a database made at version 2 or later by this
    code never had them)."""
    return [migrator.sql(f'DROP INDEX IF EXISTS "{name}"') for name in PREFIX_INDEXES]


def add_api_key_scope(migrator):
    """4: `api_key.scope` (read, write or admin); keys made before scopes are `write`, as
    they could do everything but author before, and authoring did not exist."""
    scope = CharField(max_length=5, default="write", constraints=[SQL("DEFAULT 'write'")])
    return [migrator.add_column("api_key", "scope", scope, allow_not_null=True)]


def add_template_authoring(migrator):
    """5: `template.has_unpublished_changes` (true for a never-published template, false
    for a published one: before authoring, a published template's content was its latest
    snapshot unless re-imported without --publish), `template.archived_at`, and
    `template_version.task_count`, filled from each stored snapshot."""
    changes = BooleanField(default=True, constraints=[SQL("DEFAULT TRUE")])
    archived_at = TimestampField(null=True)
    task_count = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    return [migrator.add_column("template", "has_unpublished_changes", changes,
                                allow_not_null=True),
            migrator.add_column("template", "archived_at", archived_at),
            migrator.add_column("template_version", "task_count", task_count,
                                allow_not_null=True),
            DataStep(_fill_authoring_columns)]


class DataStep:
    """Rows a migration fills in after its columns exist, run as one of its operations."""

    def __init__(self, function):
        self.run = function


def _fill_authoring_columns():
    database.execute_sql('UPDATE "template" SET "has_unpublished_changes" = %s '
                         'WHERE "version" > 0' % ("0" if is_sqlite() else "FALSE"))
    rows = database.execute_sql('SELECT "id", "snapshot" FROM "template_version"').fetchall()
    for row_id, snapshot in rows:
        if isinstance(snapshot, str):
            snapshot = json.loads(snapshot)
        database.execute_sql(f'UPDATE "template_version" SET "task_count" = {database.param} '
                             f'WHERE "id" = {database.param}',
                             (len(snapshot.get("tasks") or []), row_id))


def add_webhooks(_migrator):
    """6: webhook subscriptions, their deliveries and attempts (contract §11): new tables
    only (no migrator operation), made here, in the migration's transaction."""
    database.create_tables(WEBHOOK_TABLES_AT_VERSION_6, safe=True)
    return []


def add_idempotency_keys(_migrator):
    """7: the `idempotency_key` table (a new table is no migrator operation: made here, in
    the migration's transaction)."""
    database.create_tables([IdempotencyKeyAtVersion7], safe=True)
    return []


MIGRATIONS = {2: add_run_revision, 3: drop_prefix_indexes, 4: add_api_key_scope,
              5: add_template_authoring, 6: add_webhooks, 7: add_idempotency_keys}
LATEST = max(MIGRATIONS)


def schema_version():
    """The recorded version; 1 for tables made before versions were recorded; 0 for a
    database without our tables."""
    tables = set(database.get_tables())
    if SchemaVersion._meta.table_name in tables:
        row = SchemaVersion.select(SchemaVersion.version).first()
        return row.version if row else 0
    if tables & {model._meta.table_name for model in ALL_MODELS}:
        return PRE_VERSIONING
    return 0


def migrate_to_latest():
    """Create or migrate the schema to LATEST; returns (version before, version after)."""
    before = schema_version()
    if before == 0:
        with database.atomic():
            database.create_tables([*ALL_MODELS, SchemaVersion], safe=True)
            _record(LATEST)
        return before, LATEST
    if before > LATEST:
        raise SchemaError(_newer(before))
    if before == PRE_VERSIONING:
        with database.atomic():
            database.create_tables([SchemaVersion], safe=True)
            if not SchemaVersion.select().exists():
                _record(PRE_VERSIONING)
    migrator = SchemaMigrator.from_database(database)
    for version in sorted(n for n in MIGRATIONS if n > before):  # a gap is harmless
        with migrator.migration_context():
            if _locked_version() >= version:  # another init-db got there first
                continue
            migrator.migrate(*MIGRATIONS[version](migrator))
            SchemaVersion.update(version=version).execute()
    return before, LATEST


def check_schema():
    """The schema version, if it is LATEST; else SchemaError with what to do. One query
    (two on a database without a version table): cheap enough for a server's start-up."""
    with database.connection_context():
        version = schema_version()
    if version == LATEST:
        return version
    if version == 0:
        raise SchemaError("The database has no NextStep tables; run `nextstep init-db`.")
    if version > LATEST:
        raise SchemaError(_newer(version))
    raise SchemaError(f"The database schema is at version {version} and this NextStep needs "
                      f"version {LATEST}; run `nextstep init-db` to migrate it (no data is "
                      f"lost).")


def _record(version):
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=version)


def _locked_version():
    """The recorded version, its row locked until the migration's transaction ends
    (SQLite's BEGIN IMMEDIATE already keeps other writers out)."""
    query = SchemaVersion.select(SchemaVersion.version)
    return (query if is_sqlite() else query.for_update()).first().version


def _newer(version):
    return (f"The database schema is at version {version}, newer than this NextStep "
            f"understands ({LATEST}); upgrade NextStep.")
