"""Routing under the prefix (contract §13): any method, any path, always our envelope.

Through the test client and through a real waitress server, since werkzeug's routing
(HTML 405 and 308 pages) is what answered before.
"""
import json

import pytest

from servers import request, serving_in_thread

BASE = "/api/v1"
NOT_FOUND = {"error": {"code": "not_found", "message": "Resource not found"}}
NOT_ALLOWED = {"error": {"code": "method_not_allowed",
                         "message": "Method not allowed on this path"}}
JSON = "application/json; charset=utf-8"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "MKCOL", "BREW", "PUT",
                                    "DELETE", "LOCK", "SEARCH"])
@pytest.mark.parametrize("path, allow", [
    ("/process-runs", "GET, HEAD, OPTIONS, POST"),
    ("/process-runs/abc", "GET, HEAD, OPTIONS"),
    ("/process-runs/abc/tasks/def", "GET, HEAD, OPTIONS, PATCH"),
    ("/health", "GET, HEAD, OPTIONS"),
])
def test_any_other_method_on_a_known_path_is_405_json(client, auth, method, path, allow):
    response = client.open(BASE + path, method=method, headers=auth)
    assert response.status_code == 405
    assert response.json == NOT_ALLOWED
    assert response.headers["Content-Type"] == JSON
    assert response.headers["Allow"] == allow
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "GET", "PATCH"])
def test_any_method_on_an_unknown_path_is_404_json(client, auth, method):
    response = client.open(BASE + "/no-such-thing", method=method, headers=auth)
    assert (response.status_code, response.json) == (404, NOT_FOUND)


def test_an_unknown_method_still_needs_a_key_first(client):
    response = client.open(BASE + "/process-runs", method="PROPFIND")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path, allow", [
    ("/process-templates", "GET, HEAD, OPTIONS, POST"),
    ("/process-templates/abc/tasks", "GET, HEAD, OPTIONS, POST"),
    ("/process-runs", "GET, HEAD, OPTIONS, POST"),
    ("/process-runs/abc/tasks/def", "GET, HEAD, OPTIONS, PATCH"),
    ("/health", "GET, HEAD, OPTIONS"),
])
def test_options_names_only_the_methods_the_path_has(client, auth, path, allow):
    response = client.options(BASE + path, headers=auth)
    assert response.status_code == 204
    assert response.headers["Allow"] == allow
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert response.headers["X-Request-Id"]


def test_options_on_an_unknown_path_is_404(client, auth):
    response = client.options(BASE + "/nope", headers=auth)
    assert (response.status_code, response.json) == (404, NOT_FOUND)


@pytest.mark.parametrize("path", ["", "/", "//process-runs", "/./process-runs",
                                  "/process-runs/", "/process-runs//", "/process-templates/.",
                                  "//", "/%2e%2e/process-runs", "/%0a", "/process-runs/%0d%0a",
                                  "/x%0Ay"])
def test_odd_paths_under_the_prefix_are_404_json_never_a_redirect(client, auth, path):
    response = client.get(BASE + path, headers=auth)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"  # "/." is a template id here
    assert "Location" not in response.headers


RAW_CASES = [
    ("TRACE", BASE + "/process-runs", 405),
    ("PROPFIND", BASE + "/x", 404),
    ("GET", BASE, 404),
    ("GET", BASE + "//process-runs", 404),
    ("GET", "///api/v1", 404),
    ("GET", "//api/v1//process-runs", 404),
    ("GET", BASE + "/./process-runs", 404),
    ("OPTIONS", BASE + "/process-runs", 204),
    ("GET", BASE + "/%0A", 404),
    ("GET", BASE + "/process-runs/a%0Ab", 404),
]


def test_the_same_answers_through_a_real_server(app, auth):
    with serving_in_thread(app, threads=2) as server:
        answers = [(method, path, *request(server.effective_port, method, path,
                                           headers=auth)) for method, path, _ in RAW_CASES]
    for (method, path, expected), (_m, _p, status, headers, body) in zip(
            RAW_CASES, answers, strict=True):
        assert status == expected, (method, path, status, body)
        assert headers["X-Request-Id"], (method, path)
        if status == 204:
            assert body == b"" and "POST" in headers["Allow"]
        else:
            assert headers["Content-Type"] == JSON, (method, path)
            assert "error" in json.loads(body), (method, path)
