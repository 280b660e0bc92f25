"""Only an `admin` key authors (contract §9): a `read` or `write` key gets 403 with
`details.required_scope` on every authoring write and changes nothing; both may read the
working copy and the versions."""
import pytest
from authoring_helpers import BASE, admin_key, template_state

from nextstep.models import Template, TemplateTask


def refused(needed, scope):
    return {"error": {"code": "forbidden", "message": (
        f"This request needs an API key with the {needed} scope; this key's scope is {scope}"),
        "details": {"required_scope": needed}}}


@pytest.fixture
def published(client, team, make_member):
    admin = {"Authorization": f"Bearer {admin_key(team, make_member(team, role='admin'))}"}
    response = client.post(BASE, json={"title": "T", "sections": [{"title": "S"}],
                                       "tasks": [{"title": "A"}, {"title": "B"}]},
                           headers=admin)
    tid = response.json["data"]["id"]
    assert client.post(f"{BASE}/{tid}/publish", headers=admin).status_code == 200
    return {"id": tid, "section": response.json["data"]["sections"][0]["id"],
            "task": TemplateTask.select().where(TemplateTask.template == tid).first().id}


def writes(tid, section, task):
    return [("POST", BASE, {"title": "New"}), ("PATCH", f"{BASE}/{tid}", {"title": "x"}),
            ("DELETE", f"{BASE}/{tid}", None), ("POST", f"{BASE}/{tid}/publish", None),
            ("POST", f"{BASE}/{tid}/unpublish", None),
            ("POST", f"{BASE}/{tid}/sections", {"title": "x"}),
            ("PATCH", f"{BASE}/{tid}/sections/{section}", {"title": "x"}),
            ("DELETE", f"{BASE}/{tid}/sections/{section}", None),
            ("POST", f"{BASE}/{tid}/tasks", {"title": "x"}),
            ("PATCH", f"{BASE}/{tid}/tasks/{task}", {"title": "x"}),
            ("DELETE", f"{BASE}/{tid}/tasks/{task}", None)]


@pytest.mark.parametrize("scope", ["read", "write"])
def test_only_an_admin_key_authors(client, team, make_key, published, scope):
    key = {"Authorization": f"Bearer {make_key(team, scope=scope)[0]}"}
    before = template_state(published["id"])
    for method, path, body in writes(published["id"], published["section"],
                                     published["task"]):
        response = client.open(path, method=method, json=body, headers=key)
        assert (method, path, response.status_code, response.json) == (
            method, path, 403, refused("admin", scope))
    assert template_state(published["id"]) == before
    assert Template.select().count() == 1
    tid, task = published["id"], published["task"]
    for path in (f"{BASE}/{tid}", f"{BASE}/{tid}/tasks", f"{BASE}/{tid}/tasks/{task}",
                 f"{BASE}/{tid}/versions", f"{BASE}/{tid}/versions/1"):
        assert (path, client.get(path, headers=key).status_code) == (path, 200)


def test_a_write_key_is_refused_before_the_body_is_read(client, team, make_key, published):
    key = {"Authorization": f"Bearer {make_key(team)[0]}"}
    response = client.post(BASE, data="not json", content_type="text/plain", headers=key)
    assert (response.status_code, response.json) == (403, refused("admin", "write"))
