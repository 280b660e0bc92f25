"""PATCH /process-runs/:id/tasks/:taskId: all-or-nothing, no-op PATCHes, run completion."""
import pytest
from playhouse.test_utils import count_queries
from test_run_helpers import (
    RUNS,
    T0,
    counts,
    patch,
    row,
    stamp,
    started,
    tasks_of,
    validation,
)

from nextstep.models import Event, Run, RunTask


def test_complete_and_reopen(flow, clock):
    response = flow.send(flow.optional, {"completed": True})
    assert response.status_code == 200
    task = response.get_json()["data"]
    assert (task["completed"], task["completed_at"], task["completed_by"]) == (
        True, stamp(T0), "api")
    assert task["updated_at"] == stamp(T0)
    assert Run.get_by_id(flow.run["id"]).updated_at == T0
    stored = RunTask.get_by_id(flow.optional["id"])
    assert (stored.completed, stored.completed_at, stored.completed_by) == (True, T0, "api")

    later = clock.tick()
    task = flow.send(flow.optional, {"completed": False}).get_json()["data"]
    assert (task["completed"], task["completed_at"], task["completed_by"]) == (False, None, None)
    assert task["updated_at"] == stamp(later)
    assert Run.get_by_id(flow.run["id"]).updated_at == later


def test_completed_by_is_the_actor(flow, clock):
    task = flow.send(flow.optional, {"completed": True, "actor_email": "DOER@example.com"}
                     ).get_json()["data"]
    assert task["completed_by"] == flow.member.id


@pytest.mark.parametrize("body, details", [
    ({"completed": "true"}, {"completed": ["Not a valid boolean."]}),
    ({"skipped": 1}, {"skipped": ["Not a valid boolean."]}),
    ({"completed": None}, {"completed": ["Field may not be null."]}),
    ({"title": "Renamed"}, {"title": ["Unknown field."]}),
    ({"custom_elements": [{"value": 1}]},
     {"custom_elements.0.element_id": ["Missing data for required field."]}),
    ({"custom_elements": [{"id": "a", "element_id": "a", "value": 1}]},
     {"custom_elements.0.id": ["Give element_id or its alias id, not both."]}),
    ({"custom_elements": [{"id": "nope", "value": 1}]},
     {"custom_elements.0.element_id": ["No element with this id on this task."]}),
    ({"actor_email": "nobody@example.com"},
     {"actor_email": ["No active member of this team has this email."]}),
    ({"approval": None}, {"approval": ["Field may not be null."]}),
])
def test_bad_patch_bodies_are_422_and_change_nothing(flow, clock, body, details):
    before = row(RunTask, flow.fill["id"]), row(Run, flow.run["id"]), counts()
    response = flow.send(flow.fill, body)
    assert response.status_code == 422
    assert response.get_json() == validation(details)
    assert (row(RunTask, flow.fill["id"]), row(Run, flow.run["id"]), counts()) == before


def test_a_multi_field_patch_with_one_bad_field_changes_nothing(flow, clock, client, auth):
    before = row(RunTask, flow.fill["id"]), row(Run, flow.run["id"]), counts()
    response = flow.send(flow.fill, {
        "assignee": flow.member.email, "actor_email": flow.member.email, "completed": True,
        "custom_elements": [{"element_id": flow.name, "value": "Ada"},
                            {"element_id": flow.count, "value": 2},
                            {"element_id": flow.buddy, "value": "stranger@example.com"}]})
    assert response.status_code == 422
    assert response.get_json() == validation({"custom_elements.2.value": [
        "Must be the user id or email of an active member of the team."]})
    assert (row(RunTask, flow.fill["id"]), row(Run, flow.run["id"]), counts()) == before
    # the same PATCH with the last value fixed applies every field at once
    response = flow.send(flow.fill, {
        "assignee": flow.member.email, "actor_email": flow.member.email, "completed": True,
        "custom_elements": [{"element_id": flow.name, "value": "Ada"},
                            {"element_id": flow.count, "value": 2},
                            {"element_id": flow.buddy, "value": flow.member.email}]})
    task = response.get_json()["data"]
    assert (task["assignee"], task["completed_by"], task["completed"]) == (
        flow.member.id, flow.member.id, True)
    assert [e["value"] for e in task["custom_elements"]] == ["Ada", 2, flow.member.id]
    assert tasks_of(client, auth, flow.run["id"])[0] == task


def test_patches_that_change_nothing_write_nothing(flow, clock):
    clock.tick()
    before = row(RunTask, flow.optional["id"]), row(Run, flow.run["id"])
    for body in ({}, {"actor_email": flow.member.email}, {"completed": False},
                 {"skipped": False}, {"assignee": None}, {"custom_elements": []}):
        response = flow.send(flow.optional, body)
        assert response.status_code == 200
        assert response.get_json()["data"] == flow.optional
    assert (row(RunTask, flow.optional["id"]), row(Run, flow.run["id"])) == before


def test_the_last_task_done_completes_the_run_which_then_freezes(flow, clock, client, auth):
    flow.send(flow.fill, {"completed": True, "custom_elements": [
        {"element_id": flow.name, "value": "x"}]})
    flow.send(flow.optional, {"skipped": True})
    flow.send(flow.approve, {"approval": {"status": "approved"}})
    assert Run.get_by_id(flow.run["id"]).status == "active"
    done_at = clock.tick()
    response = flow.send(flow.after, {"completed": True})
    assert response.status_code == 200
    run = client.get(f"{RUNS}/{flow.run['id']}", headers=auth).get_json()["data"]
    assert (run["status"], run["completed_at"], run["updated_at"]) == (
        "completed", stamp(done_at), stamp(done_at))
    clock.tick()
    before = [row(RunTask, t["id"]) for t in (flow.fill, flow.optional, flow.after)]
    before += [row(Run, flow.run["id"]), counts()]
    for task, body in ((flow.after, {"completed": False}), (flow.fill, {}),
                       (flow.optional, {"skipped": False}), (flow.fill, {"assignee": None})):
        response = flow.send(task, body)
        assert response.status_code == 409
        assert response.get_json() == {"error": {
            "code": "run_completed",
            "message": "The process run is completed; its tasks cannot change"}}
    after = [row(RunTask, t["id"]) for t in (flow.fill, flow.optional, flow.after)]
    assert after + [row(Run, flow.run["id"]), counts()] == before
    assert Event.select().where(Event.event == "process_run.completed").count() == 1


def test_a_single_task_run_completes_on_skip(client, auth, team, make_template, clock):
    run = started(client, auth, make_template(team, tasks=[{"is_essential": False}]))
    task = tasks_of(client, auth, run["id"])[0]
    assert patch(client, auth, run["id"], task["id"], {"skipped": True}).status_code == 200
    assert Run.get_by_id(run["id"]).status == "completed"


def test_patch_body_must_be_a_json_object(flow, client, auth):
    url = f"{RUNS}/{flow.run['id']}/tasks/{flow.fill['id']}"
    response = client.patch(url, data="completed=true", headers=auth,
                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = client.patch(url, data="[]", headers=auth, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_patch_costs_do_not_grow_with_the_run(client, auth, team, make_template, make_member):
    """Completing a task reads the run's other tasks in one query, however many there are."""
    member = make_member(team, email="m@example.com")
    measured = []
    for size in (2, 60):
        template = make_template(team, tasks=[{"depends_on": [i - 1] if i else [],
                                               "webhook_enabled": True}
                                              for i in range(size)])
        run = started(client, auth, template)
        first = tasks_of(client, auth, run["id"])[0]
        with count_queries() as assign:
            patch(client, auth, run["id"], first["id"], {"assignee": member.email})
        with count_queries() as complete:
            patch(client, auth, run["id"], first["id"], {"completed": True,
                                                         "actor_email": member.email})
        measured.append((assign.count, complete.count))
    # key, task with its run (one join), members, run revision compare-and-set, task
    # update; completing adds the other tasks' states, the webhooks to notify and the
    # event (one query each)
    assert measured == [(5, 8), (5, 8)]
