"""Sections and tasks of a template's working copy: insert, change, move, delete, with
every refusal leaving the stored rows exactly as they were."""
import random
from datetime import datetime, timedelta

import pytest
from authoring_helpers import BASE, admin_key, positions, template_state

from nextstep.models import Section, TemplateTask

NOT_VALID = "The request body is not valid"


@pytest.fixture
def admin(team, make_member):
    return {"Authorization": f"Bearer {admin_key(team, make_member(team, role='admin'))}"}


@pytest.fixture
def draft(client, admin):
    """A draft with sections s0, s1 and tasks A (in s0), B, C; B depends on A."""
    body = {"title": "Draft", "sections": [{"key": "s0", "title": "S0"},
                                           {"key": "s1", "title": "S1", "color": "#112233"}],
            "tasks": [{"key": "a", "title": "A", "section": "s0"},
                      {"key": "b", "title": "B", "depends_on": ["a"]},
                      {"key": "c", "title": "C"}]}
    response = client.post(BASE, json=body, headers=admin)
    assert response.status_code == 201
    data = response.json["data"]
    tasks = client.get(f"{BASE}/{data['id']}/tasks", headers=admin).json["data"]
    return {"id": data["id"], "sections": [s["id"] for s in data["sections"]],
            "tasks": [t["id"] for t in tasks]}


def titles(client, admin, tid):
    return [t["title"] for t in client.get(f"{BASE}/{tid}/tasks?limit=100",
                                           headers=admin).json["data"]]


def refused(client, admin, tid, method, path, body, status, code, details=None):
    """Assert the answer and that nothing of the template changed."""
    before = template_state(tid)
    response = client.open(f"{BASE}/{tid}{path}", method=method, json=body, headers=admin)
    assert (response.status_code, response.json["error"]["code"]) == (status, code), \
        response.json
    if details is not None:
        assert response.json["error"]["details"] == details
    assert template_state(tid) == before


def test_a_section_is_appended_or_placed(client, admin, draft):
    tid = draft["id"]
    response = client.post(f"{BASE}/{tid}/sections", json={"title": "End"}, headers=admin)
    assert (response.status_code, response.json["data"]["order"]) == (201, 2)
    response = client.post(f"{BASE}/{tid}/sections",
                           json={"title": "First", "color": "#ABCDEF", "order": 0},
                           headers=admin)
    assert response.status_code == 201
    assert response.json["data"] == {"id": response.json["data"]["id"], "title": "First",
                                     "description": None, "order": 0, "color": "#ABCDEF"}
    shown = client.get(f"{BASE}/{tid}", headers=admin).json["data"]
    assert [(s["title"], s["order"]) for s in shown["sections"]] == [
        ("First", 0), ("S0", 1), ("S1", 2), ("End", 3)]
    assert shown["has_unpublished_changes"] is True


def test_a_section_moves_and_changes(client, admin, draft):
    tid, (s0, s1) = draft["id"], draft["sections"]
    response = client.patch(f"{BASE}/{tid}/sections/{s0}",
                            json={"order": 1, "description": "Later"}, headers=admin)
    assert response.status_code == 200
    assert (response.json["data"]["order"], response.json["data"]["description"]) == (
        1, "Later")
    assert [s["id"] for s in client.get(f"{BASE}/{tid}", headers=admin).json["data"][
        "sections"]] == [s1, s0]


def test_deleting_sections(client, admin, draft):
    tid, (s0, s1) = draft["id"], draft["sections"]
    refused(client, admin, tid, "DELETE", f"/sections/{s0}", None, 409, "section_not_empty")
    response = client.delete(f"{BASE}/{tid}/sections/{s1}", headers=admin)
    assert (response.status_code, response.data) == (204, b"")
    client.post(f"{BASE}/{tid}/sections", json={"title": "New", "order": 0}, headers=admin)
    assert client.delete(f"{BASE}/{tid}/sections/{s0}", headers=admin).status_code == 409
    assert positions(Section, tid) == [0, 1]
    assert client.delete(f"{BASE}/{tid}/sections/nope", headers=admin).status_code == 404


@pytest.mark.parametrize("method, path, body, details", [
    ("POST", "/sections", {"title": "X", "order": 3},
     {"order": ["Must be at most 2, the last position."]}),
    ("POST", "/sections", {"title": "X", "order": -1}, {"order": ["Must be 0 or more."]}),
    ("POST", "/sections", {"title": "X", "order": True}, {"order": ["Not a valid integer."]}),
    ("POST", "/sections", {"title": "X", "order": 1.5}, {"order": ["Not a valid integer."]}),
    ("POST", "/sections", {"title": "X", "color": "#12345"},
     {"color": ["Must be a color like #1A2B3C."]}),
    ("POST", "/sections", {"title": "X", "key": "k"}, {"key": ["Unknown field."]}),
    ("POST", "/sections", {}, {"title": ["Missing data for required field."]}),
    ("PATCH", "/sections/{s0}", {"order": 2}, {"order": ["Must be at most 1, the last position."]}),
    ("PATCH", "/sections/{s0}", {"title": " "}, {"title": ["Must not be empty."]}),
    ("PATCH", "/sections/{s0}", {"id": "x"}, {"id": ["Unknown field."]}),
])
def test_bad_section_bodies_change_nothing(client, admin, draft, method, path, body, details):
    path = path.format(s0=draft["sections"][0])
    refused(client, admin, draft["id"], method, path, body, 422, "validation_error", details)


def test_a_task_is_inserted_between_two_with_a_dropdown_and_a_relative_due_date(
        client, admin, draft, make_member, team):
    tid, (a, _b, _c) = draft["id"], draft["tasks"]
    owner = make_member(team, email="Pat@Example.com")
    body = {"title": "Pick a laptop", "section_id": draft["sections"][1], "order": 1,
            "assignee": "pat@example.com", "depends_on": [a],
            "due_date": {"type": "relative", "from": f"task:{a}", "offset": "p2d",
                         "business_days": True},
            "custom_elements": [{"type": "dropdown", "label": "Model", "required": True,
                                 "options": ["Air", "Pro"]},
                                {"type": "heading", "label": "Read this"}]}
    response = client.post(f"{BASE}/{tid}/tasks", json=body, headers=admin)
    assert response.status_code == 201, response.json
    task = response.json["data"]
    assert response.headers["Location"] == f"/api/v1/process-templates/{tid}/tasks/{task['id']}"
    assert {k: task[k] for k in ("order", "section_id", "assignee", "depends_on", "due_date",
                                 "type", "is_essential")} == {
        "order": 1, "section_id": draft["sections"][1], "assignee": owner.id,
        "depends_on": [a], "type": "task", "is_essential": True,
        "due_date": {"type": "relative", "from": f"task:{a}", "offset": "P2D",
                     "business_days": True}}
    assert [(e["type"], e["label"], e["required"], e["display_only"], e["options"])
            for e in task["custom_elements"]] == [
        ("dropdown", "Model", True, False, ["Air", "Pro"]),
        ("heading", "Read this", False, True, None)]
    assert titles(client, admin, tid) == ["A", "Pick a laptop", "B", "C"]
    assert positions(TemplateTask, tid) == [0, 1, 2, 3]
    assert client.get(f"{BASE}/{tid}/tasks/{task['id']}", headers=admin).json == {"data": task}


@pytest.mark.parametrize("body, details", [
    ({"title": "X", "section_id": "nope"}, {"section_id": ['Unknown section id "nope".']}),
    ({"title": "X", "depends_on": ["nope"]}, {"depends_on.0": ['Unknown task id "nope".']}),
    ({"title": "X", "depends_on": ["{a}", "{a}"]},
     {"depends_on.1": ['Task id "{a}" appears twice.']}),
    ({"title": "X", "due_date": {"type": "relative", "from": "task:nope", "offset": "P1D"}},
     {"due_date.from": ['Unknown task id "nope".']}),
    ({"title": "X", "due_date": {"type": "relative", "from": "run_start", "offset": "P1M"}},
     {"due_date.offset": ["Months and years are not supported (their length varies); use "
                          "weeks or days, such as P30D."]}),
    ({"title": "X", "assignee": "ghost@example.com"},
     {"assignee": ['"ghost@example.com" is not an active member of this team.']}),
    ({"title": "X", "type": "milestone"}, {"type": ["Must be one of: task, approval."]}),
    ({"title": "X", "key": "x"}, {"key": ["Unknown field."]}),
    ({"title": "X", "section": "s0"}, {"section": ["Unknown field."]}),
    ({"title": "X", "order": 4}, {"order": ["Must be at most 3, the last position."]}),
    ({"title": "X", "custom_elements": [{"type": "shortText", "label": "L", "options": ["a"]}]},
     {"custom_elements.0.options": ["shortText elements take no options."]}),
    ({"title": "X", "custom_elements": [{"type": "multiSelect", "label": "L",
                                         "options": ["a", "a"]}]},
     {"custom_elements.0.options": ['Option "a" appears twice.']}),
    ({"title": "X", "custom_elements": [{"type": "image", "label": "L", "required": True}]},
     {"custom_elements.0.required": ["image elements are display-only and cannot be "
                                     "required."]}),
    ({"title": "X", "custom_elements": [{"type": "colour", "label": "L"}]},
     {"custom_elements.0.type": ["Must be one of: shortText, longText, email, url, number, "
                                 "date, checkbox, dropdown, multiSelect, member, text, "
                                 "heading, image, video."]}),
    ({"title": "X", "custom_elements": [{"id": "abc", "type": "text", "label": "L"}]},
     {"custom_elements.0.id": ["No element with this id on this task."]}),
])
def test_bad_task_bodies_change_nothing(client, admin, draft, body, details):
    a = draft["tasks"][0]
    fill = lambda value: (value.replace("{a}", a) if isinstance(value, str)  # noqa: E731
                          else [fill(v) for v in value] if isinstance(value, list)
                          else {k: fill(v) for k, v in value.items()}
                          if isinstance(value, dict) else value)
    refused(client, admin, draft["id"], "POST", "/tasks", fill(body), 422,
            "validation_error", fill(details))


def test_an_inactive_member_is_no_assignee(client, admin, draft, make_member, team):
    gone = make_member(team, is_active=False)
    refused(client, admin, draft["id"], "POST", "/tasks",
            {"title": "X", "assignee": gone.id}, 422, "validation_error",
            {"assignee": [f'"{gone.id}" is not an active member of this team.']})
    refused(client, admin, draft["id"], "PATCH", f"/tasks/{draft['tasks'][0]}",
            {"assignee": gone.email}, 422, "validation_error",
            {"assignee": [f'"{gone.email}" is not an active member of this team.']})


def test_assignees_by_id_or_email_and_patches_that_leave_them(client, admin, draft,
                                                              make_member, team):
    tid, a = draft["id"], draft["tasks"][0]
    pat, sam = make_member(team), make_member(team)
    path = f"{BASE}/{tid}/tasks/{a}"
    assert client.patch(path, json={"assignee": pat.email.upper()},
                        headers=admin).json["data"]["assignee"] == pat.id
    assert client.patch(path, json={"title": "A2"}, headers=admin).json["data"][
        "assignee"] == pat.id
    sam_row = client.patch(path, json={"assignee": sam.id}, headers=admin).json["data"]
    assert sam_row["assignee"] == sam.id
    assert client.patch(path, json={"assignee": None}, headers=admin).json["data"][
        "assignee"] is None


def test_patches_that_would_make_a_cycle_change_nothing(client, admin, draft):
    tid, (a, b, c) = draft["id"], draft["tasks"]
    refused(client, admin, tid, "PATCH", f"/tasks/{a}", {"depends_on": [b]}, 422,
            "validation_error", {"depends_on": [f"Dependency cycle: {a} -> {b} -> {a}."]})
    refused(client, admin, tid, "PATCH", f"/tasks/{a}", {"depends_on": [a]}, 422,
            "validation_error", {"depends_on.0": ["A task cannot depend on itself."]})
    due = lambda ref: {"due_date": {"type": "relative", "from": f"task:{ref}",  # noqa: E731
                                    "offset": "P1D"}}
    assert client.patch(f"{BASE}/{tid}/tasks/{c}", json=due(b), headers=admin).status_code == 200
    refused(client, admin, tid, "PATCH", f"/tasks/{b}", due(c), 422, "validation_error",
            {"due_date.from": [f"Due date cycle: {b} -> {c} -> {b}."]})
    refused(client, admin, tid, "PATCH", f"/tasks/{b}", due(b), 422, "validation_error",
            {"due_date.from": ["A due date cannot be relative to its own task."]})


def test_patching_a_task_replaces_its_elements_keeping_given_ids(client, admin, draft):
    tid, (a, b, _c) = draft["id"], draft["tasks"]
    first = client.patch(f"{BASE}/{tid}/tasks/{a}", json={"custom_elements": [
        {"type": "shortText", "label": "Name"}, {"type": "checkbox", "label": "Done"}]},
        headers=admin).json["data"]["custom_elements"]
    name, done = first
    response = client.patch(f"{BASE}/{tid}/tasks/{a}", json={"custom_elements": [
        {"id": done["id"], "type": "checkbox", "label": "Done?", "required": True},
        {"type": "url", "label": "Link"}]}, headers=admin)
    assert response.status_code == 200
    elements = response.json["data"]["custom_elements"]
    assert [(e["label"], e["required"]) for e in elements] == [("Done?", True), ("Link", False)]
    assert elements[0]["id"] == done["id"] and elements[1]["id"] not in (name["id"], done["id"])
    refused(client, admin, tid, "PATCH", f"/tasks/{a}", {"custom_elements": [
        {"id": name["id"], "type": "text", "label": "Gone"}]}, 422, "validation_error",
        {"custom_elements.0.id": ["No element with this id on this task."]})
    refused(client, admin, tid, "PATCH", f"/tasks/{b}", {"custom_elements": [
        {"id": done["id"], "type": "text", "label": "Not mine"}]}, 422, "validation_error",
        {"custom_elements.0.id": ["No element with this id on this task."]})
    refused(client, admin, tid, "PATCH", f"/tasks/{a}", {"custom_elements": [
        {"label": "No type"}]}, 422, "validation_error",
        {"custom_elements.0.type": ["Missing data for required field."]})


def test_moving_a_task_and_a_patch_that_changes_nothing(client, admin, draft):
    tid, (_a, _b, c) = draft["id"], draft["tasks"]
    response = client.patch(f"{BASE}/{tid}/tasks/{c}", json={"order": 0}, headers=admin)
    assert (response.status_code, response.json["data"]["order"]) == (200, 0)
    assert titles(client, admin, tid) == ["C", "A", "B"]
    response = client.patch(f"{BASE}/{tid}/tasks/{c}", json={"order": 2, "title": "C2"},
                            headers=admin)
    assert titles(client, admin, tid) == ["A", "B", "C2"]
    before = template_state(tid)
    response = client.patch(f"{BASE}/{tid}/tasks/{c}", json={"order": 2, "title": "C2"},
                            headers=admin)
    assert response.status_code == 200
    assert template_state(tid) == before
    refused(client, admin, tid, "PATCH", f"/tasks/{c}", {"order": 3}, 422, "validation_error",
            {"order": ["Must be at most 2, the last position."]})


def test_deleting_tasks(client, admin, draft):
    tid, (a, b, c) = draft["id"], draft["tasks"]
    refused(client, admin, tid, "DELETE", f"/tasks/{a}", None, 409, "task_has_dependents")
    client.patch(f"{BASE}/{tid}/tasks/{b}", json={"depends_on": [], "due_date": {
        "type": "relative", "from": f"task:{a}", "offset": "P1D"}}, headers=admin)
    refused(client, admin, tid, "DELETE", f"/tasks/{a}", None, 409, "task_has_dependents")
    response = client.delete(f"{BASE}/{tid}/tasks/{c}", headers=admin)
    assert (response.status_code, response.data) == (204, b"")
    client.patch(f"{BASE}/{tid}/tasks/{b}", json={"due_date": None}, headers=admin)
    assert client.delete(f"{BASE}/{tid}/tasks/{a}", headers=admin).status_code == 204
    assert titles(client, admin, tid) == ["B"]
    assert positions(TemplateTask, tid) == [0]
    assert client.get(f"{BASE}/{tid}/tasks/{a}", headers=admin).status_code == 404


def test_every_change_bumps_updated_at(client, admin, draft, monkeypatch):
    tid, (a, _b, _c) = draft["id"], draft["tasks"]
    ticks = (datetime(2027, 1, 1) + timedelta(seconds=n) for n in range(1000))
    for module in ("authoring", "authoring_tasks"):
        monkeypatch.setattr(f"nextstep.services.{module}.utcnow", lambda: next(ticks))
    stamps = [client.get(f"{BASE}/{tid}", headers=admin).json["data"]["updated_at"]]
    for method, path, body in [("PATCH", f"/tasks/{a}", {"title": "A2"}),
                               ("POST", "/sections", {"title": "S2"}),
                               ("POST", "/tasks", {"title": "D", "order": 0})]:
        assert client.open(f"{BASE}/{tid}{path}", method=method, json=body,
                           headers=admin).status_code in (200, 201)
        stamps.append(client.get(f"{BASE}/{tid}", headers=admin).json["data"]["updated_at"])
    assert stamps[1:] == ["2027-01-01T00:00:01.000Z", "2027-01-01T00:00:02.000Z",
                          "2027-01-01T00:00:04.000Z"]


@pytest.mark.parametrize("seed", range(4))
def test_positions_stay_dense_through_random_inserts_moves_and_deletes(client, admin, seed):
    """A model of the list beside the API: after each step the order is the model's."""
    rng = random.Random(seed)
    tid = client.post(BASE, json={"title": "Random"}, headers=admin).json["data"]["id"]
    model, made = [], 0
    for _step in range(40):
        action = rng.choice(["insert", "insert", "move", "delete"] if model else ["insert"])
        if action == "insert":
            made += 1
            order = rng.choice([None, rng.randint(0, len(model))])
            body = {"title": f"T{made}"} if order is None else {"title": f"T{made}",
                                                                  "order": order}
            response = client.post(f"{BASE}/{tid}/tasks", json=body, headers=admin)
            assert response.status_code == 201
            model.insert(len(model) if order is None else order,
                         (response.json["data"]["id"], f"T{made}"))
        elif action == "move":
            item = rng.choice(model)
            order = rng.randint(0, len(model) - 1)
            response = client.patch(f"{BASE}/{tid}/tasks/{item[0]}", json={"order": order},
                                    headers=admin)
            assert (response.status_code, response.json["data"]["order"]) == (200, order)
            model.remove(item)
            model.insert(order, item)
        else:
            item = rng.choice(model)
            assert client.delete(f"{BASE}/{tid}/tasks/{item[0]}", headers=admin).status_code == 204
            model.remove(item)
        assert titles(client, admin, tid) == [title for _id, title in model]
        assert positions(TemplateTask, tid) == list(range(len(model)))
