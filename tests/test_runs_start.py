"""POST /process-runs accepted: the frozen snapshot, titles, due dates, pre-fills, isolation
from later publishing, and a constant number of queries."""
from datetime import datetime, timedelta

import pytest
from playhouse.test_utils import count_queries
from test_run_helpers import RUNS, start, started, tasks_of

from nextstep.ids import format_timestamp
from nextstep.models import CustomElement, RunTask, Template, TemplateTask
from nextstep.services.publishing import publish_template

RUN_KEYS = ["completed_at", "created_at", "due_date", "id", "is_shared", "sections",
            "started_by", "status", "team_id", "template_id", "template_version", "timezone",
            "title", "updated_at"]


@pytest.fixture
def rich(team, make_template, make_member):
    member = make_member(team, email="owner.of.tasks@example.com")
    template = make_template(team, title="Onboarding", sections=["Prep", "Go"], tasks=[
        {"title": "Collect", "section": 0, "assignee": member, "webhook_enabled": True,
         "due_date": {"type": "fixed", "at": "2030-01-02T03:04:05.678Z"},
         "elements": [{"type": "shortText", "label": "Name", "required": True},
                      {"type": "dropdown", "label": "Size", "options": ["S", "M"]},
                      {"type": "heading", "label": "Read me"}]},
        {"title": "Approve", "type": "approval", "section": 1, "is_essential": False,
         "depends_on": [0],
         "due_date": {"type": "relative", "from": "task:0", "offset": "P2D",
                      "business_days": False}},
        {"title": "Close", "depends_on": [0, 1],
         "due_date": {"type": "relative", "from": "run_start", "offset": "PT4H",
                      "business_days": False}},
    ])
    template.member = member
    return template


def test_start_answers_201_with_the_run_and_location(client, auth, team, rich):
    response = start(client, auth, rich)
    assert response.status_code == 201
    run = response.get_json()["data"]
    assert sorted(run) == RUN_KEYS
    assert response.headers["Location"] == f"{RUNS}/{run['id']}"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert len(run["id"]) == 20 and run["id"].isalnum()
    assert run["template_id"] == rich.id and run["template_version"] == 1
    assert run["title"] == "Onboarding" and run["status"] == "active"
    assert run["started_by"] == "api" and run["team_id"] == team.id
    assert run["timezone"] == "UTC" and run["is_shared"] is False
    assert run["due_date"] is None and run["completed_at"] is None
    assert run["created_at"] == run["updated_at"] and run["created_at"].endswith("Z")
    assert run["sections"] == [
        {"id": s.id, "title": s.title, "description": None, "order": i, "color": None}
        for i, s in enumerate(rich.section_list)]
    # built from memory, yet exactly what a read returns
    assert client.get(response.headers["Location"], headers=auth).get_json() == {"data": run}


def test_start_copies_tasks_elements_assignees_and_maps_dependencies(client, auth, rich):
    run = started(client, auth, rich)
    tasks = tasks_of(client, auth, run["id"])
    collect, approve, close = tasks
    template_tasks = rich.task_rows
    assert [t["template_task_id"] for t in tasks] == [t.id for t in template_tasks]
    assert [t["title"] for t in tasks] == ["Collect", "Approve", "Close"]
    assert [t["order"] for t in tasks] == [0, 1, 2]
    assert [t["section_id"] for t in tasks] == [rich.section_list[0].id,
                                                rich.section_list[1].id, None]
    assert [t["type"] for t in tasks] == ["task", "approval", "task"]
    assert [t["is_essential"] for t in tasks] == [True, False, True]
    assert [t["webhook_enabled"] for t in tasks] == [True, False, False]
    assert collect["assignee"] == rich.member.id and approve["assignee"] is None
    assert approve["depends_on"] == [collect["id"]]
    assert close["depends_on"] == [collect["id"], approve["id"]]
    assert all(t["instance_id"] == run["id"] for t in tasks)
    assert all(t["completed"] is False and t["skipped"] is False and t["approval"] is None
               and t["completed_at"] is None and t["completed_by"] is None for t in tasks)
    elements = CustomElement.select().where(CustomElement.task == template_tasks[0].id)
    ids = {e.label: e.id for e in elements}
    assert collect["custom_elements"] == [
        {"id": ids["Name"], "type": "shortText", "label": "Name", "required": True,
         "display_only": False, "options": None, "value": None},
        {"id": ids["Size"], "type": "dropdown", "label": "Size", "required": False,
         "display_only": False, "options": ["S", "M"], "value": None},
        {"id": ids["Read me"], "type": "heading", "label": "Read me", "required": False,
         "display_only": True, "options": None, "value": None}]
    assert close["custom_elements"] == []


def test_start_resolves_due_dates(client, auth, rich):
    run = started(client, auth, rich)
    collect, approve, close = tasks_of(client, auth, run["id"])
    started_at = datetime.strptime(run["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert collect["due_date"] == "2030-01-02T03:04:05.678Z"
    assert close["due_date"] == format_timestamp(started_at + timedelta(hours=4))
    assert approve["due_date"] is None
    assert RunTask.get_by_id(approve["id"]).due_rule == {
        "type": "relative", "from": "task:" + collect["id"], "offset": "P2D",
        "business_days": False}
    assert RunTask.get_by_id(close["id"]).due_rule is None


def test_title_name_alias_and_defaults(client, auth, rich):
    assert started(client, auth, rich, name="First")["title"] == "First"
    assert started(client, auth, rich, title="Second")["title"] == "Second"
    assert started(client, auth, rich, name=None)["title"] == "Onboarding"


def test_due_date_is_read_as_iso_8601_and_stored_in_utc(client, auth, rich):
    run = started(client, auth, rich, due_date="2026-05-01T10:00:00+02:00")
    assert run["due_date"] == "2026-05-01T08:00:00.000Z"
    assert started(client, auth, rich, due_date="2026-05-01")["due_date"] == \
        "2026-05-01T00:00:00.000Z"
    assert started(client, auth, rich, due_date=None)["due_date"] is None


def test_actor_email_sets_started_by_case_insensitively(client, auth, team, rich, make_member):
    member = make_member(team, email="Starter@Example.com")
    assert started(client, auth, rich, actor_email="starter@example.COM")["started_by"] == \
        member.id
    assert started(client, auth, rich, actor_email=None)["started_by"] == "api"


def test_prefills_are_validated_and_stored(client, auth, team, make_template, make_member):
    member = make_member(team, email="pat@example.com")
    template = make_template(team, tasks=[{"elements": [
        {"type": "member", "label": "Who"}, {"type": "date", "label": "When"},
        {"type": "multiSelect", "label": "Tags", "options": ["a", "b", "c"]}]}])
    task = template.task_rows[0]
    who, when, tags = CustomElement.select().where(CustomElement.task == task.id).order_by(
        CustomElement.position)
    run = started(client, auth, template, custom_elements=[
        {"task_id": task.id, "element_id": who.id, "value": "PAT@example.com"},
        {"task_id": task.id, "element_id": when.id, "value": "2026-05-01T12:00:00+02:00"},
        {"task_id": task.id, "element_id": tags.id, "value": ["c", "a"]}])
    values = [e["value"] for e in tasks_of(client, auth, run["id"])[0]["custom_elements"]]
    assert values == [member.id, "2026-05-01T10:00:00.000Z", ["c", "a"]]


def test_snapshot_isolation(client, auth, rich, make_member, team):
    old = started(client, auth, rich)
    old_tasks = tasks_of(client, auth, old["id"])
    first = rich.task_rows[0]
    TemplateTask.update(title="Collect v2").where(TemplateTask.id == first.id).execute()
    CustomElement.create(task=first, type="checkbox", label="Done?", position=9)
    TemplateTask.create(template=rich, title="Added", position=9)
    Template.update(title="Onboarding v2").where(Template.id == rich.id).execute()
    publish_template(rich)
    assert client.get(f"{RUNS}/{old['id']}", headers=auth).get_json()["data"] == old
    assert tasks_of(client, auth, old["id"]) == old_tasks

    new = started(client, auth, rich)
    assert new["template_version"] == 2 and new["title"] == "Onboarding v2"
    new_tasks = tasks_of(client, auth, new["id"])
    assert [t["title"] for t in new_tasks] == ["Collect v2", "Approve", "Close", "Added"]
    assert [e["label"] for e in new_tasks[0]["custom_elements"]] == [
        "Name", "Size", "Read me", "Done?"]

    # draft edits without publishing reach no run, new or old
    TemplateTask.update(title="Draft only").where(TemplateTask.id == first.id).execute()
    Template.update(title="Draft title").where(Template.id == rich.id).execute()
    CustomElement.delete().where(CustomElement.task == first.id).execute()
    newest = started(client, auth, rich)
    assert newest["template_version"] == 2 and newest["title"] == "Onboarding v2"
    newest_tasks = tasks_of(client, auth, newest["id"])
    assert [t["title"] for t in newest_tasks] == [t["title"] for t in new_tasks]
    assert [e["label"] for e in newest_tasks[0]["custom_elements"]] == [
        "Name", "Size", "Read me", "Done?"]
    assert tasks_of(client, auth, old["id"]) == old_tasks


def _big_template(make_template, team, size):
    return make_template(team, tasks=[
        {"elements": [{"type": "shortText"}, {"type": "member"}],
         "depends_on": [i - 1] if i else [],
         "due_date": {"type": "relative", "from": "run_start", "offset": "P1D",
                      "business_days": True}} for i in range(size)])


def test_start_costs_a_constant_number_of_queries(client, auth, team, make_template,
                                                  make_member):
    small, big = _big_template(make_template, team, 1), _big_template(make_template, team, 50)
    member = make_member(team, email="m@example.com")
    client.get(RUNS, headers=auth)  # the key's last-use stamp is written once a minute
    measured = {}
    for name, template in (("small", small), ("big", big)):
        with count_queries() as plain:
            started(client, auth, template)
        element = CustomElement.get((CustomElement.task == template.task_rows[-1].id)
                                    & (CustomElement.type == "member"))
        with count_queries() as full:
            started(client, auth, template, actor_email=member.email, custom_elements=[
                {"task_id": template.task_rows[-1].id, "element_id": element.id,
                 "value": member.email}])
        measured[name] = (plain.count, full.count)
    # key, template, snapshot (only the first start of a version: then it is cached),
    # webhooks to notify, run, tasks (one bulk insert), event; + one member lookup
    assert measured == {"small": (7, 7), "big": (7, 7)}
    assert RunTask.select().count() == 2 * 1 + 2 * 50
