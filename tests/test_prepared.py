"""statements.PreparedQuery and PreparedUpdate: compiled once, they read the rows and
write the statements Peewee's own queries would."""
import pytest

from nextstep.models import ApiKey, Member, Run, Team
from nextstep.services.keys import ACTIVE_KEY, digest_of
from nextstep.services.runs import RUN_OF_TEAM, start_run
from nextstep.statements import PreparedQuery, PreparedUpdate, execute, prepare


@pytest.fixture
def started(team, make_template):
    template = make_template(team, tasks=[{}, {}])
    return start_run(team, {"template_id": template.id, "title": "Prepared"})


def test_a_run_row_is_the_one_peewee_reads(team, started):
    ours = RUN_OF_TEAM.first(started.id, team.id)
    theirs = Run.get_by_id(started.id)
    assert type(ours) is Run
    assert ours.__data__ == theirs.__data__
    assert ours.sections == theirs.sections and ours.created_at == theirs.created_at


def test_no_row_is_none_and_values_are_parameters_not_sql(team, started):
    assert RUN_OF_TEAM.first("no-such-run", team.id) is None
    assert RUN_OF_TEAM.first(started.id, "other-team") is None
    assert RUN_OF_TEAM.first(f"{started.id}' OR '1'='1", team.id) is None


def test_joined_models_are_attached_as_their_foreign_keys_load_them(team, make_key):
    plaintext, row = make_key(team)
    key = ACTIVE_KEY.first(digest_of(plaintext))
    assert key.id == row.id
    assert isinstance(key.created_by, Member) and isinstance(key.team, Team)
    assert key.team.subdomain == team.subdomain and key.team.id == team.id
    assert key.created_by.id == row.created_by_id and key.created_by.is_active is True


def test_each_marker_must_be_one_parameter(app):
    twice = PreparedQuery(lambda a: ApiKey.select().where(
        (ApiKey.digest == a) | (ApiKey.prefix == a)), arity=1)
    with pytest.raises(ValueError):
        twice.first("x")
    unused = PreparedQuery(lambda a, b: ApiKey.select().where(ApiKey.digest == a), arity=2)
    with pytest.raises(ValueError):
        unused.first("x", "y")


def test_only_model_fields_are_selected(app):
    from peewee import fn
    counted = PreparedQuery(lambda a: ApiKey.select(fn.COUNT(ApiKey.id)).where(
        ApiKey.digest == a), arity=1)
    with pytest.raises(ValueError):
        counted.first("x")


def test_rows_are_peewee_s_own_models_and_dicts(team, started):
    from nextstep.models import RunTask

    def tasks_of(run_id):
        return RunTask.select().where(RunTask.run == run_id).order_by(RunTask.position)
    query = tasks_of(started.id)
    ours, theirs = PreparedQuery(tasks_of, arity=1).rows(started.id), list(query)
    assert [type(task) for task in ours] == [RunTask, RunTask]
    assert [task.__data__ for task in ours] == [task.__data__ for task in theirs]
    dicts = PreparedQuery(lambda run_id: tasks_of(run_id).dicts(), arity=1)
    assert dicts.rows(started.id) == list(query.dicts())
    completed = ours[0]
    assert completed.completed is False and isinstance(completed.custom_elements, list)


def test_rows_it_cannot_make_are_refused(team, started):
    with pytest.raises(ValueError):
        PreparedQuery(lambda run_id: Run.select().where(Run.id == run_id).tuples(),
                      arity=1).rows(started.id)
    with pytest.raises(ValueError):
        PreparedQuery(lambda run_id: Run.select(Run.id, Team.name).join(Team)
                      .where(Run.id == run_id).dicts(), arity=1).rows(started.id)


def peewee_statement(model, values, where):
    return comparable(prepare(model.update(values).where(where)))


def comparable(statement):
    """psycopg2's Json adapters compare by identity: compare what they adapt."""
    sql, params = statement
    return sql, [getattr(p, "adapted", p) for p in params]


def test_an_update_is_the_statement_peewee_compiles(team, started):
    from nextstep.ids import utcnow
    from nextstep.models import RunTask
    from nextstep.services.run_tasks import CLAIM, TASK_UPDATE
    now = utcnow()
    task = RunTask.select().where(RunTask.run == started.id).first()
    elements = [{"id": "e1", "value": "it's ok", "nested": {"n": [1, 2.5, None]}}]
    for values in ({"custom_elements": elements, "updated_at": now},
                   {"completed": True, "completed_at": now, "completed_by": "api",
                    "updated_at": now},
                   {"completed": False, "completed_at": None, "completed_by": None,
                    "updated_at": now},
                   {"approval": {"status": "approved"}, "assignee": None, "updated_at": now},
                   {"approval": None, "due_date": now, "updated_at": now}):
        for _twice in (1, 2):  # compiled, then from the cache
            assert comparable(TASK_UPDATE.statement(values, task.id)) == peewee_statement(
                RunTask, values, RunTask.id == task.id)
    for values in ({Run.updated_at: now},
                   {Run.updated_at: now, Run.status: "completed", Run.completed_at: now}):
        assert comparable(CLAIM.statement(values, started.id, 3)) == peewee_statement(
            Run, {Run.revision: Run.revision + 1, **values},
            (Run.id == started.id) & (Run.revision == 3) & (Run.status == "active"))


def test_an_update_writes_what_peewee_would_write(team, started):
    from nextstep.ids import utcnow
    from nextstep.models import RunTask
    from nextstep.services.run_tasks import CLAIM, TASK_UPDATE
    now = utcnow().replace(microsecond=0)
    task = RunTask.select().where(RunTask.run == started.id).first()
    elements = [{"id": "e1", "value": "x\u00e9\U0001f600"}]
    assert execute(TASK_UPDATE.statement({"custom_elements": elements, "updated_at": now,
                                          "completed_at": None}, task.id)) == 1
    stored = RunTask.get_by_id(task.id)
    assert stored.custom_elements == elements and stored.updated_at == now
    assert stored.completed_at is None
    revision = Run.get_by_id(started.id).revision
    assert execute(CLAIM.statement({Run.updated_at: now}, started.id, revision + 1)) == 0
    assert execute(CLAIM.statement({Run.updated_at: now}, started.id, revision)) == 1
    assert Run.get_by_id(started.id).revision == revision + 1
    assert execute(TASK_UPDATE.statement({"title": "x' OR '1'='1"}, "no-such-task")) == 0


def test_each_where_marker_must_be_one_parameter(app):
    from nextstep.models import RunTask
    unused = PreparedUpdate(RunTask, lambda a, b: RunTask.id == a, arity=2)
    with pytest.raises(ValueError):
        unused.statement({"title": "t"}, "x", "y")


def test_an_insert_sends_the_values_peewee_would_send(team, started):
    """Values of the types a field leaves alone go unconverted; the rest (a model for a
    foreign key, an int for a text column, ISO text for a timestamp) as db_value makes them."""
    from datetime import datetime

    from peewee import JSONField

    from nextstep.db import is_sqlite
    from nextstep.models import RunTask
    from nextstep.models.base import json_text
    from nextstep.statements import insert_statement
    task = RunTask.select().where(RunTask.run == started.id).first()
    at = datetime(2026, 1, 2, 3, 4, 5, 6000)
    rows = [{**task.__data__, "id": f"copy{n}", "run": run, "completed": completed,
             "position": position, "completed_at": when, "custom_elements": elements,
             "title": title}
            for n, (run, completed, position, when, elements, title) in enumerate([
                (started.id, False, 7, None, [], "plain"),
                (started, True, 8, at, [{"v": "é"}], 12),
                (started.id, 1, "9", "2026-01-02T03:04:05.006", [{"k": None}], "t")])]
    sql, params = insert_statement(RunTask, rows)
    fields = [f for f in RunTask._meta.sorted_fields if f.name in rows[0]]
    assert sql.startswith('INSERT INTO "run_task" ("' + '", "'.join(
        f.column_name for f in fields) + '") VALUES (')

    def peewee_value(field, value):
        if isinstance(field, JSONField) and is_sqlite():
            return None if value is None else json_text(value)
        return field.db_value(value)
    expected = [peewee_value(f, row[f.name]) for row in rows for f in fields]
    assert comparable(("", params))[1] == comparable(("", expected))[1]
    assert [type(v) for v in params] == [type(v) for v in expected]
    execute((sql, params))
    copies = {n: RunTask.get_by_id(f"copy{n}") for n in range(3)}
    assert copies[1].run_id == started.id and copies[1].completed_at == at
    assert copies[1].title == "12" and copies[1].custom_elements == [{"v": "é"}]
    assert copies[2].position == 9 and copies[2].completed is True
