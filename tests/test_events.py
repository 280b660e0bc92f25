"""Event rows (contract §8) written with the change they report, and only then."""
import re
from datetime import datetime

import pytest
from test_run_helpers import counts, patch, row, start, started, tasks_of

from nextstep.models import Event, Member, Run, RunTask

START = datetime(2026, 3, 2, 9, 0)
DONE = datetime(2026, 3, 3, 10, 30)
API = {"user_id": None, "email": None, "is_guest": False}


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr("nextstep.services.runs.utcnow", lambda: START)
    monkeypatch.setattr("nextstep.services.run_tasks.utcnow", lambda: DONE)


@pytest.fixture
def setup(client, auth, team, make_template, make_member, clock):
    member = make_member(team, email="Eve@Example.com")
    template = make_template(team, title="Hiring", tasks=[
        {"title": "Screen", "webhook_enabled": True,
         "elements": [{"type": "shortText", "label": "Notes"},
                      {"type": "dropdown", "label": "Verdict", "options": ["yes", "no"]},
                      {"type": "text", "label": "Read this"}]},
        {"title": "Quiet", "is_essential": False},
        {"title": "Sign off", "type": "approval", "webhook_enabled": True, "depends_on": [0]},
    ])
    return template, member


def events(name=None):
    query = Event.select().order_by(Event.created_at, Event.event.desc())
    rows = list(query.where(Event.event == name) if name else query)
    for event in rows:
        assert re.fullmatch(r"evt_[A-Za-z0-9]{20}", event.id)
        assert event.payload["id"] == event.id and event.payload["event"] == event.event
    return rows


def test_run_created_by_the_api(client, auth, team, setup):
    template, _member = setup
    run = started(client, auth, template, name="Hire Ann", due_date="2026-03-10T12:00:00Z")
    [event] = events()
    assert (event.team_id, event.event, event.created_at) == (
        team.id, "process_run.created", START)
    assert event.payload == {
        "id": event.id, "event": "process_run.created", "timestamp": "2026-03-02T09:00:00.000Z",
        "test": False, "data": {
            "instance_id": run["id"], "template_id": template.id, "title": "Hire Ann",
            "started_by": API, "started_at": "2026-03-02T09:00:00.000Z",
            "due_date": "2026-03-10T12:00:00.000Z", "is_shared": False, "task_count": 3}}


def test_run_created_by_a_member(client, auth, setup):
    template, member = setup
    started(client, auth, template, actor_email="eve@example.com")
    [event] = events()
    assert event.payload["data"]["started_by"] == {
        "user_id": member.id, "email": "Eve@Example.com", "is_guest": False}
    assert event.payload["data"]["due_date"] is None


def test_step_and_run_completed(client, auth, setup):
    template, member = setup
    run = started(client, auth, template, actor_email=member.email)
    screen, quiet, sign_off = tasks_of(client, auth, run["id"])
    notes, verdict, _text = (e["id"] for e in screen["custom_elements"])
    patch(client, auth, run["id"], quiet["id"], {"completed": True})
    assert events("process_step.completed") == []  # webhook_enabled is off for this one
    patch(client, auth, run["id"], screen["id"], {
        "completed": True, "actor_email": member.email,
        "custom_elements": [{"element_id": verdict, "value": "yes"}]})
    [step] = events("process_step.completed")
    assert step.created_at == DONE
    assert step.payload == {
        "id": step.id, "event": "process_step.completed",
        "timestamp": "2026-03-03T10:30:00.000Z", "test": False, "data": {
            "task_id": screen["id"], "instance_id": run["id"], "title": "Screen",
            "completed_at": "2026-03-03T10:30:00.000Z",
            "completed_by": {"user_id": member.id, "email": "Eve@Example.com",
                             "is_guest": False},
            "custom_elements": [
                {"id": notes, "type": "shortText", "label": "Notes", "required": False,
                 "display_only": False, "options": None, "value": None},
                {"id": verdict, "type": "dropdown", "label": "Verdict", "required": False,
                 "display_only": False, "options": ["yes", "no"], "value": "yes"},
                {"id": _text, "type": "text", "label": "Read this", "required": False,
                 "display_only": True, "options": None, "value": None}]}}
    assert events("process_run.completed") == []
    patch(client, auth, run["id"], sign_off["id"], {"approval": {"status": "approved"}})
    approved, run_done = events()[-2:]
    assert approved.event == "process_step.completed"
    assert approved.payload["data"]["completed_by"] == API
    assert approved.payload["data"]["custom_elements"] == []
    assert run_done.payload == {
        "id": run_done.id, "event": "process_run.completed",
        "timestamp": "2026-03-03T10:30:00.000Z", "test": False, "data": {
            "instance_id": run["id"], "template_id": template.id, "title": "Hiring",
            "started_by": {"user_id": member.id, "email": "Eve@Example.com",
                           "is_guest": False},
            "started_at": "2026-03-02T09:00:00.000Z",
            "completed_at": "2026-03-03T10:30:00.000Z"}}
    assert [e.event for e in events()] == [
        "process_run.created", "process_step.completed", "process_step.completed",
        "process_run.completed"]


def test_skipping_and_reopening_emit_nothing(client, auth, team, make_template, clock):
    template = make_template(team, tasks=[{"webhook_enabled": True, "is_essential": False},
                                          {"webhook_enabled": True}])
    run = started(client, auth, template)
    first, second = tasks_of(client, auth, run["id"])
    patch(client, auth, run["id"], second["id"], {"completed": True})
    patch(client, auth, run["id"], second["id"], {"completed": False})
    assert [e.event for e in events()] == ["process_run.created", "process_step.completed"]
    patch(client, auth, run["id"], first["id"], {"skipped": True})
    assert [e.event for e in events()] == ["process_run.created", "process_step.completed"]
    patch(client, auth, run["id"], second["id"], {"completed": True})
    assert [e.event for e in events()][-2:] == ["process_step.completed",
                                                "process_run.completed"]


def test_a_deleted_starter_keeps_the_user_id(client, auth, team, make_template, make_member,
                                             clock):
    member = make_member(team, email="leaver@example.com")
    run = started(client, auth, make_template(team), actor_email=member.email)
    Member.delete().where(Member.id == member.id).execute()
    task = tasks_of(client, auth, run["id"])[0]
    patch(client, auth, run["id"], task["id"], {"completed": True})
    assert events("process_run.completed")[0].payload["data"]["started_by"] == {
        "user_id": member.id, "email": None, "is_guest": False}


def test_rejected_requests_write_no_events(client, auth, setup, team, make_template):
    template, _member = setup
    run = started(client, auth, template)
    screen, quiet, sign_off = tasks_of(client, auth, run["id"])
    draft = make_template(team, publish=False)
    assert start(client, auth, draft).status_code == 409
    assert start(client, auth, "nope").status_code == 404
    assert start(client, auth, template, actor_email="nobody@example.com").status_code == 422
    assert patch(client, auth, run["id"], sign_off["id"],
                 {"approval": {"status": "approved"}}).status_code == 409
    assert patch(client, auth, run["id"], screen["id"],
                 {"completed": True, "assignee": "nobody@example.com"}).status_code == 422
    assert [e.event for e in events()] == ["process_run.created"]


def test_a_patch_failing_after_its_writes_is_rolled_back(client, auth, setup, monkeypatch):
    """The task, the run and the events share one transaction."""
    template, _member = setup
    run = started(client, auth, template)
    screen = tasks_of(client, auth, run["id"])[0]
    before = row(RunTask, screen["id"]), row(Run, run["id"]), counts()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr("nextstep.services.events.record", explode)
    response = patch(client, auth, run["id"], screen["id"], {"completed": True})
    assert response.status_code == 500
    assert (row(RunTask, screen["id"]), row(Run, run["id"]), counts()) == before
