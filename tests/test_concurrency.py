"""Races through a real waitress server: clients released together by a barrier.

The server runs in this process on the test's database (SQLite file or PostgreSQL); each
waitress worker thread gets its own connection from the blueprint's before_request hook.
"""
import http.client
import json
import threading

import pytest

from nextstep.models import Event, Run, RunTask
from nextstep.services.events import RUN_COMPLETED, RUN_CREATED, STEP_COMPLETED
from servers import serving_in_thread

REPEATS = 10


@pytest.fixture
def app_config(app_config):
    return dict(app_config, NEXTSTEP_RATE_LIMIT="10000 per minute")


@pytest.fixture
def port(app):
    """A waitress server with 8 threads on a free port, stopped and closed at teardown."""
    with serving_in_thread(app, threads=8) as server:
        yield server.effective_port


def call(port, key, method, path, body=None):
    """(status, parsed JSON body) over a fresh connection, closed before returning."""
    headers = {"Authorization": f"Bearer {key}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, "/api/v1" + path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def together(calls):
    """Run each call in its own thread, all released at once; their results, in order.

    A call that raises gives its exception as its result, so no thread dies unseen.
    """
    barrier = threading.Barrier(len(calls), timeout=30)
    results = [None] * len(calls)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # reported by the assertions of the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def statuses(results):
    return [repr(r) if isinstance(r, Exception) else r[0] for r in results]


def start_run(port, key, template):
    status, body = call(port, key, "POST", "/process-runs", {"template_id": template.id})
    assert status == 201, body
    run_id = body["data"]["id"]
    status, body = call(port, key, "GET", f"/process-runs/{run_id}/tasks?limit=100")
    assert status == 200, body
    return run_id, [task["id"] for task in body["data"]]


def complete(port, key, run_id, task_id):
    return lambda: call(port, key, "PATCH", f"/process-runs/{run_id}/tasks/{task_id}",
                        {"completed": True})


def events_about(kind, field, value):
    return [e for e in Event.select().where(Event.event == kind)
            if e.payload["data"][field] == value]


def test_twenty_clients_start_runs_at_once(port, team, api_key, make_template):
    template = make_template(team, tasks=[
        {"elements": [{"type": "shortText"}, {"type": "checkbox"}],
         "depends_on": [i - 1] if i % 3 == 2 else [],
         "due_date": {"type": "relative", "from": "run_start", "offset": "P2D",
                      "business_days": True}}
        for i in range(12)])
    post = lambda: call(port, api_key, "POST", "/process-runs",  # noqa: E731
                        {"template_id": template.id})

    results = together([post] * 20)

    assert statuses(results) == [201] * 20, results
    run_ids = {body["data"]["id"] for _status, body in results}
    assert len(run_ids) == 20
    assert Run.select().where(Run.template == template.id).count() == 20
    for run_id in run_ids:
        assert RunTask.select().where(RunTask.run == run_id).count() == 12
        assert len(events_about(RUN_CREATED, "instance_id", run_id)) == 1


def test_last_two_tasks_completed_at_once_complete_the_run_once(port, team, api_key,
                                                                 make_template):
    template = make_template(team, tasks=[{}, {}, {"webhook_enabled": True}])
    for _ in range(REPEATS):
        run_id, (first, second, third) = start_run(port, api_key, template)
        status, body = complete(port, api_key, run_id, first)()
        assert status == 200, body

        results = together([complete(port, api_key, run_id, second),
                            complete(port, api_key, run_id, third)])

        assert statuses(results) == [200, 200], results
        run = Run.get_by_id(run_id)
        assert run.status == "completed" and run.completed_at is not None
        assert len(events_about(RUN_COMPLETED, "instance_id", run_id)) == 1
        assert len(events_about(STEP_COMPLETED, "task_id", third)) == 1


def test_two_clients_completing_the_same_task_complete_it_once(port, team, api_key,
                                                                make_template):
    template = make_template(team, tasks=[{"webhook_enabled": True}, {}])
    for _ in range(REPEATS):
        run_id, (first, _second) = start_run(port, api_key, template)

        results = together([complete(port, api_key, run_id, first)] * 2)

        assert sorted(statuses(results), key=str) in ([200, 200], [200, 409]), results
        assert RunTask.get_by_id(first).completed
        assert len(events_about(STEP_COMPLETED, "task_id", first)) == 1
        assert Run.get_by_id(run_id).status == "active"


def test_ten_clients_completing_the_ten_tasks_of_one_run_at_once_all_succeed(
        port, team, api_key, make_template):
    """Every PATCH but one loses a race here; none fails for it, and the run completes
    once, by whichever PATCH was really the last."""
    template = make_template(team, tasks=[{"webhook_enabled": True}] * 10)
    for _ in range(3):
        run_id, task_ids = start_run(port, api_key, template)

        results = together([complete(port, api_key, run_id, task_id) for task_id in task_ids])

        assert statuses(results) == [200] * 10, results
        run = Run.get_by_id(run_id)
        assert (run.status, run.revision) == ("completed", 10)
        assert len(events_about(RUN_COMPLETED, "instance_id", run_id)) == 1
        assert len(events_about(STEP_COMPLETED, "instance_id", run_id)) == 10


def test_two_publishes_at_once_take_two_versions(team, make_template):
    """No server needed: two threads, each with its own connection, publish together."""
    from nextstep.models import Template, TemplateVersion, database
    from nextstep.services.publishing import publish_template

    template = make_template(team, publish=False)
    barrier, errors = threading.Barrier(2), []

    def publish():
        try:
            with database.connection_context():
                barrier.wait(timeout=10)
                publish_template(template)
        except Exception as error:  # the assertion below reports it
            errors.append(error)

    for _ in range(3):
        threads = [threading.Thread(target=publish) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    versions = [v.version for v in TemplateVersion.select().order_by(TemplateVersion.version)]
    assert versions == [1, 2, 3, 4, 5, 6]
    assert Template.get_by_id(template.id).version == 6


def test_a_patch_that_lost_the_race_plans_again_and_completes_the_run(
        port, team, api_key, make_template, monkeypatch):
    """PATCH A reads, then PATCH B completes the other task before A writes: A's
    compare-and-set on the run's revision fails, A reads and plans again, and it is A
    (now the last task done) that completes the run, exactly once."""
    from nextstep.services import run_tasks

    template = make_template(team, tasks=[{}, {"webhook_enabled": True}])
    run_id, (first, second) = start_run(port, api_key, template)
    a_planned, b_done, plans = threading.Event(), threading.Event(), []
    real_plan = run_tasks.plan

    def plan(reading, changes, now):
        plans.append((reading.task.id, reading.run.revision))
        if reading.task.id == first and len(plans) == 1:
            a_planned.set()
            assert b_done.wait(timeout=30)
        return real_plan(reading, changes, now)
    monkeypatch.setattr(run_tasks, "plan", plan)
    results = []
    a = threading.Thread(target=lambda: results.append(complete(port, api_key, run_id, first)()))
    a.start()
    assert a_planned.wait(timeout=30)
    b = complete(port, api_key, run_id, second)()
    b_done.set()
    a.join(timeout=60)

    assert b[0] == 200 and results[0][0] == 200, (b, results)
    assert plans == [(first, 0), (second, 0), (first, 1)]
    run = Run.get_by_id(run_id)
    assert (run.status, run.revision) == ("completed", 2)
    assert results[0][1]["data"]["completed"] is True
    assert len(events_about(RUN_COMPLETED, "instance_id", run_id)) == 1
    assert len(events_about(STEP_COMPLETED, "task_id", second)) == 1
