"""The OpenAPI 3.1 document (contract §12): valid, complete, served without a key, written
by `nextstep openapi`, and generated from the schemas (a new field shows with no other
edit)."""
import json

import pytest
from jsonschema import Draft202012Validator
from marshmallow import fields
from openapi_spec_validator import validate
from test_run_helpers import RUNS, started, tasks_of
from werkzeug.routing import Rule

from nextstep.api.openapi import ERROR_CODES, UndocumentedRoute, build_document, own_rules
from nextstep.schemas.run import RunSchema

DOC = "/api/v1/openapi.json"


@pytest.fixture
def document(client):
    response = client.get(DOC)
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_it_is_served_without_a_key_or_rate_limit(app, client):
    app.extensions["nextstep"].limiter.enabled = True
    for _ in range(3):
        response = client.get(DOC)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert "X-RateLimit-Limit" not in response.headers and response.headers["X-Request-Id"]


def test_every_route_is_in_the_document_with_every_method(app, document):
    rules = own_rules(app)
    assert rules
    for rule in rules:
        path = rule.rule.removeprefix("/api/v1")
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", "{" + argument + "}")
        assert path in document["paths"], rule.rule
        methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
        assert methods <= set(document["paths"][path]), rule.rule
    assert len(document["paths"]) == len({rule.rule for rule in rules})


def test_a_route_without_a_description_fails_the_document(app):
    """A route added to our blueprint without @operation: the document refuses to build,
    so this test suite fails until the route is described."""
    app.url_map.add(Rule("/api/v1/undescribed", endpoint="nextstep.undescribed",
                         methods=["GET"]))
    app.view_functions["nextstep.undescribed"] = lambda: "x"
    with app.app_context(), pytest.raises(UndocumentedRoute, match="/api/v1/undescribed"):
        build_document(app)


def test_security_headers_envelopes_and_error_codes(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "nxs_live_<32 hex>",
        "description": "An API key made with `nextstep create-api-key`."}
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/health"]["get"]["security"] == []
    start = document["paths"]["/process-runs"]["post"]
    created = start["responses"]["201"]
    assert set(created["headers"]) == {"X-Request-Id", "X-RateLimit-Limit",
                                       "X-RateLimit-Remaining", "X-RateLimit-Reset",
                                       "Location", "ETag", "Idempotent-Replayed"}
    assert created["content"]["application/json"]["schema"]["properties"]["data"] == {
        "$ref": "#/components/schemas/Run"}
    assert start["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RunStart"}
    codes = {code for status in start["responses"].values()
             for code in status.get("content", {}).get("application/json", {})
             .get("schema", {}).get("properties", {}).get("error", {})
             .get("properties", {}).get("code", {}).get("enum", [])}
    assert codes == {"unauthorized", "forbidden", "rate_limited", "not_found",
                     "template_not_published", "template_archived", "bad_request",
                     "payload_too_large",
                     "unsupported_media_type", "validation_error", "idempotency_key_reused",
                     "idempotency_key_in_use", "internal_error", "unavailable"}
    assert set(ERROR_CODES) >= codes
    patch = document["paths"]["/process-runs/{run_id}/tasks/{task_id}"]["patch"]
    assert {"412", "409", "422"} <= set(patch["responses"])
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in patch["parameters"]}
    assert {"IfMatch", "IdempotencyKey", "RequestId"} <= names
    runs = document["paths"]["/process-runs"]["get"]
    query = {p["name"] for p in runs["parameters"] if p.get("in") == "query"}
    assert query == {"limit", "cursor", "template_id", "status"}
    listed = runs["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["properties"]["pagination"] == {"$ref": "#/components/schemas/Pagination"}
    single = document["paths"]["/process-runs/{run_id}"]["get"]["responses"]
    assert "304" in single and "ETag" in single["200"]["headers"]


def test_answers_match_the_document(client, auth, team, make_template, document):
    """Real answers validate against the schemas the document gives for them."""
    run = started(client, auth, make_template(team, tasks=[{"title": "A"}]))
    task = tasks_of(client, auth, run["id"])[0]
    checks = [("/process-runs/{run_id}", f"{RUNS}/{run['id']}", 200),
              ("/process-runs/{run_id}/tasks/{task_id}",
               f"{RUNS}/{run['id']}/tasks/{task['id']}", 200),
              ("/process-runs", RUNS, 200),
              ("/process-runs/{run_id}/tasks", f"{RUNS}/{run['id']}/tasks", 200),
              ("/process-templates", "/api/v1/process-templates", 200),
              ("/process-templates/{template_id}",
               f"/api/v1/process-templates/{run['template_id']}", 200),
              ("/process-templates/{template_id}/tasks",
               f"/api/v1/process-templates/{run['template_id']}/tasks", 200),
              ("/process-runs/{run_id}", f"{RUNS}/nope", 404),
              ("/process-runs", RUNS + "?limit=0", 400)]
    for template_path, path, status in checks:
        response = client.get(path, headers=auth)
        assert response.status_code == status
        schema = document["paths"][template_path]["get"]["responses"][str(status)][
            "content"]["application/json"]["schema"]
        # The components travel with the schema, so its $refs resolve.
        Draft202012Validator(dict(schema, components=document["components"])).validate(
            response.get_json())


def test_a_new_schema_field_reaches_the_document_with_no_other_edit(app, monkeypatch):
    with app.app_context():
        before = build_document(app)
    monkeypatch.setitem(RunSchema._declared_fields, "archived_note",
                        fields.String(allow_none=True))
    with app.app_context():
        after = build_document(app)
    assert "archived_note" not in before["components"]["schemas"]["Run"]["properties"]
    assert after["components"]["schemas"]["Run"]["properties"]["archived_note"] == {
        "type": ["string", "null"]}
    assert "archived_note" in after["components"]["schemas"]["Run"]["required"]


def test_nextstep_openapi_writes_what_the_server_serves(runner, client, tmp_path):
    served = client.get(DOC).get_json()
    target = tmp_path / "openapi.json"
    result = runner.invoke(args=["openapi", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == served
    printed = runner.invoke(args=["openapi"])
    assert printed.exit_code == 0 and json.loads(printed.stdout) == served
    refused = runner.invoke(args=["openapi", str(tmp_path / "no" / "such" / "file.json")])
    assert refused.exit_code == 1
    assert "Cannot write" in refused.output
