"""Published snapshots are their own storage format (models/snapshot.py), read by one
function whatever format stored them: runs start the same from a format 1 row (written
before formats were numbered) as from a format 2 one."""
import dataclasses

import pytest
from playhouse.test_utils import count_queries

from nextstep.models import RunTask, Template, TemplateVersion
from nextstep.models.snapshot import SNAPSHOT_FORMAT, UnknownSnapshotFormat, read_snapshot
from nextstep.services.publishing import published_snapshot

RUNS = "/api/v1/process-runs"
WHEN = "2026-03-27T02:08:05.224Z"


def format_1(template_id, assignee_id):
    """A snapshot as NextStep stored it before `snapshot_format`: the API's shapes."""
    return {
        "template": {"id": template_id, "title": "Onboarding v1", "description": "Old words",
                     "cover_image": None, "icon": "rocket", "icon_type": "emoji",
                     "visibility": "team", "is_published": True, "version": 1,
                     "sections": [{"id": "S" * 20, "title": "First days", "description": None,
                                   "order": 0, "color": "#3366CC"}],
                     "created_at": WHEN, "updated_at": WHEN},
        "tasks": [
            {"id": "A" * 20, "template_id": template_id, "title": "Collect", "description":
             "Papers", "order": 0, "section_id": "S" * 20, "type": "task",
             "is_essential": True, "webhook_enabled": True, "assignee": assignee_id,
             "due_date": {"type": "relative", "from": "run_start", "offset": "P2D",
                          "business_days": False},
             "depends_on": [],
             "custom_elements": [
                 {"id": "E" * 20, "type": "dropdown", "label": "Size", "required": True,
                  "display_only": False, "options": ["S", "M"]},
                 {"id": "F" * 20, "type": "text", "label": "Read me", "required": False,
                  "display_only": True, "options": None}],
             "created_at": WHEN, "updated_at": WHEN},
            {"id": "B" * 20, "template_id": template_id, "title": "Approve", "description":
             None, "order": 1, "section_id": None, "type": "approval", "is_essential": False,
             "webhook_enabled": False, "assignee": None,
             "due_date": {"type": "relative", "from": "task:" + "A" * 20, "offset": "P1D",
                          "business_days": True},
             "depends_on": ["A" * 20], "custom_elements": [],
             "created_at": WHEN, "updated_at": WHEN}]}


@pytest.fixture
def old_template(team, make_member):
    """A template published by an older NextStep: version 1 stored in format 1."""
    member = make_member(team, email="a@example.com")
    template = Template.create(team=team, title="Draft title, never published",
                               is_published=True, visibility="team", version=1)
    TemplateVersion.create(template=template, version=1,
                           snapshot=format_1(template.id, member.id))
    template.member = member
    return template


def test_a_run_starts_from_a_format_1_snapshot(client, auth, old_template):
    response = client.post(RUNS, headers=auth, json={"template_id": old_template.id})
    assert response.status_code == 201, response.get_json()
    run = response.get_json()["data"]
    assert (run["title"], run["template_version"]) == ("Onboarding v1", 1)
    assert run["sections"] == [{"id": "S" * 20, "title": "First days", "description": None,
                                "order": 0, "color": "#3366CC"}]
    tasks = client.get(f"{RUNS}/{run['id']}/tasks", headers=auth).get_json()["data"]
    first, second = tasks
    assert {k: first[k] for k in ("template_task_id", "title", "order", "section_id",
                                  "type", "is_essential", "webhook_enabled", "assignee",
                                  "depends_on")} == {
        "template_task_id": "A" * 20, "title": "Collect", "order": 0, "section_id": "S" * 20,
        "type": "task", "is_essential": True, "webhook_enabled": True,
        "assignee": old_template.member.id, "depends_on": []}
    assert first["due_date"] is not None
    assert first["custom_elements"] == [
        {"id": "E" * 20, "type": "dropdown", "label": "Size", "required": True,
         "display_only": False, "options": ["S", "M"], "value": None},
        {"id": "F" * 20, "type": "text", "label": "Read me", "required": False,
         "display_only": True, "options": None, "value": None}]
    assert (second["template_task_id"], second["type"], second["is_essential"]) == (
        "B" * 20, "approval", False)
    assert second["depends_on"] == [first["id"]]
    assert second["due_date"] is None  # counted from the first task's completion
    assert RunTask.get_by_id(second["id"]).due_rule == {
        "type": "relative", "from": "task:" + first["id"], "offset": "P1D",
        "business_days": True}


def test_format_1_and_format_2_read_the_same(old_template):
    """Publishing the same content again writes format 2; the reader gives the same run
    data for both (ids, titles, positions, rules, elements)."""
    old = read_snapshot(TemplateVersion.get(TemplateVersion.version == 1).snapshot)
    assert old.format == 1
    stored = {"snapshot_format": 2,
              "template": {"id": old_template.id, "version": 1, "title": "Onboarding v1",
                           "description": "Old words", "cover_image": None, "icon": "rocket",
                           "icon_type": "emoji"},
              "sections": [{"id": "S" * 20, "title": "First days", "description": None,
                            "position": 0, "color": "#3366CC"}],
              "tasks": [{**_without(task, "template_id", "order", "assignee", "created_at",
                                    "updated_at"),
                         "position": task["order"], "assignee_id": task["assignee"],
                         "custom_elements": [_without(e, "display_only")
                                             for e in task["custom_elements"]]}
                        for task in format_1(old_template.id, old_template.member.id)["tasks"]]}
    new = read_snapshot(stored)
    assert new.format == 2
    assert dataclasses.replace(old, format=2) == new


def _without(mapping, *names):
    return {k: v for k, v in mapping.items() if k not in names}


def test_publishing_stores_format_2_in_storage_names(team, make_member, make_template):
    member = make_member(team)
    template = make_template(team, title="Onboarding", sections=["Start"], tasks=[
        {"title": "One", "section": 0, "assignee": member, "webhook_enabled": True,
         "elements": [{"type": "multiSelect", "label": "Tags", "options": ["a", "b"]},
                      {"type": "heading", "label": "Hi"}],
         "due_date": {"type": "fixed", "at": "2026-05-01T09:00:00.000Z"}},
        {"title": "Two", "type": "approval", "is_essential": False, "depends_on": [0]}])
    one, two = template.task_rows
    section = template.section_list[0]
    stored = TemplateVersion.get(TemplateVersion.template == template).snapshot
    assert stored == {
        "snapshot_format": SNAPSHOT_FORMAT,
        "template": {"id": template.id, "version": 1, "title": "Onboarding",
                     "description": None, "cover_image": None, "icon": None,
                     "icon_type": None},
        "sections": [{"id": section.id, "title": "Start", "description": None,
                      "position": 0, "color": None}],
        "tasks": [
            {"id": one.id, "title": "One", "description": None, "position": 0,
             "section_id": section.id, "type": "task", "is_essential": True,
             "webhook_enabled": True, "assignee_id": member.id,
             "due_date": {"type": "fixed", "at": "2026-05-01T09:00:00.000Z"},
             "depends_on": [],
             "custom_elements": [
                 {"id": stored["tasks"][0]["custom_elements"][0]["id"], "type": "multiSelect",
                  "label": "Tags", "required": False, "options": ["a", "b"]},
                 {"id": stored["tasks"][0]["custom_elements"][1]["id"], "type": "heading",
                  "label": "Hi", "required": False, "options": None}]},
            {"id": two.id, "title": "Two", "description": None, "position": 1,
             "section_id": None, "type": "approval", "is_essential": False,
             "webhook_enabled": False, "assignee_id": None, "due_date": None,
             "depends_on": [one.id], "custom_elements": []}]}


@pytest.mark.parametrize("number", [0, 3, "2", None])
def test_an_unknown_format_is_refused_by_name(number):
    with pytest.raises(UnknownSnapshotFormat, match="format"):
        read_snapshot({"snapshot_format": number, "template": {}, "tasks": []})


def test_a_read_snapshot_cannot_be_changed(old_template):
    snapshot = published_snapshot(old_template)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.title = "Changed"
    with pytest.raises(TypeError):
        snapshot.tasks[0].elements[0]["label"] = "Changed"
    with pytest.raises(TypeError):
        snapshot.tasks[1].due_date["offset"] = "P9D"
    assert isinstance(snapshot.tasks[0].elements[0]["options"], tuple)


def test_a_published_version_is_read_once(client, auth, old_template):
    """A version never changes: after the first start, starting reads no snapshot row."""
    body = {"template_id": old_template.id}
    assert client.post(RUNS, headers=auth, json=body).status_code == 201
    with count_queries() as counted:
        assert client.post(RUNS, headers=auth, json=body).status_code == 201
    assert counted.count == 6  # key, template, webhooks to notify, run, tasks, event
    assert published_snapshot(old_template) is published_snapshot(old_template)


def test_a_template_without_its_version_row_is_not_published(client, auth, team):
    """`template.version` names the version to start from; no such row, no run."""
    template = Template.create(team=team, title="Broken", is_published=True, version=4)
    assert published_snapshot(template) is None
    response = client.post(RUNS, headers=auth, json={"template_id": template.id})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "template_not_published"


def test_a_run_from_an_unknown_format_fails_whole(client, auth, team, caplog):
    """A snapshot from a newer NextStep: a 500 envelope naming the request, the reason in
    the log, and no run, task or event written."""
    from nextstep.models import Event, Run
    template = Template.create(team=team, title="From the future", is_published=True,
                               visibility="team", version=1)
    TemplateVersion.create(template=template, version=1,
                           snapshot={"snapshot_format": 3, "template": {}, "tasks": []})
    response = client.post(RUNS, headers=auth, json={"template_id": template.id})
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error"
    assert response.headers["X-Request-Id"] in error["message"]
    assert "Template snapshot format 3" in caplog.text
    assert (Run.select().count(), RunTask.select().count(), Event.select().count()) == (0, 0, 0)
