"""Schema versions: a fresh database starts at the latest, an old one is migrated by
`nextstep init-db` with every row kept, and a server can check the version it finds."""
import secrets

import pytest
from peewee import (
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    JSONField,
    TextField,
)
from test_run_helpers import RUNS, patch, tasks_of

from nextstep import migrations
from nextstep.db import drop_tables
from nextstep.ids import new_id, utcnow
from nextstep.migrations import LATEST, SchemaError, SchemaVersion, check_schema, schema_version
from nextstep.models import (
    CustomElement,
    Event,
    Member,
    RunTask,
    Section,
    Team,
    Template,
    TemplateTask,
    TemplateVersion,
    database,
)
from nextstep.models.base import BaseModel, IdField, TimestampField
from nextstep.schemas.template import TemplateTaskSchema
from nextstep.services.keys import KEY_PREFIX, digest_of


class TemplateV1(BaseModel):
    """The `template` table before migration 5 (no authoring columns)."""

    id = IdField()
    team = ForeignKeyField(Team, on_delete="CASCADE")
    title = CharField(max_length=255)
    description = TextField(null=True)
    cover_image = TextField(null=True)
    icon = CharField(null=True)
    icon_type = CharField(null=True)
    visibility = CharField(default="private")
    is_published = BooleanField(default=False)
    version = IntegerField(default=0)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)

    class Meta:
        table_name = "template"
        indexes = (
            (("team", "created_at", "id"), False),
            (("team", "is_published", "created_at", "id"), False),
        )


class TemplateVersionV1(BaseModel):
    """The `template_version` table before migration 5 (no task_count)."""

    template = ForeignKeyField(TemplateV1, on_delete="CASCADE")
    version = IntegerField()
    snapshot = JSONField()
    created_at = TimestampField(default=utcnow)

    class Meta:
        table_name = "template_version"
        indexes = ((("template", "version"), True),)


class RunV1(BaseModel):
    """The `run` table of schema version 1, as NextStep created it before versions were
    recorded (main's nextstep/models/run.py: every column but `revision`)."""

    id = IdField()
    team = ForeignKeyField(Team, on_delete="CASCADE")
    template = ForeignKeyField(TemplateV1, on_delete="CASCADE")
    template_version = IntegerField()
    title = CharField(max_length=255)
    status = CharField(default="active")
    started_by = CharField(max_length=20, default="api")
    timezone = CharField()
    due_date = TimestampField(null=True)
    is_shared = BooleanField(default=False)
    sections = JSONField(default=list)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)
    completed_at = TimestampField(null=True)

    class Meta:
        table_name = "run"
        indexes = (
            (("team", "created_at", "id"), False),
            (("team", "template", "created_at", "id"), False),
            (("team", "status", "created_at", "id"), False),
            (("team", "template", "status", "created_at", "id"), False),
        )


class ApiKeyV1(BaseModel):
    """The `api_key` table before scopes (version 1 to 3: every column but `scope`)."""

    id = IdField()
    team = ForeignKeyField(Team, on_delete="CASCADE")
    created_by = ForeignKeyField(Member, on_delete="CASCADE")
    name = CharField()
    digest = CharField(max_length=64, unique=True)
    prefix = CharField(max_length=16)
    last_four = CharField(max_length=4)
    created_at = TimestampField(default=utcnow)
    last_used_at = TimestampField(null=True)
    revoked_at = TimestampField(null=True)

    class Meta:
        table_name = "api_key"


V1_MODELS = [Team, Member, ApiKeyV1, TemplateV1, Section, TemplateTask, CustomElement,
             TemplateVersionV1, RunV1, RunTask, Event]  # in creation order (foreign keys)
V1_COLUMNS = {model: [field.column_name for field in model._meta.sorted_fields]
              for model in V1_MODELS}
NEEDS_MIGRATING = (f"The database schema is at version 1 and this NextStep needs version "
                   f"{LATEST}; run `nextstep init-db` to migrate it (no data is lost).")


def published_v1_template(team):
    """A published two-task template written as the code before migration 5 wrote it."""
    now = utcnow()
    template = TemplateV1.create(id=new_id(), team=team, title="Onboarding",
                                 visibility="team", is_published=True, version=1,
                                 created_at=now, updated_at=now)
    tasks = [TemplateTask.create(template=template.id, title=f"Task {n + 1}", position=n,
                                 webhook_enabled=n == 1, created_at=now, updated_at=now)
             for n in range(2)]
    for task in tasks:
        task.element_rows = []
    snapshot = {"template": {"id": template.id, "title": template.title, "version": 1,
                             "sections": []},
                "tasks": TemplateTaskSchema(many=True).dump(tasks)}
    TemplateVersionV1.create(template=template, version=1, snapshot=snapshot,
                             created_at=now)
    template.task_rows = tasks
    return template


@pytest.fixture
def version_1(app, make_member):
    """A database as the code before schema versions left it, with a team, a key, a
    published two-task template and a started run with its tasks and event."""
    drop_tables()
    for model in V1_MODELS:
        model.create_table()
    team = Team.create(name="Acme", subdomain="acme")
    key = KEY_PREFIX + secrets.token_hex(16)
    ApiKeyV1.create(team=team, created_by=make_member(team, role="owner"), name="old key",
                    digest=digest_of(key), prefix=key[:13], last_four=key[-4:])
    template = published_v1_template(team)
    now = utcnow()
    run = RunV1.create(id=new_id(), team=team, template=template, template_version=1,
                       title="Started before the migration", timezone="UTC",
                       sections=[{"id": "s1", "title": "Phase 1", "description": None,
                                  "order": 0, "color": "#3366CC"}],
                       created_at=now, updated_at=now)
    for position, task in enumerate(template.task_rows):
        RunTask.create(run=run.id, template_task_id=task.id, title=task.title,
                       position=position, webhook_enabled=task.webhook_enabled,
                       custom_elements=[], created_at=now, updated_at=now)
    Event.create(id="evt_" + new_id(), team=team, event="process_run.created",
                 payload={"event": "process_run.created"}, created_at=now)
    return {"key": key, "template": template, "run_id": run.id}


def every_row():
    """Every stored row of the version 1 tables, in the version 1 columns."""
    rows = {}
    for model in V1_MODELS:
        table = model._meta.table_name
        columns = V1_COLUMNS[model]
        names = ", ".join(f'"{c}"' for c in columns)
        rows[table] = database.execute_sql(
            f'SELECT {names} FROM "{table}" ORDER BY "{columns[0]}"').fetchall()
    return rows


def run_columns():
    return [column.name for column in database.get_columns("run")]


def test_a_fresh_database_starts_at_the_latest_version(app):
    assert schema_version() == LATEST
    assert check_schema() == LATEST
    assert [row.version for row in SchemaVersion.select()] == [LATEST]
    assert "revision" in run_columns()


def test_the_scope_column_has_a_database_default(app, team, make_member):
    """Keys inserted without naming it (as migration 4 treats the old ones) are `write`."""
    owner = make_member(team, role="owner")
    database.execute_sql(
        "INSERT INTO api_key (id, team_id, created_by_id, name, digest, prefix, last_four, "
        f"created_at) VALUES ('k1', '{team.id}', '{owner.id}', 'k', 'd', 'p', 'l', "
        "'2026-01-01 00:00:00')")
    assert database.execute_sql("SELECT scope FROM api_key").fetchall() == [("write",)]


def test_the_revision_column_has_a_database_default(app, team, make_template):
    """Writers that do not name it (bench/baseline.py's raw INSERT) still insert runs."""
    template = make_template(team)
    database.execute_sql(
        "INSERT INTO run (id, team_id, template_id, template_version, title, status, "
        "started_by, timezone, is_shared, sections, created_at, updated_at) VALUES "
        f"('r1', '{team.id}', '{template.id}', 1, 't', 'active', 'api', 'UTC', "
        "false, '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    assert database.execute_sql("SELECT revision FROM run").fetchall() == [(0,)]


def test_init_db_migrates_a_version_1_database_and_keeps_every_row(version_1, runner,
                                                                  client):
    before = every_row()
    assert schema_version() == 1
    assert "revision" not in run_columns()
    with pytest.raises(SchemaError) as refused:
        check_schema()
    assert str(refused.value) == NEEDS_MIGRATING

    result = runner.invoke(args=["init-db"])

    assert (result.exit_code, result.stdout) == (0, "Database ready.\n")
    assert schema_version() == check_schema() == LATEST
    assert every_row() == before
    assert database.execute_sql("SELECT revision FROM run").fetchall() == [(0,)]
    assert runner.invoke(args=["init-db"]).exit_code == 0  # again: nothing to do
    assert every_row() == before and schema_version() == LATEST


# The single-column indexes every database made before version 3 has (one per foreign
# key, as Peewee makes them by default), and the composite index that leads with it.
PREFIX_INDEXES = {
    "member_team_id": ("member", "team_id", "member_team_id_email"),
    "template_team_id": ("template", "team_id", "template_team_id_created_at_id"),
    "section_template_id": ("section", "template_id", "section_template_id_position"),
    "template_task_template_id": ("template_task", "template_id",
                                  "template_task_template_id_position_id"),
    "custom_element_task_id": ("custom_element", "task_id", "custom_element_task_id_position"),
    "event_team_id": ("event", "team_id", "event_team_id_created_at"),
    "run_team_id": ("run", "team_id", "run_team_id_created_at_id"),
    "run_task_run_id": ("run_task", "run_id", "run_task_run_id_position_id"),
    "template_version_template_id": ("template_version", "template_id",
                                     "template_version_template_id_version"),
}


def index_names():
    return {index.name for table in database.get_tables()
            for index in database.get_indexes(table)}


def test_a_fresh_database_has_no_index_that_leads_another(app):
    names = index_names()
    assert names.isdisjoint(PREFIX_INDEXES)
    assert {composite for _t, _c, composite in PREFIX_INDEXES.values()} <= names
    leading = [(table, index.name, other.name) for table in database.get_tables()
               for index in database.get_indexes(table)
               for other in database.get_indexes(table)
               if other.name != index.name and len(other.columns) > len(index.columns)
               and other.columns[:len(index.columns)] == index.columns]
    assert leading == []  # tables added later too (webhooks, idempotency keys)


def schema_shape():
    """Every table's columns and indexes (name, columns, unique), for comparing schemas."""
    return {table: (sorted(c.name for c in database.get_columns(table)),
                    sorted((i.name, tuple(i.columns), i.unique)
                           for i in database.get_indexes(table)))
            for table in database.get_tables()}


def test_a_migrated_database_has_the_schema_of_a_fresh_one(app, version_1, runner):
    """Each migration, frozen as it was written, leads where the models lead today."""
    assert runner.invoke(args=["init-db"]).exit_code == 0
    migrated = schema_shape()
    drop_tables()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert migrated == schema_shape()


def test_migration_3_drops_the_indexes_that_lead_another_and_keeps_every_row(version_1,
                                                                             runner):
    for name, (table, column, _composite) in PREFIX_INDEXES.items():
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
    before = every_row()
    assert set(PREFIX_INDEXES) <= index_names()

    assert runner.invoke(args=["init-db"]).exit_code == 0

    assert index_names().isdisjoint(PREFIX_INDEXES)
    assert {composite for _t, _c, composite in PREFIX_INDEXES.values()} <= index_names()
    assert every_row() == before and schema_version() == LATEST


@pytest.mark.parametrize("name", sorted(PREFIX_INDEXES))
def test_lookups_by_the_dropped_column_still_use_an_index(app, name):
    """SQLite's plan for `WHERE <column> = ?` searches an index that leads with the column
    (PostgreSQL can do the same; its planner is not asserted here)."""
    if not migrations.is_sqlite():
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    table, column, _composite = PREFIX_INDEXES[name]
    plan = database.execute_sql(
        f'EXPLAIN QUERY PLAN SELECT * FROM "{table}" WHERE "{column}" = ?', ("x",)).fetchall()
    assert [row[-1] for row in plan if row[-1].startswith(f"SEARCH {table} USING")
            and row[-1].endswith(f"({column}=?)")], plan


def test_the_api_works_on_a_migrated_database(version_1, runner, client):
    assert runner.invoke(args=["init-db"]).exit_code == 0
    auth = {"Authorization": f"Bearer {version_1['key']}"}
    run_id = version_1["run_id"]
    response = client.get(f"{RUNS}/{run_id}", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["data"]["title"] == "Started before the migration"
    first, second = tasks_of(client, auth, run_id)
    assert patch(client, auth, run_id, first["id"], {"completed": True}).status_code == 200
    assert patch(client, auth, run_id, second["id"], {"completed": True}).status_code == 200
    assert client.get(f"{RUNS}/{run_id}", headers=auth).get_json()["data"]["status"] == (
        "completed")
    assert database.execute_sql("SELECT revision FROM run").fetchall() == [(2,)]
    response = client.post(RUNS, json={"template_id": version_1["template"].id}, headers=auth)
    assert response.status_code == 201
    listed = client.get(RUNS, headers=auth).get_json()["data"]
    assert [run["id"] for run in listed] == [response.get_json()["data"]["id"], run_id]


def test_a_failing_migration_leaves_the_database_at_the_version_before(version_1,
                                                                      monkeypatch):
    before = every_row()

    def half_done(migrator):
        return [*migrations.add_run_revision(migrator),
                migrator.add_column("no_such_table", "x", IntegerField(null=True))]
    monkeypatch.setitem(migrations.MIGRATIONS, 2, half_done)
    with pytest.raises(Exception):  # noqa: B017 - whatever the database raises
        migrations.migrate_to_latest()
    assert schema_version() == 1
    assert "revision" not in run_columns()
    assert every_row() == before
    monkeypatch.undo()
    assert migrations.migrate_to_latest() == (1, LATEST)
    assert every_row() == before


def test_a_database_newer_than_the_code_is_refused(app):
    SchemaVersion.update(version=LATEST + 1).execute()
    message = (f"The database schema is at version {LATEST + 1}, newer than this NextStep "
               f"understands ({LATEST}); upgrade NextStep.")
    for step in (check_schema, migrations.migrate_to_latest):
        with pytest.raises(SchemaError) as refused:
            step()
        assert str(refused.value) == message


def test_an_empty_database_is_told_to_run_init_db(app):
    drop_tables()
    with pytest.raises(SchemaError) as refused:
        check_schema()
    assert str(refused.value) == "The database has no NextStep tables; run `nextstep init-db`."


def test_serve_refuses_a_database_without_tables_in_one_sentence(database_url, tmp_path):
    from servers import NextStepServe
    server = NextStepServe({"NEXTSTEP_DATABASE_URL": database_url}, (),
                           instance_path=tmp_path / "instance")
    status, _stdout, stderr = server.run_to_exit(timeout=60)
    assert (status, stderr) == (1, "Error: The database has no NextStep tables; run "
                                   "`nextstep init-db`.\n")


def test_migration_5_fills_the_authoring_columns_from_what_was_there(version_1, runner,
                                                                    make_team):
    draft = TemplateV1.create(id=new_id(), team=Team.get(), title="Never published")
    assert runner.invoke(args=["init-db"]).exit_code == 0
    rows = {t.id: (t.has_unpublished_changes, t.archived_at) for t in Template.select()}
    assert rows == {version_1["template"].id: (False, None), draft.id: (True, None)}
    assert [(v.version, v.task_count) for v in TemplateVersion.select()] == [(1, 2)]


def test_migration_6_adds_the_webhook_tables_to_a_version_5_database(app):
    """A database at version 5 (before webhooks) gains the three tables, empty."""
    from nextstep.migrations import migrate_to_latest
    from nextstep.models import Attempt, Delivery, Webhook
    database.drop_tables([Attempt, Delivery, Webhook])
    SchemaVersion.update(version=5).execute()
    assert "webhook" not in database.get_tables()
    assert migrate_to_latest() == (5, LATEST)
    assert {"webhook", "webhook_delivery", "webhook_attempt"} <= set(database.get_tables())
    assert Webhook.select().count() == Delivery.select().count() == 0
    assert schema_version() == LATEST
