"""Key scopes (contract §9): what each route needs, and what each scope may do."""
import pytest
from test_run_helpers import RUNS, counts, patch, row, started, tasks_of

from nextstep.api.routing import CATCH_ALL_ENDPOINT
from nextstep.api.scopes import SCOPES, allows, required_scope
from nextstep.errors import APIError
from nextstep.models import ApiKey, Run, RunTask
from nextstep.services.keys import create_api_key

TEMPLATES = "/api/v1/process-templates"
PUBLIC = {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs"}  # no key at all

# Every route under /api/v1 and method, with the scope §9 gives it: `read` for every GET
# and HEAD, `write` to start runs and PATCH run tasks (the rest of §7), `admin` for
# template authoring (§10) and webhooks (§11). A new route fails the test below until it
# has its row here.
ROUTE_SCOPES = {
    ("/api/v1/process-templates", "GET"): "read",
    ("/api/v1/process-templates", "HEAD"): "read",
    ("/api/v1/process-templates/<template_id>", "GET"): "read",
    ("/api/v1/process-templates/<template_id>", "HEAD"): "read",
    ("/api/v1/process-templates/<template_id>/tasks", "GET"): "read",
    ("/api/v1/process-templates/<template_id>/tasks", "HEAD"): "read",
    ("/api/v1/process-templates/<template_id>/export", "GET"): "read",
    ("/api/v1/process-templates/<template_id>/export", "HEAD"): "read",
    ("/api/v1/process-runs", "GET"): "read",
    ("/api/v1/process-runs", "HEAD"): "read",
    ("/api/v1/process-runs", "POST"): "write",
    ("/api/v1/process-runs/<run_id>", "GET"): "read",
    ("/api/v1/process-runs/<run_id>", "HEAD"): "read",
    ("/api/v1/process-runs/<run_id>/tasks", "GET"): "read",
    ("/api/v1/process-runs/<run_id>/tasks", "HEAD"): "read",
    ("/api/v1/process-runs/<run_id>/tasks/<task_id>", "GET"): "read",
    ("/api/v1/process-runs/<run_id>/tasks/<task_id>", "HEAD"): "read",
    ("/api/v1/process-runs/<run_id>/tasks/<task_id>", "PATCH"): "write",
    # template authoring (§10, tests/test_authoring_scopes.py)
    ("/api/v1/process-templates", "POST"): "admin",
    ("/api/v1/process-templates/<template_id>", "PATCH"): "admin",
    ("/api/v1/process-templates/<template_id>", "DELETE"): "admin",
    ("/api/v1/process-templates/<template_id>/publish", "POST"): "admin",
    ("/api/v1/process-templates/<template_id>/unpublish", "POST"): "admin",
    ("/api/v1/process-templates/<template_id>/versions", "GET"): "read",
    ("/api/v1/process-templates/<template_id>/versions", "HEAD"): "read",
    ("/api/v1/process-templates/<template_id>/versions/<version>", "GET"): "read",
    ("/api/v1/process-templates/<template_id>/versions/<version>", "HEAD"): "read",
    ("/api/v1/process-templates/<template_id>/sections", "POST"): "admin",
    ("/api/v1/process-templates/<template_id>/sections/<section_id>", "PATCH"): "admin",
    ("/api/v1/process-templates/<template_id>/sections/<section_id>", "DELETE"): "admin",
    ("/api/v1/process-templates/<template_id>/tasks", "POST"): "admin",
    ("/api/v1/process-templates/<template_id>/tasks/<task_id>", "GET"): "read",
    ("/api/v1/process-templates/<template_id>/tasks/<task_id>", "HEAD"): "read",
    ("/api/v1/process-templates/<template_id>/tasks/<task_id>", "PATCH"): "admin",
    ("/api/v1/process-templates/<template_id>/tasks/<task_id>", "DELETE"): "admin",
    # webhooks (§11)
    ("/api/v1/webhooks", "GET"): "admin",
    ("/api/v1/webhooks", "HEAD"): "admin",
    ("/api/v1/webhooks", "POST"): "admin",
    ("/api/v1/webhooks/<webhook_id>", "GET"): "admin",
    ("/api/v1/webhooks/<webhook_id>", "HEAD"): "admin",
    ("/api/v1/webhooks/<webhook_id>", "PATCH"): "admin",
    ("/api/v1/webhooks/<webhook_id>", "DELETE"): "admin",
    ("/api/v1/webhooks/<webhook_id>/rotate-secret", "POST"): "admin",
    ("/api/v1/webhooks/<webhook_id>/test", "POST"): "admin",
    ("/api/v1/webhooks/<webhook_id>/deliveries", "GET"): "admin",
    ("/api/v1/webhooks/<webhook_id>/deliveries", "HEAD"): "admin",
    ("/api/v1/webhooks/<webhook_id>/deliveries/<delivery_id>", "GET"): "admin",
    ("/api/v1/webhooks/<webhook_id>/deliveries/<delivery_id>", "HEAD"): "admin",
    ("/api/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver", "POST"): "admin",
}


def routes(app):
    """{(rule, method): view} for every route of ours that needs a key."""
    found = {}
    for rule in app.url_map.iter_rules():
        if (not rule.endpoint.startswith("nextstep.") or rule.rule in PUBLIC
                or rule.endpoint.endswith("." + CATCH_ALL_ENDPOINT)):
            continue
        for method in rule.methods - {"OPTIONS"}:
            found[(rule.rule, method)] = app.view_functions[rule.endpoint]
    return found


def test_every_route_needs_the_scope_the_contract_gives_it(app):
    found = routes(app)
    assert sorted(found) == sorted(ROUTE_SCOPES)
    assert {route: required_scope(view, route[1]) for route, view in found.items()} == (
        ROUTE_SCOPES)


@pytest.mark.parametrize("key_scope, needed, allowed", [
    ("read", "read", True), ("read", "write", False), ("read", "admin", False),
    ("write", "read", True), ("write", "write", True), ("write", "admin", False),
    ("admin", "read", True), ("admin", "write", True), ("admin", "admin", True),
])
def test_each_scope_includes_the_ones_before_it(key_scope, needed, allowed):
    assert allows(key_scope, needed) is allowed
    assert SCOPES == ("read", "write", "admin")


def refused(needed, scope):
    return {"error": {"code": "forbidden", "message": (
        f"This request needs an API key with the {needed} scope; this key's scope is {scope}"),
        "details": {"required_scope": needed}}}


@pytest.fixture
def keys(team, make_key):
    """{"read": auth headers, "write": ..., "admin": ...} for three keys of team acme."""
    return {scope: {"Authorization": f"Bearer {make_key(team, scope=scope)[0]}"}
            for scope in SCOPES}


@pytest.fixture
def started_run(client, keys, team, make_template):
    template = make_template(team, tasks=[{}, {}])
    run = started(client, keys["write"], template)
    return template, run, tasks_of(client, keys["write"], run["id"])


def test_a_read_key_reads_everything(client, keys, started_run):
    template, run, tasks = started_run
    for path in (TEMPLATES, f"{TEMPLATES}/{template.id}", f"{TEMPLATES}/{template.id}/tasks",
                 RUNS, f"{RUNS}/{run['id']}", f"{RUNS}/{run['id']}/tasks",
                 f"{RUNS}/{run['id']}/tasks/{tasks[0]['id']}"):
        assert client.get(path, headers=keys["read"]).status_code == 200, path
        assert client.head(path, headers=keys["read"]).status_code == 200, path


def test_a_read_key_cannot_start_a_run_and_nothing_is_written(client, keys, started_run):
    template, _run, _tasks = started_run
    before = counts()
    response = client.post(RUNS, json={"template_id": template.id}, headers=keys["read"])
    assert response.status_code == 403
    assert response.get_json() == refused("write", "read")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert counts() == before


def test_a_read_key_cannot_patch_a_run_task_and_nothing_is_written(client, keys,
                                                                   started_run):
    _template, run, tasks = started_run
    task_before, run_before, before = row(RunTask, tasks[0]["id"]), row(Run, run["id"]), counts()
    response = patch(client, keys["read"], run["id"], tasks[0]["id"], {"completed": True})
    assert (response.status_code, response.get_json()) == (403, refused("write", "read"))
    assert (row(RunTask, tasks[0]["id"]), row(Run, run["id"]), counts()) == (
        task_before, run_before, before)


@pytest.mark.parametrize("method, path, body", [
    ("post", RUNS, {"template_id": "nope", "unknown": 1}),       # would be 422
    ("post", RUNS, None),                                          # would be 415
    ("patch", f"{RUNS}/no-such-run/tasks/no-such-task", {"x": 1}),  # would be 404
])
def test_the_scope_is_checked_before_the_routes_own_checks(client, keys, method, path, body):
    send = getattr(client, method)
    response = (send(path, headers=keys["read"]) if body is None
                else send(path, json=body, headers=keys["read"]))
    assert (response.status_code, response.get_json()) == (403, refused("write", "read"))


def test_unknown_paths_and_methods_answer_as_for_any_key(client, keys):
    response = client.post(f"{TEMPLATES}/x/nothing-here", json={}, headers=keys["read"])
    assert response.status_code == 404
    response = client.delete(RUNS, headers=keys["read"])
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_authentication_and_the_subscription_come_before_the_scope(client, keys, team):
    bad = {"Authorization": "Bearer nxs_live_" + "0" * 32}
    assert client.post(RUNS, json={}, headers=bad).status_code == 401
    team.subscription_status = "canceled"
    team.save()
    response = client.post(RUNS, json={}, headers=keys["read"])
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == (
        "The team's subscription is inactive; renew it to use the API")


@pytest.mark.parametrize("scope", ["write", "admin"])
def test_write_and_admin_keys_start_runs_and_patch_tasks(client, keys, team, make_template,
                                                         scope):
    template = make_template(team)
    run = started(client, keys[scope], template)
    task = tasks_of(client, keys[scope], run["id"])[0]
    response = patch(client, keys[scope], run["id"], task["id"], {"completed": True})
    assert response.status_code == 200
    assert RunTask.get_by_id(task["id"]).completed is True
    assert client.get(f"{RUNS}/{run['id']}", headers=keys[scope]).status_code == 200


def test_only_an_admin_key_reaches_a_view_that_requires_admin(app, client, keys, monkeypatch):
    """Authoring and webhook views declare `@requires("admin")`; whatever their method,
    read and write keys are refused and an admin key passes."""
    view = app.view_functions["nextstep.templates.list_templates"]
    monkeypatch.setattr(view, "required_scope", "admin", raising=False)
    for scope in ("read", "write"):
        response = client.get(TEMPLATES, headers=keys[scope])
        assert (response.status_code, response.get_json()) == (403, refused("admin", scope))
    assert client.get(TEMPLATES, headers=keys["admin"]).status_code == 200


def test_keys_are_write_keys_unless_made_otherwise(team, make_key):
    _key, key_row = make_key(team)
    assert ApiKey.get_by_id(key_row.id).scope == "write"


def test_an_unknown_scope_is_refused_and_no_key_made(team, make_member):
    with pytest.raises(APIError) as refused:
        create_api_key(team, make_member(team, role="owner"), "k", "owner")
    assert (refused.value.status, refused.value.code, refused.value.message) == (
        422, "validation_error", 'Unknown scope "owner"; use one of read, write, admin.')
    assert ApiKey.select().count() == 0


def test_a_stored_scope_that_is_none_of_the_three_allows_nothing(client, team, make_key):
    key, key_row = make_key(team)
    ApiKey.update(scope="root").where(ApiKey.id == key_row.id).execute()
    response = client.get(TEMPLATES, headers={"Authorization": f"Bearer {key}"})
    assert (response.status_code, response.get_json()) == (403, refused("read", "root"))
