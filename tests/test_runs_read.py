"""Reading runs and run tasks: filters, keyset pages, cursors, team walls, query counts."""
from datetime import datetime, timedelta

import pytest
from playhouse.test_utils import count_queries
from test_run_helpers import RUNS, patch, started, tasks_of

from nextstep.db import is_sqlite
from nextstep.ids import new_id
from nextstep.models import Run, RunTask

NOT_FOUND_RUN = {"error": {"code": "not_found", "message": "Process run not found"}}
NOT_FOUND_TASK = {"error": {"code": "not_found", "message": "Process run task not found"}}
BAD_CURSOR = {"error": {"code": "bad_request", "message": "cursor does not belong to this list",
                        "details": {"cursor": ["Unknown cursor for this list."]}}}
TASK_KEYS = ["approval", "assignee", "completed", "completed_at", "completed_by", "created_at",
             "custom_elements", "depends_on", "due_date", "id", "instance_id", "is_essential",
             "order", "section_id", "skipped", "template_task_id", "title", "type",
             "updated_at", "webhook_enabled"]
BASE = datetime(2026, 1, 1, 12)


def make_runs(team, template, count, status="active", start=0, same_time=False):
    """Runs straight in the table, one second apart (or all at one instant)."""
    rows = []
    for i in range(start, start + count):
        at = BASE + timedelta(seconds=start if same_time else i)
        rows.append({"id": new_id(), "team": team.id, "template": template.id,
                     "template_version": 1, "title": f"Run {i}", "status": status,
                     "timezone": "UTC", "sections": [], "created_at": at, "updated_at": at})
    Run.insert_many(rows).execute()
    return [r["id"] for r in rows]


def make_tasks(run_id, count):
    RunTask.insert_many([{"id": new_id(), "run": run_id, "template_task_id": new_id(),
                          "title": f"T{i}", "position": i,
                          "custom_elements": [{"id": "e", "type": "shortText", "label": "L",
                                               "required": False, "display_only": False,
                                               "options": None, "value": str(i)}]}
                         for i in range(count)]).execute()


def get(client, auth, path):
    return client.get(path, headers=auth)


def walk(client, auth, path, limit):
    """Every page of a list, following next_cursor; returns (ids, pages)."""
    ids, pages, cursor = [], [], None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = get(client, auth, url).get_json()
        pages.append(body["pagination"])
        ids += [item["id"] for item in body["data"]]
        if not body["pagination"]["has_more"]:
            return ids, pages
        cursor = body["pagination"]["next_cursor"]


def test_show_run_and_task_shapes(client, auth, make_template, team):
    template = make_template(team, tasks=[{"elements": [{"type": "email", "label": "Mail"}]}])
    run = started(client, auth, template)
    assert get(client, auth, f"{RUNS}/{run['id']}").get_json() == {"data": run}
    task = tasks_of(client, auth, run["id"])[0]
    assert sorted(task) == TASK_KEYS
    body = get(client, auth, f"{RUNS}/{run['id']}/tasks/{task['id']}").get_json()
    assert body == {"data": task}
    for key in ("completed_at", "completed_by", "due_date", "approval", "assignee",
                "section_id"):
        assert key in task and task[key] is None


def test_missing_ids_are_404(client, auth, make_template, team):
    run = started(client, auth, make_template(team))
    task_id = tasks_of(client, auth, run["id"])[0]["id"]
    assert get(client, auth, f"{RUNS}/nope").get_json() == NOT_FOUND_RUN
    assert get(client, auth, f"{RUNS}/nope/tasks").get_json() == NOT_FOUND_RUN
    assert get(client, auth, f"{RUNS}/nope/tasks/{task_id}").get_json() == NOT_FOUND_RUN
    response = get(client, auth, f"{RUNS}/{run['id']}/tasks/nope")
    assert response.status_code == 404 and response.get_json() == NOT_FOUND_TASK


def test_another_teams_runs_and_tasks_are_404_everywhere(client, auth, team, make_team,
                                                         make_key, make_template):
    """Team B's key cannot see or touch team A's run, task or template in any way."""
    mine = make_template(team)
    run = started(client, auth, mine)
    task_id = tasks_of(client, auth, run["id"])[0]["id"]
    other_team = make_team()
    theirs = {"Authorization": f"Bearer {make_key(other_team)[0]}"}
    before = (dict(Run.get_by_id(run["id"]).__data__),
              dict(RunTask.get_by_id(task_id).__data__))
    assert get(client, theirs, f"{RUNS}/{run['id']}").get_json() == NOT_FOUND_RUN
    assert get(client, theirs, f"{RUNS}/{run['id']}/tasks").get_json() == NOT_FOUND_RUN
    assert get(client, theirs, f"{RUNS}/{run['id']}/tasks/{task_id}").get_json() == \
        NOT_FOUND_RUN
    response = patch(client, theirs, run["id"], task_id, {"completed": True})
    assert response.status_code == 404 and response.get_json() == NOT_FOUND_RUN
    response = client.post(RUNS, json={"template_id": mine.id}, headers=theirs)
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "Process template not found"
    listed = get(client, theirs, f"{RUNS}?template_id={mine.id}").get_json()
    assert listed == {"data": [], "pagination": {"next_cursor": None, "has_more": False}}
    assert get(client, theirs, RUNS).get_json()["data"] == []
    response = get(client, theirs, f"{RUNS}?cursor={run['id']}")
    assert response.status_code == 400 and response.get_json() == BAD_CURSOR
    assert before == (dict(Run.get_by_id(run["id"]).__data__),
                      dict(RunTask.get_by_id(task_id).__data__))


def test_a_task_of_another_run_is_404_under_this_run(client, auth, make_template, team):
    template = make_template(team)
    first, second = started(client, auth, template), started(client, auth, template)
    foreign = tasks_of(client, auth, second["id"])[0]["id"]
    response = get(client, auth, f"{RUNS}/{first['id']}/tasks/{foreign}")
    assert response.status_code == 404 and response.get_json() == NOT_FOUND_TASK
    response = patch(client, auth, first["id"], foreign, {"completed": True})
    assert response.status_code == 404 and response.get_json() == NOT_FOUND_TASK
    assert RunTask.get_by_id(foreign).completed is False
    response = get(client, auth, f"{RUNS}/{first['id']}/tasks?cursor={foreign}")
    assert response.status_code == 400 and response.get_json() == BAD_CURSOR


def test_list_is_newest_first_with_id_tiebreak(client, auth, team, make_template):
    template = make_template(team)
    spread = make_runs(team, template, 3)
    tied = make_runs(team, template, 3, start=10, same_time=True)
    ids, _ = walk(client, auth, RUNS, 2)
    assert ids == [r["id"] for r in get(client, auth, f"{RUNS}?limit=100").get_json()["data"]]
    assert set(ids[:3]) == set(tied) and ids[3:] == spread[::-1]
    if is_sqlite():  # PostgreSQL compares ids by its collation, consistently but differently
        assert ids[:3] == sorted(tied, reverse=True)


def test_filters_and_cursors_continue_the_filtered_list(client, auth, team, make_template):
    one, two = make_template(team, title="One"), make_template(team, title="Two")
    a = make_runs(team, one, 5, start=0)
    b = make_runs(team, two, 4, start=100)
    c = make_runs(team, one, 3, status="completed", start=200)
    ids, pages = walk(client, auth, f"{RUNS}?template_id={one.id}", 2)
    assert ids == (a + c)[::-1]
    assert [p["has_more"] for p in pages] == [True, True, True, False]
    ids, _ = walk(client, auth, f"{RUNS}?status=completed", 2)
    assert ids == c[::-1]
    ids, _ = walk(client, auth, f"{RUNS}?status=active&template_id={one.id}", 3)
    assert ids == a[::-1]
    ids, _ = walk(client, auth, f"{RUNS}?status=active", 4)
    assert ids == (a + b)[::-1]
    body = get(client, auth, f"{RUNS}?template_id=unknown").get_json()
    assert body == {"data": [], "pagination": {"next_cursor": None, "has_more": False}}
    body = get(client, auth, f"{RUNS}?limit=2").get_json()
    assert [r["id"] for r in body["data"]] == c[::-1][:2]
    assert body["pagination"] == {"next_cursor": c[1], "has_more": True}


def test_last_page_has_more_false_and_cursor_kept(client, auth, team, make_template):
    ids = make_runs(team, make_template(team), 2)
    body = get(client, auth, f"{RUNS}?limit=2").get_json()
    assert body["pagination"] == {"next_cursor": ids[0], "has_more": False}
    body = get(client, auth, f"{RUNS}?cursor={ids[0]}").get_json()
    assert body == {"data": [], "pagination": {"next_cursor": None, "has_more": False}}


@pytest.mark.parametrize("query, details", [
    ("status=done", {"status": ["Must be one of: active, completed."]}),
    ("status=", {"status": ["Must be one of: active, completed."]}),
    ("limit=0", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("limit=101", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("limit=ten", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("cursor=nope", {"cursor": ["Unknown cursor for this list."]}),
])
def test_bad_list_parameters_are_400(client, auth, query, details):
    response = get(client, auth, f"{RUNS}?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert response.get_json()["error"]["details"] == details


def test_run_tasks_are_listed_by_position_and_paginated(client, auth, team, make_template):
    template = make_template(team, tasks=[{"title": f"T{i}"} for i in range(25)])
    run = started(client, auth, template)
    body = get(client, auth, f"{RUNS}/{run['id']}/tasks").get_json()
    assert [t["order"] for t in body["data"]] == list(range(20))
    assert body["pagination"] == {"next_cursor": body["data"][-1]["id"], "has_more": True}
    ids, pages = walk(client, auth, f"{RUNS}/{run['id']}/tasks", 7)
    assert ids == [t["id"] for t in tasks_of(client, auth, run["id"])]
    assert len(ids) == 25 and [p["has_more"] for p in pages] == [True, True, True, False]
    response = get(client, auth, f"{RUNS}/{run['id']}/tasks?limit=101")
    assert response.status_code == 400


def test_list_pages_cost_constant_queries(client, auth, team, make_template):
    template = make_template(team)
    ids = make_runs(team, template, 150)
    get(client, auth, RUNS)  # the key's last-use stamp is written once a minute
    with count_queries() as first:
        body = get(client, auth, f"{RUNS}?limit=20").get_json()
    assert len(body["data"]) == 20
    with count_queries() as deep:
        body = get(client, auth, f"{RUNS}?limit=20&cursor={ids[30]}").get_json()
    assert [r["id"] for r in body["data"]] == ids[10:30][::-1]
    with count_queries() as filtered:
        get(client, auth, f"{RUNS}?limit=100&status=active&template_id={template.id}"
                          f"&cursor={ids[120]}")
    assert (first.count, deep.count, filtered.count) == (2, 3, 3)  # key, [cursor], page


def test_task_pages_cost_constant_queries(client, auth, team, make_template):
    run_id = make_runs(team, make_template(team), 1)[0]
    make_tasks(run_id, 250)
    get(client, auth, RUNS)
    with count_queries() as first:
        body = get(client, auth, f"{RUNS}/{run_id}/tasks?limit=100").get_json()
    assert len(body["data"]) == 100 and body["data"][99]["custom_elements"][0]["value"] == "99"
    with count_queries() as deep:
        body = get(client, auth, f"{RUNS}/{run_id}/tasks?limit=100"
                                 f"&cursor={body['pagination']['next_cursor']}").get_json()
    assert [t["order"] for t in body["data"]] == list(range(100, 200))
    with count_queries() as single:
        get(client, auth, f"{RUNS}/{run_id}/tasks/{body['data'][0]['id']}")
    with count_queries() as one_run:
        get(client, auth, f"{RUNS}/{run_id}")
    # the team is checked by a join, so: key, [cursor], page; key + task; key + run
    assert (first.count, deep.count, single.count, one_run.count) == (2, 3, 2, 2)
    last = get(client, auth, f"{RUNS}/{run_id}/tasks?limit=100&cursor="
                             f"{body['pagination']['next_cursor']}").get_json()
    assert len(last["data"]) == 50 and last["pagination"]["has_more"] is False
    with count_queries() as past_the_end:  # an empty page reads the run: ours, so 200
        body = get(client, auth, f"{RUNS}/{run_id}/tasks?cursor={last['data'][-1]['id']}")
    assert body.get_json() == {"data": [], "pagination": {"next_cursor": None,
                                                          "has_more": False}}
    assert past_the_end.count == 4


def test_wrong_methods_are_405_with_allow(client, auth, team, make_template):
    run = started(client, auth, make_template(team))
    response = client.delete(f"{RUNS}/{run['id']}", headers=auth)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"] and "DELETE" not in response.headers["Allow"]
    response = client.put(f"{RUNS}/{run['id']}/tasks/x", headers=auth, json={})
    assert response.status_code == 405 and "PATCH" in response.headers["Allow"]
