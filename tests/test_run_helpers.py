"""Helpers the run test modules share (no tests here; conftest.py is not ours to grow).

`install_clock` and `make_flow` back the `clock` and `flow` fixtures of the PATCH modules.
"""
from datetime import datetime, timedelta
from types import SimpleNamespace

from nextstep.models import Event, Run, RunTask

RUNS = "/api/v1/process-runs"
T0 = datetime(2026, 3, 2, 9, 0, 0)


def start(client, auth, template=None, **body):
    """POST /process-runs; `template` (a Template or an id) fills template_id."""
    if template is not None:
        body.setdefault("template_id", getattr(template, "id", template))
    return client.post(RUNS, json=body, headers=auth)


def started(client, auth, template, **body):
    """Start a run and return its `data`, failing loudly on anything but 201."""
    response = start(client, auth, template, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def tasks_of(client, auth, run_id):
    response = client.get(f"{RUNS}/{run_id}/tasks?limit=100", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def patch(client, auth, run_id, task_id, body):
    return client.patch(f"{RUNS}/{run_id}/tasks/{task_id}", json=body, headers=auth)


def row(model, pk):
    """A row's stored columns, to compare before and after a request."""
    return dict(model.get_by_id(pk).__data__)


def counts():
    return Run.select().count(), RunTask.select().count(), Event.select().count()


def error(response):
    return response.get_json()["error"]


def validation(details):
    """The exact body of a 422 from our validators."""
    return {"error": {"code": "validation_error", "message": "The request body is not valid",
                      "details": details}}


def install_clock(monkeypatch):
    """The time PATCHes see; `clock.tick()` moves it on by a minute."""
    state = SimpleNamespace(now=T0)

    def tick(minutes=1):
        state.now += timedelta(minutes=minutes)
        return state.now
    state.tick = tick
    monkeypatch.setattr("nextstep.services.run_tasks.utcnow", lambda: state.now)
    return state


def make_flow(client, auth, team, make_template, make_member):
    """A run of four tasks: Fill (required Name, Count, Buddy), Optional, Approve, After."""
    member = make_member(team, email="doer@example.com")
    template = make_template(team, tasks=[
        {"title": "Fill", "elements": [{"type": "shortText", "label": "Name", "required": True},
                                       {"type": "number", "label": "Count"},
                                       {"type": "member", "label": "Buddy"}]},
        {"title": "Optional", "is_essential": False},
        {"title": "Approve", "type": "approval", "is_essential": False, "depends_on": [0]},
        {"title": "After", "depends_on": [0, 1]},
    ])
    run = started(client, auth, template)
    fill, optional, approve, after = tasks_of(client, auth, run["id"])
    name, count, buddy = (e["id"] for e in fill["custom_elements"])

    def send(task, body, key=auth):
        return patch(client, key, run["id"], task["id"], body)
    return SimpleNamespace(run=run, fill=fill, optional=optional, approve=approve, after=after,
                           name=name, count=count, buddy=buddy, member=member, send=send)


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
