"""db.PreparedQuery: compiled once, it gives the rows Peewee's own query gives."""
import pytest

from nextstep.db import PreparedQuery
from nextstep.models import ApiKey, Member, Run, Team
from nextstep.services.keys import ACTIVE_KEY, digest_of
from nextstep.services.runs import RUN_OF_TEAM, start_run


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
