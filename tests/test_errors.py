"""One error envelope for every failure under our prefix (contract §3)."""
import io
import logging
import sys

import pytest
from peewee import OperationalError

from nextstep.models import Run, Template, database

BASE = "/api/v1"


@pytest.mark.parametrize("path", ["/", "/nope", "/process-templates/x/y/z", "/process-runz"])
def test_unknown_paths_under_the_prefix_are_404_json(client, auth, path):
    response = client.get(BASE + path, headers=auth)
    assert response.status_code == 404
    assert response.json == {"error": {"code": "not_found", "message": "Resource not found"}}
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


ALLOWED = {  # the authoring endpoints (docs/authoring.md) write templates
    "/process-templates": "GET, HEAD, OPTIONS, POST",
    "/process-templates/abc": "DELETE, GET, HEAD, OPTIONS, PATCH",
    "/process-templates/abc/tasks": "GET, HEAD, OPTIONS, POST",
    "/health": "GET, HEAD, OPTIONS",
}


@pytest.mark.parametrize("path, method", [
    (path, method) for path, allow in ALLOWED.items()
    for method in ("post", "put", "patch", "delete") if method.upper() not in allow])
def test_a_known_path_with_a_wrong_method_is_405_with_allow(client, auth, method, path):
    response = getattr(client, method)(BASE + path, headers=auth)
    assert response.status_code == 405
    assert response.json == {"error": {"code": "method_not_allowed",
                                       "message": "Method not allowed on this path"}}
    assert response.headers["Allow"] == ALLOWED[path]


def test_routing_errors_still_need_a_key(client):
    response = client.get(BASE + "/nope")
    assert response.status_code == 401


def test_paths_outside_the_prefix_are_left_to_flask(client):
    response = client.get("/elsewhere")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


class TestBodyLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return dict(app_config, NEXTSTEP_MAX_CONTENT_LENGTH=1000)

    def test_an_oversize_body_is_413_json(self, client, auth):
        response = client.post(BASE + "/process-templates", headers=auth,
                               data="x" * 1001, content_type="application/json")
        assert response.status_code == 413
        assert response.json == {"error": {
            "code": "payload_too_large",
            "message": "The request body is larger than 1000 bytes"}}

    def test_an_oversize_chunked_body_is_413_json_and_starts_no_run(
            self, client, auth, team, make_template):
        template = make_template(team)
        body = b'{"template_id": "%s", "name": "%s"}' % (template.id.encode(), b"x" * 2000)
        response = client.post(BASE + "/process-runs", headers=dict(
            auth, **{"Content-Type": "application/json", "Transfer-Encoding": "chunked"}),
            input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True})
        assert response.status_code == 413
        assert response.json == {"error": {
            "code": "payload_too_large",
            "message": "The request body is larger than 1000 bytes"}}
        assert Run.select().count() == 0

    @pytest.mark.parametrize("size,status", [(1000, 201), (1001, 413), (5000, 413)])
    def test_a_chunked_body_that_would_parse_if_cut_is_still_measured(
            self, client, auth, team, make_template, size, status):
        template = make_template(team)
        body = b'{"template_id": "%s"}' % template.id.encode()
        body += b" " * (size - len(body))
        response = client.post(BASE + "/process-runs", headers=dict(
            auth, **{"Content-Type": "application/json", "Transfer-Encoding": "chunked"}),
            input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True})
        assert response.status_code == status
        assert Run.select().count() == (1 if status == 201 else 0)

    def test_a_body_at_the_limit_passes_the_size_check(self, client, auth):
        response = client.post(BASE + "/process-runs", headers=auth,
                               data="x" * 1000, content_type="application/json")
        assert (response.status_code, response.json["error"]["message"]) == (
            400, "The request body is not valid JSON")  # read and parsed, not refused


def test_a_bug_is_500_without_a_traceback(client, auth, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail SELECT * FROM api_key")
    monkeypatch.setattr(sys.modules["nextstep.services.templates"], "attach_children", broken)
    with caplog.at_level(logging.ERROR, logger="nextstep"):
        response = client.get(BASE + "/process-templates", headers=auth)
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert response.json == {"error": {
        "code": "internal_error", "message": f"Internal server error (request id {request_id})"}}
    assert b"secret" not in response.data and b"Traceback" not in response.data
    assert request_id in caplog.text and "secret detail" in caplog.text


def test_a_database_error_is_500_and_changes_nothing(client, auth, team, make_template,
                                                    monkeypatch):
    make_template(team)
    monkeypatch.setattr(sys.modules["nextstep.services.templates"].TEMPLATES, "page",
                        lambda *a, **k: list(Template.raw("SELECT nonsense FROM nowhere")))
    response = client.get(BASE + "/process-templates", headers=auth)
    assert response.status_code == 500
    assert b"nowhere" not in response.data
    assert Template.select().count() == 1


def test_health_is_503_when_the_database_fails(client, monkeypatch):
    def fail(*args, **kwargs):
        raise OperationalError("disk I/O error")
    with monkeypatch.context() as patch:
        patch.setattr(database.obj, "execute_sql", fail)
        response = client.get(BASE + "/health")
    assert response.status_code == 503
    assert response.json == {"error": {"code": "unavailable",
                                       "message": "The database is not answering"}}


def test_every_response_has_a_request_id(client, auth):
    first = client.get(BASE + "/process-templates", headers=auth).headers["X-Request-Id"]
    second = client.get(BASE + "/nope").headers["X-Request-Id"]
    assert len(first) == len(second) == 32 and first != second


@pytest.mark.parametrize("path", ["/health", "/process-templates"])
def test_an_unreachable_database_is_503_not_500(client, auth, monkeypatch, path):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server")
    database.close_all()
    with monkeypatch.context() as patch:
        patch.setattr(database.obj, "_connect", refuse)
        response = client.get(BASE + path, headers=auth)
    assert response.status_code == 503
    assert response.json == {"error": {"code": "unavailable",
                                       "message": "The database is not answering"}}
