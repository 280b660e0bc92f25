"""ETags (contract §12): If-None-Match -> 304 on single-resource GETs, If-Match on PATCH
-> 412 when stale, nothing written."""
import re
import sys

import pytest
from playhouse.test_utils import count_queries
from test_run_helpers import RUNS, counts, error, row, started, tasks_of

from nextstep.models import RunTask

STRONG = re.compile(r'"[0-9a-f]{32}"')


@pytest.fixture
def run(client, auth, team, make_template):
    return started(client, auth, make_template(team, tasks=[{"title": "A"}, {"title": "B"}]))


def test_single_resources_carry_a_strong_etag_and_lists_none(client, auth, run):
    task = tasks_of(client, auth, run["id"])[0]
    for path in (f"{RUNS}/{run['id']}", f"{RUNS}/{run['id']}/tasks/{task['id']}",
                 f"/api/v1/process-templates/{run['template_id']}"):
        response = client.get(path, headers=auth)
        assert response.status_code == 200 and STRONG.fullmatch(response.headers["ETag"])
        assert client.get(path, headers=auth).headers["ETag"] == response.headers["ETag"]
    for path in (RUNS, f"{RUNS}/{run['id']}/tasks", "/api/v1/process-templates"):
        assert "ETag" not in client.get(path, headers=auth).headers


@pytest.mark.parametrize("sent", ["{tag}", "W/{tag}", '"other", {tag}', "*"])
def test_if_none_match_with_the_current_tag_is_304_without_a_body(client, auth, run, sent):
    path = f"{RUNS}/{run['id']}"
    tag = client.get(path, headers=auth).headers["ETag"]
    with count_queries() as plain:
        client.get(path, headers=auth)
    with count_queries() as conditional:
        response = client.get(path, headers=dict(auth, **{"If-None-Match":
                                                           sent.format(tag=tag)}))
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == tag and response.headers["X-Request-Id"]
    assert "Content-Type" not in response.headers
    assert conditional.count == plain.count  # no query to know it


def test_head_is_304_too_and_another_tag_is_200(client, auth, run):
    path = f"{RUNS}/{run['id']}"
    tag = client.get(path, headers=auth).headers["ETag"]
    assert client.head(path, headers=dict(auth, **{"If-None-Match": tag})).status_code == 304
    other = client.get(path, headers=dict(auth, **{"If-None-Match": '"0000"'}))
    assert other.status_code == 200 and other.get_json()["data"]["id"] == run["id"]


def test_the_tag_changes_with_the_resource(client, auth, run):
    path = f"{RUNS}/{run['id']}"
    tag = client.get(path, headers=auth).headers["ETag"]
    for task in tasks_of(client, auth, run["id"]):
        client.patch(f"{path}/tasks/{task['id']}", json={"completed": True}, headers=auth)
    response = client.get(path, headers=dict(auth, **{"If-None-Match": tag}))
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "completed"
    assert response.headers["ETag"] != tag


def test_a_patch_with_the_current_tag_applies_and_answers_the_new_one(client, auth, run):
    task = tasks_of(client, auth, run["id"])[0]
    path = f"{RUNS}/{run['id']}/tasks/{task['id']}"
    tag = client.get(path, headers=auth).headers["ETag"]
    response = client.patch(path, json={"completed": True},
                            headers=dict(auth, **{"If-Match": tag}))
    assert response.status_code == 200 and response.get_json()["data"]["completed"] is True
    assert response.headers["ETag"] == client.get(path, headers=auth).headers["ETag"] != tag
    star = client.patch(path, json={"completed": False}, headers=dict(auth, **{"If-Match": "*"}))
    assert star.status_code == 200


@pytest.mark.parametrize("stale", ['"0123"', "W/{tag}"])
def test_a_stale_or_weak_if_match_is_412_and_writes_nothing(client, auth, run, stale):
    task = tasks_of(client, auth, run["id"])[0]
    path = f"{RUNS}/{run['id']}/tasks/{task['id']}"
    tag = client.get(path, headers=auth).headers["ETag"]
    before, stored = counts(), row(RunTask, task["id"])
    response = client.patch(path, json={"completed": True},
                            headers=dict(auth, **{"If-Match": stale.format(tag=tag)}))
    assert response.status_code == 412
    assert error(response) == {
        "code": "precondition_failed",
        "message": "The resource has changed since the ETag in If-Match was read; nothing "
                   "was changed. GET it again for its current ETag"}
    assert counts() == before and row(RunTask, task["id"]) == stored


def test_two_people_with_one_tag_cannot_overwrite_each_other(client, auth, run):
    task = tasks_of(client, auth, run["id"])[0]
    path = f"{RUNS}/{run['id']}/tasks/{task['id']}"
    tag = client.get(path, headers=auth).headers["ETag"]
    first = client.patch(path, json={"completed": True}, headers=dict(auth, **{"If-Match": tag}))
    second = client.patch(path, json={"completed": False},
                          headers=dict(auth, **{"If-Match": tag}))
    assert (first.status_code, second.status_code) == (200, 412)
    assert tasks_of(client, auth, run["id"])[0]["completed"] is True


@pytest.mark.parametrize("other_task, expected", [(False, 412), (True, 200)])
def test_a_change_committed_between_the_read_and_the_write(client, auth, team, run,
                                                           monkeypatch, other_task, expected):
    """Another PATCH commits after this one checked If-Match and planned: the lost
    compare-and-set re-reads and checks again. A change to this task is 412; one to
    another task of the run leaves this task's ETag valid and the PATCH applies."""
    service = sys.modules["nextstep.services.run_tasks"]
    one, two = tasks_of(client, auth, run["id"])
    path = f"{RUNS}/{run['id']}/tasks/{one['id']}"
    tag = client.get(path, headers=auth).headers["ETag"]
    real_plan = service.plan
    interfered = []

    def plan_then_interfere(reading, changes, now):
        planned = real_plan(reading, changes, now)
        if not interfered:
            interfered.append(True)
            target = two if other_task else one
            service.update_task(team, run["id"], target["id"], {"completed": True})
        return planned
    monkeypatch.setattr(service, "plan", plan_then_interfere)
    response = client.patch(path, json={"assignee": None, "completed": True},
                            headers=dict(auth, **{"If-Match": tag}))
    assert response.status_code == expected
    assert interfered and row(RunTask, two["id"])["completed"] is other_task
    assert row(RunTask, one["id"])["completed"] is True
