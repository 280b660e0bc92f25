"""Rate limits (contract §5): per key over a moving window, and per address on failures.

Runs on memory:// always, and on Redis too when NEXTSTEP_TEST_REDIS_URL is set.
"""
import time

import pytest

from conftest import REDIS_URL

URL = "/api/v1/process-templates"
STORAGES = ["memory://", pytest.param(REDIS_URL, id="redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="NEXTSTEP_TEST_REDIS_URL is not set"))]


@pytest.fixture(params=STORAGES, ids=["memory", "redis"])
def app_config(request, app_config):
    return dict(app_config, NEXTSTEP_RATELIMIT_STORAGE_URI=request.param or "memory://")


@pytest.fixture(autouse=True)
def reset_counters(app):
    yield
    app.extensions["nextstep"].limiter.reset()


def test_exactly_100_of_120_rapid_requests_pass(client, auth):
    statuses = [client.get(URL, headers=auth).status_code for _ in range(120)]
    assert statuses.count(200) == 100
    assert statuses.count(429) == 20
    assert statuses[:100] == [200] * 100


def test_one_allowance_covers_every_endpoint(client, auth, team, make_template):
    template = make_template(team)
    urls = [URL, f"{URL}/{template.id}", f"{URL}/{template.id}/tasks", "/api/v1/process-runs",
            "/api/v1/nope"]
    statuses = [client.get(urls[n % len(urls)], headers=auth).status_code for n in range(105)]
    assert statuses.count(429) == 5
    assert 429 not in statuses[:100]
    posted = client.post("/api/v1/process-runs", json={"template_id": template.id},
                         headers=auth)
    assert posted.status_code == 429


def test_the_429_answer(client, auth):
    for _ in range(100):
        client.get(URL, headers=auth)
    response = client.get(URL, headers=auth)
    assert response.status_code == 429
    assert response.json == {"error": {"code": "rate_limited", "message": (
        "Too many requests; retry after the time in Retry-After")}}
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_every_authenticated_response_carries_the_headers(client, auth):
    first = client.get(URL, headers=auth)
    second = client.get(URL, headers=auth)
    assert first.headers["X-RateLimit-Limit"] == "100"
    assert first.headers["X-RateLimit-Remaining"] == "99"
    assert second.headers["X-RateLimit-Remaining"] == "98"
    reset = int(first.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert "Retry-After" not in first.headers


def test_keys_are_counted_separately(client, team, make_key, auth):
    other = {"Authorization": f"Bearer {make_key(team)[0]}"}
    for _ in range(100):
        client.get(URL, headers=auth)
    assert client.get(URL, headers=auth).status_code == 429
    assert client.get(URL, headers=other).status_code == 200


def test_health_is_not_limited(client, auth):
    for _ in range(150):
        response = client.get("/api/v1/health", headers=auth)
        assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers
    assert client.get(URL, headers=auth).headers["X-RateLimit-Remaining"] == "99"


class TestConfiguredLimits:
    @pytest.fixture
    def app_config(self, app_config):
        return dict(app_config, NEXTSTEP_RATE_LIMIT="5 per minute",
                    NEXTSTEP_AUTH_FAILURE_LIMIT="3 per minute")

    def test_the_configured_key_limit_applies(self, client, auth):
        statuses = [client.get(URL, headers=auth).status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429] * 2

    def test_failed_authentication_is_limited_per_address(self, client, auth):
        bad = {"Authorization": "Bearer nxs_live_" + "0" * 32}
        statuses = [client.get(URL, headers=bad).status_code for _ in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
        # Another guess from another address: its own allowance. (Another guess, since
        # the per-key allowance of 5 counts every request presenting one token.)
        other = {"Authorization": "Bearer nxs_live_" + "1" * 32}
        other_address = client.get(URL, headers=other, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other_address.status_code == 401

    def test_a_valid_key_is_never_refused_for_others_guessing_at_its_address(self, client,
                                                                             auth):
        """Contract §13: only failed attempts are refused once the allowance is used up."""
        bad = {"Authorization": "Bearer nxs_live_" + "0" * 32}
        for _ in range(4):
            client.get(URL, headers=bad)
        assert client.get(URL, headers=bad).status_code == 429
        assert client.get(URL, headers=auth).status_code == 200
        assert client.get(URL, headers={}).status_code == 429
        assert client.get(URL, headers=auth).status_code == 200

    def test_the_failed_authentication_429(self, client):
        bad = {"Authorization": "Bearer nxs_live_" + "0" * 32}
        for _ in range(3):
            client.get(URL, headers=bad)
        response = client.get(URL, headers=bad)
        assert response.status_code == 429
        assert response.json == {"error": {"code": "rate_limited", "message": (
            "Too many failed authentications from this address; retry after the time in "
            "Retry-After")}}
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert response.headers["X-Request-Id"]

    def test_successful_requests_do_not_use_up_the_failure_limit(self, client, auth):
        for _ in range(4):
            assert client.get(URL, headers=auth).status_code == 200
        bad = {"Authorization": "Bearer nxs_live_" + "0" * 32}
        assert client.get(URL, headers=bad).status_code == 401

    def test_forwarded_for_is_ignored_without_a_proxy_count(self, client):
        bad = {"Authorization": "Bearer nxs_live_" + "0" * 32}
        statuses = [client.get(URL, headers=dict(bad, **{"X-Forwarded-For": f"10.0.0.{n}"}))
                    .status_code for n in range(4)]
        assert statuses == [401, 401, 401, 429]


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self, app_config):
        return dict(app_config, NEXTSTEP_AUTH_FAILURE_LIMIT="2 per minute",
                    NEXTSTEP_PROXY_COUNT=1)

    def test_the_forwarded_address_is_the_one_limited(self, client):
        def attempt(forwarded):
            return client.get(URL, headers={"Authorization": "Bearer nxs_live_" + "0" * 32,
                                            "X-Forwarded-For": forwarded}).status_code
        assert [attempt("spoofed, 10.0.0.1") for _ in range(3)] == [401, 401, 429]
        assert attempt("10.0.0.2") == 401
