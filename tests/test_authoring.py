"""Template authoring over the API (contract §10): the lifecycle from draft to archive."""
import copy

import pytest
from authoring_helpers import BASE, SAMPLE, admin_key, template_state

from nextstep.models import Run, Template, TemplateTask

RUNS = "/api/v1/process-runs"


@pytest.fixture
def admin(team, make_member):
    return {"Authorization": f"Bearer {admin_key(team, make_member(team, role='admin'))}"}


def create(client, admin, body=None):
    response = client.post(BASE, json=SAMPLE if body is None else body, headers=admin)
    assert response.status_code == 201, response.json
    return response.json["data"]


def tasks_of(client, admin, template_id):
    response = client.get(f"{BASE}/{template_id}/tasks?limit=100", headers=admin)
    assert response.status_code == 200
    return response.json["data"]


def test_creating_from_the_import_file_answers_the_draft_with_its_location(client, admin):
    response = client.post(BASE, json=SAMPLE, headers=admin)
    assert response.status_code == 201
    data = response.json["data"]
    assert response.headers["Location"] == f"/api/v1/process-templates/{data['id']}"
    assert {key: data[key] for key in ("title", "visibility", "is_published", "version",
                                       "has_unpublished_changes", "is_archived",
                                       "archived_at")} == {
        "title": "Employee onboarding", "visibility": "private", "is_published": False,
        "version": 0, "has_unpublished_changes": True, "is_archived": False,
        "archived_at": None}
    assert [s["title"] for s in data["sections"]] == ["Before day one", "First day",
                                                       "First month"]
    tasks = tasks_of(client, admin, data["id"])
    assert [t["order"] for t in tasks] == list(range(8))
    ids = {t["title"]: t["id"] for t in tasks}
    contract, details_id = tasks[1], ids["Record the new hire's details"]
    assert contract["depends_on"] == [details_id]
    assert contract["due_date"]["from"] == f"task:{details_id}"
    assert client.get(f"{BASE}/{data['id']}", headers=admin).json == {"data": data}


def test_a_draft_may_start_empty_and_cannot_be_published_empty(client, admin):
    data = create(client, admin, {"title": "Empty"})
    assert (data["sections"], tasks_of(client, admin, data["id"])) == ([], [])
    before = template_state(data["id"])
    response = client.post(f"{BASE}/{data['id']}/publish", headers=admin)
    assert (response.status_code, response.json) == (422, {"error": {
        "code": "validation_error", "message": "The request body is not valid",
        "details": {"tasks": ["A template needs at least one task to be published."]}}})
    assert template_state(data["id"]) == before


@pytest.mark.parametrize("body, details", [
    ({}, {"title": ["Missing data for required field."]}),
    ({"title": "T", "colour": 1}, {"colour": ["Unknown field."]}),
    ({"title": "T", "sections": [{"title": "S", "color": "red"}]},
     {"sections.0.color": ["Must be a color like #1A2B3C."]}),
    ({"title": "T", "tasks": [{"key": "a", "title": "A", "depends_on": ["b"]}]},
     {"tasks.0.depends_on.0": ['Unknown task key "b".']}),
    ({"title": "T", "tasks": [{"key": "a", "title": "A", "depends_on": ["b"]},
                              {"key": "b", "title": "B", "depends_on": ["a"]}]},
     {"tasks.0.depends_on": ["Dependency cycle: a -> b -> a."]}),
    ({"title": "T", "tasks": [
        {"key": "a", "title": "A", "due_date": {"type": "relative", "from": "task:b",
                                                 "offset": "P1D"}},
        {"key": "b", "title": "B", "due_date": {"type": "relative", "from": "task:a",
                                                 "offset": "P1D"}}]},
     {"tasks.0.due_date.from": ["Due date cycle: a -> b -> a."]}),
    ({"title": "T", "tasks": [{"title": "A", "custom_elements": [
        {"type": "dropdown", "label": "L"}]}]},
     {"tasks.0.custom_elements.0.options": ["dropdown needs a non-empty list of options."]}),
    ({"title": "T", "tasks": [{"title": "A", "assignee": "nobody@example.com"}]},
     {"tasks.0.assignee": ['"nobody@example.com" is not an active member of this team.']}),
])
def test_create_refuses_what_the_import_refuses_with_its_messages(client, admin, body,
                                                                 details):
    response = client.post(BASE, json=body, headers=admin)
    assert response.json == {"error": {"code": "validation_error",
                                       "message": "The request body is not valid",
                                       "details": details}}
    assert response.status_code == 422
    assert Template.select().count() == 0


def test_the_full_lifecycle_keeps_runs_on_their_version(client, admin):
    template = create(client, admin)
    tid = template["id"]
    response = client.post(RUNS, json={"template_id": tid}, headers=admin)
    assert (response.status_code, response.json["error"]["code"]) == (
        409, "template_not_published")

    published = client.post(f"{BASE}/{tid}/publish", headers=admin).json["data"]
    assert (published["version"], published["is_published"], published["visibility"],
            published["has_unpublished_changes"]) == (1, True, "team", False)
    again = client.post(f"{BASE}/{tid}/publish", headers=admin)
    assert (again.status_code, again.json["data"]) == (200, published)  # nothing changed
    run_1 = client.post(RUNS, json={"template_id": tid}, headers=admin).json["data"]

    first = tasks_of(client, admin, tid)[0]
    response = client.patch(f"{BASE}/{tid}/tasks/{first['id']}",
                            json={"title": "Record the details"}, headers=admin)
    assert response.status_code == 200
    shown = client.get(f"{BASE}/{tid}", headers=admin).json["data"]
    assert (shown["version"], shown["has_unpublished_changes"]) == (1, True)
    assert shown["updated_at"] > published["updated_at"]
    run_1b = client.post(RUNS, json={"template_id": tid}, headers=admin).json["data"]
    assert run_1b["template_version"] == 1
    titles = [t["title"] for t in client.get(
        f"{RUNS}/{run_1b['id']}/tasks", headers=admin).json["data"]]
    assert titles[0] == "Record the new hire's details"

    v2 = client.post(f"{BASE}/{tid}/publish", headers=admin).json["data"]
    assert (v2["version"], v2["has_unpublished_changes"]) == (2, False)
    run_2 = client.post(RUNS, json={"template_id": tid}, headers=admin).json["data"]
    assert run_2["template_version"] == 2
    assert client.get(f"{RUNS}/{run_2['id']}/tasks", headers=admin).json["data"][0][
        "title"] == "Record the details"
    assert client.get(f"{RUNS}/{run_1['id']}/tasks", headers=admin).json["data"][0][
        "title"] == "Record the new hire's details"

    versions = client.get(f"{BASE}/{tid}/versions", headers=admin).json
    assert [(v["version"], v["task_count"]) for v in versions["data"]] == [(2, 8), (1, 8)]
    assert versions["pagination"] == {"next_cursor": "1", "has_more": False}
    one = client.get(f"{BASE}/{tid}/versions/1", headers=admin).json["data"]
    assert set(one) == {"version", "created_at", "template", "sections", "tasks"}
    assert one["version"] == 1 and one["template"]["version"] == 1
    assert one["tasks"][0]["title"] == "Record the new hire's details"
    assert [s["title"] for s in one["sections"]] == ["Before day one", "First day",
                                                      "First month"]

    off = client.post(f"{BASE}/{tid}/unpublish", headers=admin).json["data"]
    assert (off["is_published"], off["version"]) == (False, 2)
    response = client.post(RUNS, json={"template_id": tid}, headers=admin)
    assert (response.status_code, response.json["error"]["code"]) == (
        409, "template_not_published")
    task = client.get(f"{RUNS}/{run_1['id']}/tasks", headers=admin).json["data"][0]
    response = client.patch(f"{RUNS}/{run_1['id']}/tasks/{task['id']}",
                            json={"custom_elements": []}, headers=admin)
    assert response.status_code == 200  # existing runs go on

    back = client.post(f"{BASE}/{tid}/publish", headers=admin).json["data"]
    assert (back["is_published"], back["version"]) == (True, 2)  # no change: no version

    archived = client.patch(f"{BASE}/{tid}", json={"is_archived": True}, headers=admin)
    assert archived.status_code == 200
    assert archived.json["data"]["is_archived"] is True
    assert archived.json["data"]["archived_at"] is not None
    assert archived.json["data"]["has_unpublished_changes"] is False
    response = client.post(RUNS, json={"template_id": tid}, headers=admin)
    assert (response.status_code, response.json["error"]["code"]) == (409, "template_archived")
    assert client.get(BASE, headers=admin).json["data"] == []
    listed = client.get(f"{BASE}?archived=true", headers=admin).json["data"]
    assert [t["id"] for t in listed] == [tid]
    assert client.get(f"{BASE}?archived=maybe", headers=admin).status_code == 400
    restored = client.patch(f"{BASE}/{tid}", json={"is_archived": False},
                            headers=admin).json["data"]
    assert (restored["is_archived"], restored["archived_at"]) == (False, None)
    assert client.post(RUNS, json={"template_id": tid}, headers=admin).status_code == 201

    response = client.delete(f"{BASE}/{tid}", headers=admin)
    assert (response.status_code, response.json["error"]["code"]) == (409, "template_has_runs")
    assert Template.get_by_id(tid).title == "Employee onboarding"


def test_deleting_a_template_without_runs_removes_it_all(client, admin):
    tid = create(client, admin)["id"]
    client.post(f"{BASE}/{tid}/publish", headers=admin)
    response = client.delete(f"{BASE}/{tid}", headers=admin)
    assert (response.status_code, response.data) == (204, b"")
    assert template_state(tid) == {"template": [], "sections": [], "tasks": [],
                                   "elements": [], "versions": []}
    assert client.get(f"{BASE}/{tid}", headers=admin).status_code == 404
    assert client.delete(f"{BASE}/{tid}", headers=admin).status_code == 404


def test_patching_the_template(client, admin):
    data = create(client, admin)
    tid = data["id"]
    response = client.patch(f"{BASE}/{tid}", json={"title": "Onboarding", "icon": None},
                            headers=admin)
    assert response.status_code == 200
    assert (response.json["data"]["title"], response.json["data"]["icon"]) == (
        "Onboarding", None)
    before = template_state(tid)
    same = client.patch(f"{BASE}/{tid}", json={"title": "Onboarding"}, headers=admin)
    assert same.status_code == 200
    assert template_state(tid) == before  # the same value again is no change
    response = client.patch(f"{BASE}/{tid}", json={"visibility": "team"}, headers=admin)
    assert response.status_code == 422
    assert response.json["error"]["details"] == {"visibility": [
        "A template that was never published is private; publishing makes it team."]}
    assert template_state(tid) == before


@pytest.mark.parametrize("body, details", [
    ({"title": ""}, {"title": ["Must not be empty."]}),
    ({"title": None}, {"title": ["Field may not be null."]}),
    ({"visibility": "public"}, {"visibility": ["Must be one of: team, private."]}),
    ({"is_archived": "yes"}, {"is_archived": ["Not a valid boolean."]}),
    ({"version": 3}, {"version": ["Unknown field."]}),
    ({"sections": []}, {"sections": ["Unknown field."]}),
])
def test_a_refused_template_patch_changes_nothing(client, admin, body, details):
    tid = create(client, admin)["id"]
    before = template_state(tid)
    response = client.patch(f"{BASE}/{tid}", json=body, headers=admin)
    assert (response.status_code, response.json["error"]["details"]) == (422, details)
    assert template_state(tid) == before


def test_another_teams_template_is_not_found_on_every_endpoint(client, admin, make_team,
                                                              make_member):
    other = make_team()
    other_admin = {"Authorization": f"Bearer {admin_key(other, make_member(other, role='admin'))}"}
    tid = create(client, other_admin)["id"]
    client.post(f"{BASE}/{tid}/publish", headers=other_admin)
    task_id = TemplateTask.select().where(TemplateTask.template == tid).first().id
    section_id = Template.get_by_id(tid).sections.first().id
    before = template_state(tid)
    calls = [("PATCH", f"{BASE}/{tid}", {"title": "x"}), ("DELETE", f"{BASE}/{tid}", None),
             ("POST", f"{BASE}/{tid}/publish", None), ("POST", f"{BASE}/{tid}/unpublish", None),
             ("GET", f"{BASE}/{tid}/versions", None), ("GET", f"{BASE}/{tid}/versions/1", None),
             ("POST", f"{BASE}/{tid}/sections", {"title": "x"}),
             ("PATCH", f"{BASE}/{tid}/sections/{section_id}", {"title": "x"}),
             ("DELETE", f"{BASE}/{tid}/sections/{section_id}", None),
             ("POST", f"{BASE}/{tid}/tasks", {"title": "x"}),
             ("GET", f"{BASE}/{tid}/tasks/{task_id}", None),
             ("PATCH", f"{BASE}/{tid}/tasks/{task_id}", {"title": "x"}),
             ("DELETE", f"{BASE}/{tid}/tasks/{task_id}", None)]
    for method, path, body in calls:
        response = client.open(path, method=method, json=body, headers=admin)
        assert (method, path, response.status_code, response.json["error"]["code"],
                response.json["error"]["message"]) == (
            method, path, 404, "not_found", "Process template not found")
    assert template_state(tid) == before


def test_a_sample_created_and_published_starts_a_run_of_every_task(client, admin):
    tid = create(client, admin, copy.deepcopy(SAMPLE))["id"]
    client.post(f"{BASE}/{tid}/publish", headers=admin)
    run = client.post(RUNS, json={"template_id": tid}, headers=admin).json["data"]
    assert Run.get_by_id(run["id"]).template_version == 1
    assert len(client.get(f"{RUNS}/{run['id']}/tasks?limit=100",
                          headers=admin).json["data"]) == 8


def test_a_run_started_as_its_template_is_deleted_is_404_not_500(client, admin, team,
                                                                  monkeypatch):
    """The template is read, then deleted by another admin, then the run is written."""
    from nextstep.services import authoring, runs
    tid = create(client, admin)["id"]
    client.post(f"{BASE}/{tid}/publish", headers=admin)
    write_run = runs._write_run

    def deleted_meanwhile(*args):
        authoring.delete_template(team, tid)
        return write_run(*args)
    monkeypatch.setattr(runs, "_write_run", deleted_meanwhile)
    response = client.post(RUNS, json={"template_id": tid}, headers=admin)
    assert (response.status_code, response.json) == (404, {"error": {
        "code": "not_found", "message": "Process template not found"}})
    assert (Template.select().count(), Run.select().count()) == (0, 0)


def test_an_authored_template_round_trips_through_export_and_create(client, admin,
                                                                    make_team, make_member):
    """Edited over the API, exported, created in another team from the file: the second
    export is the same bytes as the first."""
    tid = create(client, admin)["id"]
    first, second = tasks_of(client, admin, tid)[:2]
    response = client.post(f"{BASE}/{tid}/tasks", headers=admin, json={
        "title": "Inserted", "order": 1, "depends_on": [first["id"]],
        "due_date": {"type": "relative", "from": f"task:{second['id']}", "offset": "P2D"},
        "custom_elements": [{"type": "dropdown", "label": "Pick", "options": ["a", "b"]}]})
    assert response.status_code == 201
    client.patch(f"{BASE}/{tid}/tasks/{first['id']}", json={"order": 4}, headers=admin)
    exported = client.get(f"{BASE}/{tid}/export", headers=admin)
    assert exported.status_code == 200
    other = make_team()
    other_admin = {"Authorization": f"Bearer {admin_key(other, make_member(other, role='admin'))}"}
    response = client.post(BASE, data=exported.get_data(), headers=other_admin,
                           content_type="application/json")
    assert response.status_code == 201, response.json
    again = client.get(f"{BASE}/{response.json['data']['id']}/export", headers=other_admin)
    assert again.get_data() == exported.get_data()


def test_the_archived_filter_pages_with_a_cursor_and_combines_with_is_published(client, admin):
    """Each variant of the templates list (archived or not, is_published or not, a cursor
    or not) is its own prepared query: every combination answers its own rows."""
    ids = [create(client, admin, {"title": f"T{n}", "tasks": [{"title": "x"}]})["id"]
           for n in range(4)]
    for tid in ids[:3]:
        assert client.patch(f"{BASE}/{tid}", json={"is_archived": True},
                            headers=admin).status_code == 200
    assert client.post(f"{BASE}/{ids[0]}/publish", headers=admin).status_code == 200

    def listed(query):
        body = client.get(f"{BASE}?{query}", headers=admin).json
        return [t["id"] for t in body["data"]], body["pagination"]

    everything = listed("archived=true")[0]  # newest first (two may share a millisecond)
    assert sorted(everything) == sorted(ids[:3])
    first, pagination = listed("archived=true&limit=2")
    assert (first, pagination["has_more"]) == (everything[:2], True)
    rest, pagination = listed(f"archived=true&limit=2&cursor={first[-1]}")
    assert (rest, pagination) == (everything[2:], {"next_cursor": everything[2],
                                                   "has_more": False})
    assert listed("archived=true&is_published=true")[0] == [ids[0]]
    after = everything.index(ids[2])
    assert listed(f"archived=true&is_published=false&cursor={ids[2]}")[0] == [
        tid for tid in everything[after + 1:] if tid != ids[0]]
    assert listed("archived=false")[0] == listed("")[0] == [ids[3]]
    assert listed(f"archived=false&cursor={ids[3]}")[0] == []
