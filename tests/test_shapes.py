"""Each hand-written output shape gives what the marshmallow schema of that shape gives.

The hot paths answer with functions written by hand (schemas/run_task.py, events.py,
template.py say why); the schemas describe the same shapes field by field. These tests
dump many rows both ways, nulls, approvals and elements of every type included, and
compare the JSON byte for byte (key order too: the API keeps it).
"""
import itertools
from datetime import datetime

import orjson
import pytest

from nextstep.models import CustomElement, Member, Run, RunTask, TemplateTask
from nextstep.models.template import ELEMENT_TYPES, OPTION_ELEMENT_TYPES
from nextstep.schemas.events import (
    EVENT_SCHEMAS,
    RUN_COMPLETED,
    RUN_CREATED,
    STEP_COMPLETED,
    envelope_shape,
    person_shape,
    run_completed_data,
    run_created_data,
    step_completed_data,
)
from nextstep.schemas.run_task import RunTaskSchema, run_task_shape
from nextstep.schemas.template import TemplateTaskSchema, template_task_shape
from nextstep.services.templates import attach_children

WHEN = datetime(2026, 3, 27, 2, 8, 5, 224000)
LATER = datetime(2026, 4, 1, 9, 0)
VALUES = {"shortText": "ref-1", "longText": "a\nlong text", "email": "a@example.com",
          "url": "https://example.com/x", "number": 12.5, "date": "2026-04-01",
          "checkbox": True, "dropdown": "ok", "multiSelect": ["ok", "n/a"],
          "member": "U" * 20}


def json(value):
    return orjson.dumps(value)


def element(kind, value=None, required=False):
    return {"id": f"E{kind[:18]:<19}"[:20], "type": kind, "label": f"The {kind}",
            "required": required, "display_only": kind not in VALUES,
            "options": ["ok", "needs work", "n/a"] if kind in OPTION_ELEMENT_TYPES else None,
            "value": value}


def every_element():
    """Each type empty and (for value types) filled, required and not."""
    elements = []
    for kind in ELEMENT_TYPES:
        elements.append(element(kind))
        if kind in VALUES:
            elements.append(element(kind, VALUES[kind], required=True))
            elements.append(element(kind, None, required=True))
    return elements


def run_task_rows():
    """Rows as a `.dicts()` page reads them, across every nullable column and state."""
    approvals = [None, {"status": "approved", "comment": None, "by": "api",
                        "at": "2026-03-27T02:08:05.224Z"},
                 {"status": "rejected", "comment": "Not yet", "by": "M" * 20,
                  "at": "2026-04-01T09:00:00.000Z"}]
    element_lists = [[], every_element(), [element("checkbox", False)]]
    rows = []
    for n, (done, nullable, approval, elements) in enumerate(itertools.product(
            (False, True), (False, True), approvals, element_lists)):
        rows.append({
            "id": f"T{n:019d}", "run": "R" * 20, "template_task_id": "P" * 20,
            "title": f"Task {n}", "description": None if nullable else "Why it matters",
            "position": n, "section_id": None if nullable else "S" * 20,
            "type": "task" if approval is None else "approval",
            "is_essential": not nullable, "webhook_enabled": done,
            "assignee": None if nullable else "A" * 20,
            "due_date": None if nullable else LATER,
            "due_rule": None if nullable else {"type": "relative", "from": "task:" + "X" * 20,
                                               "offset": "P1D", "business_days": True},
            "depends_on": [] if nullable else ["D" * 20, "E" * 20],
            "completed": done, "completed_at": WHEN if done else None,
            "completed_by": ("api" if nullable else "M" * 20) if done else None,
            "skipped": not done and nullable and approval is None, "approval": approval,
            "custom_elements": elements, "created_at": WHEN, "updated_at": LATER})
    return rows


ROWS = run_task_rows()


def test_the_rows_cover_what_the_shape_can_hold():
    assert len(ROWS) == 36
    kinds = {e["type"] for row in ROWS for e in row["custom_elements"]}
    assert kinds == set(ELEMENT_TYPES)
    assert {None, "approved", "rejected"} == {(r["approval"] or {}).get("status") for r in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["id"])
def test_run_task_shape_is_the_run_task_schema(row):
    assert json(run_task_shape(row)) == json(RunTaskSchema().dump(row))
    assert json(run_task_shape(RunTask(**row))) == json(RunTaskSchema().dump(row))


def test_run_task_shape_of_rows_the_api_wrote(client, auth, team, make_template, make_member):
    """Rows started and patched through the API, read back as a page reads them."""
    member = make_member(team, email="m@example.com")
    template = make_template(team, tasks=[
        {"elements": [{"type": kind, "options": ["ok", "n/a"] if kind in OPTION_ELEMENT_TYPES
                       else None} for kind in ELEMENT_TYPES],
         "webhook_enabled": True, "assignee": member},
        {"type": "approval", "depends_on": [0],
         "due_date": {"type": "relative", "from": "task:0", "offset": "P1D"}},
        {"is_essential": False}])
    run = client.post("/api/v1/process-runs", headers=auth,
                      json={"template_id": template.id}).get_json()["data"]
    tasks = list(RunTask.select().where(RunTask.run == run["id"]).order_by(RunTask.position))
    values = [{"element_id": e["id"], "value": VALUES[e["type"]] if e["type"] != "member"
               else member.email} for e in tasks[0].custom_elements if e["type"] in VALUES]
    base = f"/api/v1/process-runs/{run['id']}/tasks/"
    for task_id, body in ((tasks[0].id, {"custom_elements": values, "completed": True,
                                         "actor_email": member.email}),
                          (tasks[1].id, {"approval": {"status": "rejected", "comment": "No"}}),
                          (tasks[2].id, {"skipped": True})):
        assert client.patch(base + task_id, headers=auth, json=body).status_code == 200
    rows = list(RunTask.select().where(RunTask.run == run["id"]).dicts())
    assert len(rows) == 3
    for row in rows:
        assert json(run_task_shape(row)) == json(RunTaskSchema().dump(row))
        answer = client.get(base + row["id"], headers=auth).get_json()["data"]
        assert answer == RunTaskSchema().dump(row)


def run(due_date=None, completed_at=None):
    return Run(id="R" * 20, team="T" * 20, template="P" * 20, template_version=3,
               title="Supplier onboarding", status="active", started_by="api",
               timezone="Europe/Berlin", due_date=due_date, is_shared=False, sections=[],
               created_at=WHEN, updated_at=WHEN, completed_at=completed_at, revision=0)


PEOPLE = [(Member(id="M" * 20, email="m@example.com"), None), (None, None), (None, "G" * 20)]


def person_source(member, user_id):
    return {"user_id": member.id if member else user_id,
            "email": member.email if member else None}


@pytest.mark.parametrize("member,user_id", PEOPLE)
@pytest.mark.parametrize("due_date", [None, LATER])
def test_run_created_is_its_schema(member, user_id, due_date):
    started, person = run(due_date), person_shape(member, user_id)
    by_hand = envelope_shape("evt_1", RUN_CREATED, LATER, run_created_data(started, person, 7))
    source = {"id": "evt_1", "event": RUN_CREATED, "timestamp": LATER, "test": False,
              "data": {"run": started, "started_by": person_source(member, user_id),
                       "task_count": 7}}
    assert json(by_hand) == json(EVENT_SCHEMAS[RUN_CREATED]().dump(source))


@pytest.mark.parametrize("member,user_id", PEOPLE)
def test_run_completed_is_its_schema(member, user_id):
    done, person = run(completed_at=LATER), person_shape(member, user_id)
    by_hand = envelope_shape("evt_2", RUN_COMPLETED, LATER, run_completed_data(done, person))
    source = {"id": "evt_2", "event": RUN_COMPLETED, "timestamp": LATER, "test": False,
              "data": {"run": done, "started_by": person_source(member, user_id)}}
    assert json(by_hand) == json(EVENT_SCHEMAS[RUN_COMPLETED]().dump(source))


@pytest.mark.parametrize("row", ROWS[::5], ids=lambda row: row["id"])
@pytest.mark.parametrize("member,user_id", PEOPLE[:2])
def test_step_completed_is_its_schema(row, member, user_id):
    task = RunTask(**dict(row, completed=True, completed_at=WHEN))
    person = person_shape(member, user_id)
    by_hand = envelope_shape("evt_3", STEP_COMPLETED, LATER, step_completed_data(task, person))
    source = {"id": "evt_3", "event": STEP_COMPLETED, "timestamp": LATER, "test": False,
              "data": {"task": task, "completed_by": person_source(member, user_id)}}
    assert json(by_hand) == json(EVENT_SCHEMAS[STEP_COMPLETED]().dump(source))


def test_template_task_shape_is_the_template_task_schema(team, make_member, make_template):
    """Tasks with and without section, assignee, description, rules and dependencies, and
    elements of every type, read as the tasks page reads them."""
    member = make_member(team)
    elements = [{"type": kind, "label": f"The {kind}", "required": kind in VALUES
                 and kind != "checkbox",
                 "options": ["ok", "n/a"] if kind in OPTION_ELEMENT_TYPES else None}
                for kind in ELEMENT_TYPES]
    template = make_template(team, sections=["One", "Two"], tasks=[
        {"elements": elements, "section": 1, "assignee": member, "webhook_enabled": True,
         "due_date": {"type": "fixed", "at": "2026-05-01T09:00:00.000Z"}},
        {"type": "approval", "is_essential": False, "depends_on": [0],
         "due_date": {"type": "relative", "from": "task:0", "offset": "P2D",
                      "business_days": True}},
        {"elements": [{"type": "checkbox", "required": True}]},
        {}])
    TemplateTask.update(description="Why").where(
        TemplateTask.id == template.task_rows[2].id).execute()
    tasks = list(TemplateTask.select().where(TemplateTask.template == template)
                 .order_by(TemplateTask.position))
    attach_children(tasks, CustomElement.task, "element_rows")
    assert [len(task.element_rows) for task in tasks] == [len(ELEMENT_TYPES), 0, 1, 0]
    for task in tasks:
        assert json(template_task_shape(task)) == json(TemplateTaskSchema().dump(task))
    assert json([template_task_shape(t) for t in tasks]) == json(
        TemplateTaskSchema(many=True).dump(tasks))


@pytest.mark.parametrize("sections", [
    [],
    [{"id": "S" * 20, "title": "First days", "description": None, "order": 0, "color": None},
     {"id": "T" * 20, "title": "Then", "description": "Why", "order": 1, "color": "#3366CC"}],
    [{"id": "S" * 20, "title": "Stored without some keys"}],
])
def test_run_sections_are_the_run_section_schema(sections):
    from nextstep.schemas.run import RunSchema, RunSectionSchema
    dumped = RunSchema().dump(run())
    assert dumped["sections"] == []
    started = run()
    started.sections = sections
    assert json(RunSchema().dump(started)["sections"]) == json(
        RunSectionSchema(many=True).dump(sections))
    assert RunSchema._declared_fields["sections"].inner.nested is RunSectionSchema


@pytest.mark.parametrize("sections", [
    [],
    [{"id": "S" * 20, "title": "First days", "description": None, "order": 0, "color": None},
     {"id": "T" * 20, "title": "Stored without some keys"}],
])
@pytest.mark.parametrize("due_date,completed_at,status,shared", [
    (None, None, "active", False), (LATER, LATER, "completed", True)])
def test_run_shape_is_the_run_schema(sections, due_date, completed_at, status, shared):
    from nextstep.schemas.run import RunSchema, run_shape
    started = run(due_date=due_date, completed_at=completed_at)
    started.sections, started.status, started.is_shared = sections, status, shared
    assert json(run_shape(started)) == json(RunSchema().dump(started))


def test_run_shape_of_runs_the_api_started(client, auth, team, make_template):
    from nextstep.schemas.run import RunSchema, run_shape
    template = make_template(team, tasks=[{}, {}])
    body = {"template_id": template.id, "due_date": "2026-05-01T10:00:00Z"}
    assert client.post("/api/v1/process-runs", json=body, headers=auth).status_code == 201
    for stored in Run.select():
        assert json(run_shape(stored)) == json(RunSchema().dump(stored))
