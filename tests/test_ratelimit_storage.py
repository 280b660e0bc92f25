"""The rate-limit storage going away (contract §13): requests are still served, counted
per process by Flask-Limiter's in-memory fallback; the log warns; /health says degraded.

A private redis-server on a free port is started and killed by the tests that need one
(skipped, with the reason, when the machine has no redis-server).
"""
import json
import shutil
import subprocess
import time

import pytest

from servers import free_port

URL = "/api/v1/process-templates"
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                  capture_output=True, text=True, check=False)
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis():
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        pytest.skip("redis-server is not installed on this machine")
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.kill()


class TestUnreachableFromTheStart:
    @pytest.fixture
    def app_config(self, app_config):
        return dict(app_config, NEXTSTEP_RATELIMIT_STORAGE_URI=NOWHERE,
                    NEXTSTEP_RATE_LIMIT="3 per minute")

    def test_requests_are_served_and_counted_in_memory(self, client, auth, caplog):
        responses = [client.get(URL, headers=auth) for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
        assert all(r.headers["X-Request-Id"] for r in responses)
        assert responses[-1].json["error"]["code"] == "rate_limited"
        assert "Rate limit storage unreachable" in caplog.text

    def test_health_says_degraded(self, client):
        response = client.get("/api/v1/health")
        assert response.status_code == 200
        assert response.json == {"data": {"status": "degraded", "database": "ok",
                                          "rate_limit_storage": "unavailable"}}

    def test_failed_authentications_are_still_counted(self, client):
        bad = {"Authorization": "Bearer nxs_live_" + "0" * 32}
        statuses = [client.get(URL, headers={"Authorization": f"Bearer nxs_live_{n:032x}"})
                    .status_code for n in range(31)]
        assert statuses == [401] * 30 + [429]
        assert client.get(URL, headers=bad).headers["X-Request-Id"]


def test_a_storage_that_dies_and_returns_under_nextstep_serve(serve_process, auth,
                                                              private_redis):
    server = serve_process(NEXTSTEP_RATELIMIT_STORAGE_URI=private_redis.url,
                           NEXTSTEP_RATE_LIMIT="1000 per minute")

    def health():
        status, headers, body = server.request("GET", "/api/v1/health")
        assert headers["X-Request-Id"]
        return status, json.loads(body)["data"]["status"]

    assert health() == (200, "ok")
    assert server.request("GET", URL, headers=auth)[0] == 200

    private_redis.kill()
    answers = [server.request("GET", URL, headers=auth) for _ in range(5)]
    assert [status for status, _h, _b in answers] == [200] * 5
    assert all(headers["X-Request-Id"] and "X-RateLimit-Remaining" in headers
               for _s, headers, _b in answers)
    assert health() == (200, "degraded")

    private_redis.start()
    assert health() == (200, "ok")
    assert server.request("GET", URL, headers=auth)[0] == 200


def test_a_valid_key_is_served_while_its_address_is_refused_for_guessing(serve_process, auth):
    server = serve_process(NEXTSTEP_AUTH_FAILURE_LIMIT="3 per minute")
    guesses = [server.request("GET", URL, headers={
        "Authorization": f"Bearer nxs_live_{n:032x}"})[0] for n in range(5)]
    assert guesses == [401, 401, 401, 429, 429]
    status, headers, _body = server.request("GET", URL, headers=auth)
    assert status == 200
    assert headers["X-RateLimit-Limit"] == "100"


def test_the_memory_storage_survives_threads_racing_for_its_expiry_timer():
    """limits 5.8's MemoryStorage can start its timer twice ("threads can only be started
    once", a 500); memory:// gives MovingWindowMemoryStorage. Thread switches are forced
    every microsecond so the race window is hit, as 32 server threads hit it."""
    import sys
    import threading
    import time as clock

    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    from nextstep.memory_storage import MovingWindowMemoryStorage
    from nextstep.ratelimit import limiter_storage_uri

    storage = storage_from_string(limiter_storage_uri("memory://"))
    assert isinstance(storage, MovingWindowMemoryStorage)
    limiter, item, errors = MovingWindowRateLimiter(storage), parse("1000000/minute"), []

    def hit_often():
        for n in range(2000):
            try:
                limiter.hit(item, "key")
            except RuntimeError as error:
                errors.append(error)
            if n % 100 == 0:
                clock.sleep(0.012)  # let the 10 ms expiry timer finish, so it is restarted
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=hit_often) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(previous)
    assert errors == []
    assert limiter.get_window_stats(item, "key")[1] == 1000000 - 16 * 2000


@pytest.mark.parametrize("allowance", ["1/second", "3/minute", "100/minute", "20/hour"])
def test_the_memory_window_admits_and_refuses_exactly_as_limits_own(monkeypatch, allowance):
    """Random traffic on a fake clock through limits' MemoryStorage and ours: the same
    answer to every hit, and the same count in the window after each."""
    import random

    from limits import parse
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    from nextstep.memory_storage import MovingWindowMemoryStorage

    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    item, rng = parse(allowance), random.Random(7)
    theirs = MovingWindowRateLimiter(MemoryStorage())
    ours = MovingWindowRateLimiter(MovingWindowMemoryStorage())
    answers = []
    for _ in range(3000):
        # Uniform steps: the base class drops expired hits on a 10 ms timer, so a hit
        # exactly at the window's edge counts or not by timing there; never land on one.
        clock[0] += rng.choice([0, 0.001, rng.uniform(0, item.get_expiry() / item.amount)]
                               * 9 + [rng.uniform(0, item.get_expiry() * 1.5)])
        cost = rng.choice([1, 1, 1, 2])
        answer = ours.hit(item, "k", cost=cost)
        assert answer == theirs.hit(item, "k", cost=cost)
        assert ours.get_window_stats(item, "k")[1] == theirs.get_window_stats(item, "k")[1]
        answers.append(answer)
    assert True in answers and False in answers  # both branches were taken


def test_a_memory_window_holds_at_most_its_allowance(monkeypatch):
    """A key allowed a million a minute keeps no more than that, and a hit costs the same
    with 200,000 hits in its window as with none (no copy of the window per hit)."""
    from limits import parse
    from limits.strategies import MovingWindowRateLimiter

    from nextstep.memory_storage import MovingWindowMemoryStorage

    storage = MovingWindowMemoryStorage()
    limiter, small = MovingWindowRateLimiter(storage), parse("5/minute")
    for _ in range(20):
        limiter.hit(small, "few")
    assert len(storage.events[small.key_for("few")]) == 5
    assert limiter.get_window_stats(small, "few")[1] == 0
    big = parse("1000000/minute")
    for _ in range(200_000):
        assert limiter.hit(big, "many")
    assert limiter.get_window_stats(big, "many")[1] == 1000000 - 200_000


def test_the_windows_of_keys_nobody_uses_are_swept_away():
    from limits import parse
    from limits.strategies import MovingWindowRateLimiter

    from nextstep.memory_storage import MovingWindowMemoryStorage

    storage = MovingWindowMemoryStorage()
    limiter, item = MovingWindowRateLimiter(storage), parse("2/second")
    limiter.hit(item, "idle")
    assert storage.events
    deadline = time.monotonic() + 10
    while storage.events and time.monotonic() < deadline:
        time.sleep(0.1)
    assert storage.events == {} and storage.window_expiry == {}
