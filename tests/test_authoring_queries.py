"""Each authoring endpoint costs the same number of queries on a 3-task and a 60-task
template: none reads or writes the tasks one by one."""
import pytest
from authoring_helpers import BASE, admin_key
from playhouse.test_utils import count_queries


@pytest.fixture
def admin(team, make_member):
    return {"Authorization": f"Bearer {admin_key(team, make_member(team, role='admin'))}"}


def build(client, admin, size):
    body = {"title": f"{size} tasks", "sections": [{"key": "s", "title": "S"},
                                                   {"title": "Empty"}],
            "tasks": [{"key": f"t{i}", "title": f"T{i}", "section": "s",
                       "depends_on": [f"t{i - 1}"] if i else [],
                       "custom_elements": [{"type": "shortText", "label": "L"},
                                           {"type": "dropdown", "label": "D",
                                            "options": ["a", "b"]}]}
                      for i in range(size)]}
    response = client.post(BASE, json=body, headers=admin)
    assert response.status_code == 201
    data = response.json["data"]
    tasks = client.get(f"{BASE}/{data['id']}/tasks?limit=100", headers=admin).json["data"]
    return data["id"], [s["id"] for s in data["sections"]], [t["id"] for t in tasks]


def costs(client, admin, size):
    """{step: queries} for one pass over every endpoint."""
    tid, (section, empty), tasks = build(client, admin, size)
    steps = [
        ("task insert", "POST", f"/{tid}/tasks", {"title": "New", "order": 1,
                                                  "depends_on": [tasks[0]],
                                                  "custom_elements": [
                                                      {"type": "number", "label": "N"}]}),
        ("task patch", "PATCH", f"/{tid}/tasks/{tasks[1]}", {"title": "Changed", "order": 0}),
        ("task elements", "PATCH", f"/{tid}/tasks/{tasks[1]}",
         {"custom_elements": [{"type": "checkbox", "label": "C"}]}),
        ("task read", "GET", f"/{tid}/tasks/{tasks[1]}", None),
        ("task delete", "DELETE", f"/{tid}/tasks/{tasks[-1]}", None),
        ("section insert", "POST", f"/{tid}/sections", {"title": "S2", "order": 0}),
        ("section patch", "PATCH", f"/{tid}/sections/{section}", {"order": 2}),
        ("section delete", "DELETE", f"/{tid}/sections/{empty}", None),
        ("template patch", "PATCH", f"/{tid}", {"title": "Renamed"}),
        ("publish", "POST", f"/{tid}/publish", None),
        ("publish unchanged", "POST", f"/{tid}/publish", None),
        ("versions", "GET", f"/{tid}/versions", None),
        ("version", "GET", f"/{tid}/versions/1", None),
        ("unpublish", "POST", f"/{tid}/unpublish", None),
        ("template delete", "DELETE", f"/{tid}", None),
    ]
    counted = {}
    for name, method, path, body in steps:
        with count_queries() as counter:
            response = client.open(BASE + path, method=method, json=body, headers=admin)
        assert response.status_code in (200, 201, 204), (name, response.json)
        counted[name] = counter.count
    return counted


def test_queries_do_not_grow_with_the_number_of_tasks(client, admin):
    small, large = costs(client, admin, 3), costs(client, admin, 60)
    assert small == large
    assert max(small.values()) <= 12, small
