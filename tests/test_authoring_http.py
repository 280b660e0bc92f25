"""The authoring endpoints keep the API's HTTP conventions: envelopes, 400/404/405/415,
pagination of the versions list, rate limit headers and 429."""
import pytest
from authoring_helpers import BASE, admin_key

NOT_JSON = {"error": {"code": "unsupported_media_type", "message": (
    "The request body must be JSON sent as Content-Type: application/json")}}


@pytest.fixture
def app_config(app_config):
    return dict(app_config, NEXTSTEP_RATE_LIMIT="30 per minute")


@pytest.fixture
def admin(team, make_member):
    return {"Authorization": f"Bearer {admin_key(team, make_member(team, role='admin'))}"}


@pytest.fixture
def tid(client, admin):
    response = client.post(BASE, json={"title": "T", "tasks": [{"title": "A"}]}, headers=admin)
    return response.json["data"]["id"]


def test_bodies_must_be_json_objects(client, admin, tid):
    for path in ("", f"/{tid}/tasks", f"/{tid}/sections"):
        response = client.post(BASE + path, data="title=x", headers=admin,
                               content_type="text/plain")
        assert (response.status_code, response.json) == (415, NOT_JSON)
        response = client.post(BASE + path, data="{", headers=admin,
                               content_type="application/json")
        assert (response.status_code, response.json["error"]["code"]) == (400, "bad_request")
        response = client.post(BASE + path, json=[{"title": "x"}], headers=admin)
        assert response.json == {"error": {"code": "bad_request", "message":
                                           "The request body must be a JSON object"}}


def test_methods_and_paths(client, admin, tid):
    response = client.put(f"{BASE}/{tid}", json={}, headers=admin)
    assert (response.status_code, response.headers["Allow"]) == (
        405, "DELETE, GET, HEAD, OPTIONS, PATCH")
    response = client.get(f"{BASE}/{tid}/publish", headers=admin)
    assert (response.status_code, response.headers["Allow"]) == (405, "OPTIONS, POST")
    response = client.options(f"{BASE}/{tid}/sections/x", headers=admin)
    assert response.headers["Allow"] == "DELETE, OPTIONS, PATCH"
    response = client.patch(f"{BASE}/{tid}/sections/nope", json={"title": "x"}, headers=admin)
    assert response.json == {"error": {"code": "not_found",
                                       "message": "Process template section not found"}}
    response = client.patch(f"{BASE}/{tid}/tasks/nope", json={"title": "x"}, headers=admin)
    assert response.json == {"error": {"code": "not_found",
                                       "message": "Process template task not found"}}


def test_the_versions_list_pages_by_version_number(client, admin, tid):
    for n in range(3):
        client.patch(f"{BASE}/{tid}", json={"title": f"T{n}"}, headers=admin)
        assert client.post(f"{BASE}/{tid}/publish", headers=admin).json["data"]["version"] == n + 1
    first = client.get(f"{BASE}/{tid}/versions?limit=2", headers=admin).json
    assert [v["version"] for v in first["data"]] == [3, 2]
    assert first["pagination"] == {"next_cursor": "2", "has_more": True}
    assert set(first["data"][0]) == {"version", "created_at", "task_count"}
    rest = client.get(f"{BASE}/{tid}/versions?limit=2&cursor=2", headers=admin).json
    assert (rest["data"][0]["version"], rest["pagination"]) == (
        1, {"next_cursor": "1", "has_more": False})
    empty = client.get(f"{BASE}/{tid}/versions?cursor=1", headers=admin).json
    assert empty == {"data": [], "pagination": {"next_cursor": None, "has_more": False}}
    for query in ("cursor=9", "cursor=abc", "cursor=%C2%B2", "limit=0", "limit=101"):
        response = client.get(f"{BASE}/{tid}/versions?{query}", headers=admin)
        assert (query, response.status_code, response.json["error"]["code"]) == (
            query, 400, "bad_request")
    assert client.get(f"{BASE}/{tid}/versions/2", headers=admin).json["data"]["template"][
        "title"] == "T1"
    for version in ("0", "4", "abc", "1" * 30, "-1"):
        response = client.get(f"{BASE}/{tid}/versions/{version}", headers=admin)
        assert response.json == {"error": {"code": "not_found",
                                           "message": "Process template version not found"}}


def test_authoring_counts_against_the_rate_limit(client, admin, tid):
    response = client.post(f"{BASE}/{tid}/sections", json={"title": "S"}, headers=admin)
    assert response.headers["X-RateLimit-Limit"] == "30"
    remaining = int(response.headers["X-RateLimit-Remaining"])
    for _ in range(remaining):
        client.post(f"{BASE}/{tid}/unpublish", headers=admin)
    response = client.post(f"{BASE}/{tid}/sections", json={"title": "S"}, headers=admin)
    assert (response.status_code, response.json["error"]["code"]) == (429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
