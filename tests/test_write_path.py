"""The write path: the answer is made before the commit, a PATCH is one transaction, a
lock timeout is 503 `unavailable` with Retry-After, and nested transactions nest."""
import importlib
import logging
import sqlite3
import threading

import pytest
from test_run_helpers import counts, patch, row, start, started, tasks_of

from nextstep import db, statements
from nextstep.db import is_sqlite, transaction
from nextstep.models import Event, Run, RunTask, Team
from nextstep.services import run_tasks

BUSY = {"error": {"code": "unavailable",
                  "message": "The database is busy; nothing was changed, try again in a moment"}}
INTERNAL = "internal_error"
VIEWS = importlib.import_module("nextstep.api.runs")  # the package's `runs` is the blueprint


def explode(*args, **kwargs):
    raise RuntimeError("cannot produce the answer")


@pytest.fixture
def one_task_run(client, auth, team, make_template):
    """A started run of one webhook-enabled task: completing it completes the run."""
    run = started(client, auth, make_template(team, tasks=[{"webhook_enabled": True}]))
    return run, tasks_of(client, auth, run["id"])[0]


def snapshot(run, task):
    return row(RunTask, task["id"]), row(Run, run["id"]), counts()


def test_a_post_whose_answer_cannot_be_made_writes_nothing(client, auth, team, make_template,
                                                           monkeypatch):
    template = make_template(team)
    monkeypatch.setattr(VIEWS, "run_shape", explode)  # the answer is now run_shape
    response = start(client, auth, template)
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == INTERNAL
    assert counts() == (0, 0, 0)


def test_a_patch_whose_answer_cannot_be_made_changes_nothing(client, auth, one_task_run,
                                                             monkeypatch):
    run, task = one_task_run
    before = snapshot(run, task)
    monkeypatch.setattr(VIEWS, "run_task_shape", explode)
    response = patch(client, auth, run["id"], task["id"], {"completed": True})
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == INTERNAL
    assert snapshot(run, task) == before


@pytest.mark.parametrize("failing", ['UPDATE "run_task"', 'INSERT INTO "event"'])
def test_a_patch_failing_between_its_writes_changes_nothing(client, auth, one_task_run,
                                                            monkeypatch, failing):
    """The revision claim, the task, the run's completion and the events: one transaction."""
    run, task = one_task_run
    before = snapshot(run, task)
    real_execute = statements.execute

    def execute(statement):
        if statement[0].startswith(failing):
            raise RuntimeError("disk full")
        return real_execute(statement)
    monkeypatch.setattr("nextstep.services.run_tasks.execute", execute)
    monkeypatch.setattr("nextstep.services.events.execute", execute)
    response = patch(client, auth, run["id"], task["id"], {"completed": True})
    assert response.status_code == 500
    assert snapshot(run, task) == before


def test_every_change_moves_the_run_revision_once(client, auth, one_task_run):
    run, task = one_task_run
    assert Run.get_by_id(run["id"]).revision == 0
    patch(client, auth, run["id"], task["id"], {"assignee": None})  # no change: no write
    assert Run.get_by_id(run["id"]).revision == 0
    assert patch(client, auth, run["id"], task["id"], {"completed": True}).status_code == 200
    assert Run.get_by_id(run["id"]).revision == 1


def intrude_once(monkeypatch, write):
    """Make another writer commit `write()` between the PATCH's first read and its write."""
    plans = []
    real_plan = run_tasks.plan

    def plan(reading, changes, now):
        plans.append(reading.run.revision)
        if len(plans) == 1:
            write()
        return real_plan(reading, changes, now)
    monkeypatch.setattr(run_tasks, "plan", plan)
    return plans


def test_a_patch_that_lost_the_race_plans_again_in_its_transaction(client, auth, team,
                                                                   make_template, monkeypatch):
    run = started(client, auth, make_template(team, tasks=[{"webhook_enabled": True}, {}]))
    first, second = tasks_of(client, auth, run["id"])
    plans = intrude_once(monkeypatch, lambda: patch(client, auth, run["id"], second["id"],
                                                    {"completed": True}))
    response = patch(client, auth, run["id"], first["id"], {"completed": True})
    assert response.status_code == 200
    assert response.get_json()["data"]["completed"] is True
    assert plans == [0, 0, 1]  # ours, the intruder's, ours again on what it wrote
    stored = Run.get_by_id(run["id"])
    assert (stored.status, stored.revision) == ("completed", 2)
    assert [e.event for e in Event.select().order_by(Event.created_at, Event.event)] == [
        "process_run.created", "process_run.completed", "process_step.completed"]


def test_a_patch_whose_second_plan_is_refused_writes_nothing(client, auth, one_task_run,
                                                             monkeypatch):
    """The re-plan follows the rules on what the other writer left: here, a completed run."""
    run, task = one_task_run
    intrude_once(monkeypatch, lambda: Run.update(status="completed", revision=Run.revision + 1)
                 .where(Run.id == run["id"]).execute())
    before = row(RunTask, task["id"]), counts()
    response = patch(client, auth, run["id"], task["id"], {"completed": True})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "run_completed"
    assert (row(RunTask, task["id"]), counts()) == before
    assert Run.get_by_id(run["id"]).revision == 1  # the intruder's write only


@pytest.fixture
def app_config(app_config):
    return dict(app_config, NEXTSTEP_SQLITE_BUSY_TIMEOUT_MS=200)


@pytest.fixture
def sqlite_path(database_url):
    if not is_sqlite():
        pytest.skip("SQLite's write lock")
    return database_url.removeprefix("sqlite:///")


@pytest.fixture
def lock_holder(sqlite_path):
    """A connection that is not ours (another process would hold the lock the same way);
    `lock_holder.execute("BEGIN IMMEDIATE")` takes SQLite's write lock."""
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


def test_a_sqlite_lock_timeout_is_503_and_writes_nothing(client, auth, team, make_template,
                                                         one_task_run, lock_holder, caplog):
    run, task = one_task_run
    template = make_template(team)
    before = snapshot(run, task)
    lock_holder.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.WARNING, logger="nextstep"):
        answers = [start(client, auth, template),
                   patch(client, auth, run["id"], task["id"], {"completed": True})]
    lock_holder.execute("ROLLBACK")
    for response in answers:
        assert response.status_code == 503
        assert response.get_json() == BUSY
        assert response.headers["Retry-After"] == "1"
        assert response.headers["X-Request-Id"]
    assert "database is locked" in caplog.text
    assert snapshot(run, task) == before
    # the lock gone, the same requests go through
    assert start(client, auth, template).status_code == 201
    assert patch(client, auth, run["id"], task["id"], {"completed": True}).status_code == 200


def test_waiting_too_long_for_the_writer_turn_is_503(client, auth, team, make_template,
                                                     sqlite_path, caplog):
    """Threads of one process queue on the writer turn, as long as SQLite's busy timeout."""
    template = make_template(team)
    taken, release = threading.Event(), threading.Event()

    def hold_the_turn():
        with db.writer_turn():
            taken.set()
            release.wait(timeout=30)
    holder = threading.Thread(target=hold_the_turn)
    holder.start()
    try:
        assert taken.wait(timeout=30)
        with caplog.at_level(logging.WARNING, logger="nextstep"):
            response = start(client, auth, template)
    finally:
        release.set()
        holder.join(timeout=30)
    assert response.status_code == 503
    assert response.get_json() == BUSY
    assert response.headers["Retry-After"] == "1"
    assert "no SQLite write turn" in caplog.text
    assert counts() == (0, 0, 0)
    assert start(client, auth, template).status_code == 201


def test_nested_transactions_neither_deadlock_nor_commit_early(app, team):
    with transaction():
        Team.update(name="Outer").where(Team.id == team.id).execute()
        with transaction():
            Team.update(timezone="Europe/Berlin").where(Team.id == team.id).execute()
        with pytest.raises(RuntimeError):
            with transaction():
                Team.update(name="Rolled back").where(Team.id == team.id).execute()
                raise RuntimeError("inner failure")
    stored = Team.get_by_id(team.id)
    assert (stored.name, stored.timezone) == ("Outer", "Europe/Berlin")
    # the turn is free again: another thread can write
    done = []
    writer = threading.Thread(target=lambda: done.append(_write_in_thread(team.id)))
    writer.start()
    writer.join(timeout=30)
    assert done == ["Other"]


def _write_in_thread(team_id):
    from nextstep.models import database
    with database.connection_context():
        with transaction():
            Team.update(name="Other").where(Team.id == team_id).execute()
        return Team.get_by_id(team_id).name
