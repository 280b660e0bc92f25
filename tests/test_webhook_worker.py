"""The worker as a process and under failures: `serve --no-worker` and `nextstep worker`,
a SIGKILLed server, a worker that dies after its claim, two workers at once."""
import os
import signal
import subprocess
import threading
from collections import Counter

import pytest
from test_run_helpers import started
from webhook_helpers import Clock, Receiver, admin_key, bearer, local_settings, wait_until

from nextstep.models import Delivery, Webhook
from nextstep.services.worker import Worker, claim
from servers import console_script

LOCAL = {"NEXTSTEP_WEBHOOK_ALLOW_HTTP": "1", "NEXTSTEP_WEBHOOK_ALLOW_PRIVATE": "1",
         "NEXTSTEP_WEBHOOK_POLL_MS": "50"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "NEXTSTEP_WEBHOOK_ALLOW_HTTP": True,
            "NEXTSTEP_WEBHOOK_ALLOW_PRIVATE": True, "NEXTSTEP_RATE_LIMIT": "1000 per minute"}


@pytest.fixture
def admin(team, make_key):
    return bearer(admin_key(make_key, team)[0])


def subscribe(client, admin, url):
    response = client.post("/api/v1/webhooks", headers=admin,
                           json={"url": url, "events": ["process_run.created"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def start_over_http(server, auth, template):
    status, _headers, body = server.request("POST", "/api/v1/process-runs",
                                            {"template_id": template.id}, auth)
    assert status == 201, body


def worker_process(database_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
    env.update(LOCAL, NEXTSTEP_DATABASE_URL=database_url,
               NEXTSTEP_INSTANCE_PATH=str(tmp_path / "worker-instance"))
    return subprocess.Popen([str(console_script()), "worker"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_serve_delivers_from_its_own_thread(client, auth, admin, team, make_template,
                                            serve_process):
    template = make_template(team)
    with Receiver() as receiver:
        subscribe(client, admin, receiver.url)
        server = serve_process(**LOCAL)
        start_over_http(server, auth, template)
        wait_until(lambda: len(receiver.requests) == 1, what="the delivery")
    assert Delivery.get().status == "delivered"


def test_no_worker_sends_nothing_and_nextstep_worker_then_sends(
        client, auth, admin, team, make_template, serve_process, database_url, tmp_path):
    template = make_template(team)
    with Receiver() as receiver:
        subscribe(client, admin, receiver.url)
        server = serve_process("--no-worker", **LOCAL)
        start_over_http(server, auth, template)
        start_over_http(server, auth, template)
        server.stop()
        assert receiver.requests == []
        assert [d.status for d in Delivery.select()] == ["pending", "pending"]
        worker = worker_process(database_url, tmp_path)
        try:
            wait_until(lambda: len(receiver.requests) == 2, what="both deliveries")
            wait_until(lambda: all(d.status == "delivered" for d in Delivery.select()),
                       what="both recorded")
        finally:
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "Delivering webhooks; SIGTERM or Ctrl+C stops the worker." in output
    assert output.rstrip().endswith("Webhook worker stopped.")


def test_a_server_killed_between_the_change_and_the_send_delivers_after_restart(
        client, auth, admin, team, make_template, serve_process):
    template = make_template(team)
    with Receiver() as receiver:
        subscribe(client, admin, receiver.url)
        first = serve_process("--no-worker", **LOCAL)  # the send cannot come before the kill
        start_over_http(first, auth, template)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        assert receiver.requests == [] and Delivery.get().status == "pending"
        serve_process(**LOCAL)
        wait_until(lambda: len(receiver.requests) == 1, what="the delivery after restart")
    assert Delivery.get().status == "delivered"


def test_a_worker_that_dies_after_its_claim_loses_nothing(client, auth, admin, team,
                                                          make_template):
    template = make_template(team)
    clock = Clock()
    settings = local_settings()
    with Receiver() as receiver:
        subscribe(client, admin, receiver.url)
        started(client, auth, template)
        [claimed] = claim(settings, 10, clock())  # ... and the worker dies here
        assert Delivery.get().status == "delivering"
        other = Worker(settings, clock=clock)
        try:
            assert other.drain() == 0  # the lease still holds
            clock.tick(settings.lease.total_seconds() + 1)
            assert other.drain() == 1
            assert other.drain() == 0
        finally:
            other._pool.shutdown()
    assert len(receiver.requests) == 1
    delivery = Delivery.get()
    assert (delivery.id, delivery.status, delivery.attempts) == (claimed.id, "delivered", 1)


def test_a_stopping_worker_gives_back_what_it_has_not_begun(client, auth, admin, team,
                                                            make_template):
    template = make_template(team)
    subscribe(client, admin, "http://127.0.0.1:9/")
    started(client, auth, template)
    worker = Worker(local_settings())
    worker.stopping.set()
    try:
        assert worker.run_once() == 0
    finally:
        worker._pool.shutdown()
    delivery = Delivery.get()
    assert (delivery.status, delivery.attempts, delivery.claim_token) == ("pending", 0, None)


def test_two_workers_never_send_one_attempt_twice(client, auth, admin, team, make_template):
    template = make_template(team)
    with Receiver() as receiver:
        subscribe(client, admin, receiver.url)
        for _ in range(200):
            started(client, auth, template)
        workers = [Worker(local_settings(concurrency=4)) for _ in range(2)]
        done = []
        threads = [threading.Thread(target=lambda w=w: done.append(w.drain())) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for worker in workers:
            worker._pool.shutdown()
    sent = Counter(r["headers"]["webhook-id"] for r in receiver.requests)
    assert len(sent) == 200 and set(sent.values()) == {1}
    assert sum(done) == 200
    assert Delivery.select().where(Delivery.status == "delivered").count() == 200
    assert Webhook.get().consecutive_failures == 0
