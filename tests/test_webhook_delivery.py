"""Delivery to a real receiver on 127.0.0.1: envelopes, headers, signatures the reference
`standardwebhooks` package accepts, retries, auto-disable, 410, filters, the log."""
import json
import re

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError
from test_run_helpers import patch, started, tasks_of
from webhook_helpers import Clock, Receiver, admin_key, bearer, local_settings

from nextstep.models import Attempt, Delivery, Event, Webhook
from nextstep.services.worker import Worker

ALL_EVENTS = ["process_run.created", "process_run.completed", "process_step.completed"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "NEXTSTEP_WEBHOOK_ALLOW_HTTP": True,
            "NEXTSTEP_WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def admin(team, make_key):
    return bearer(admin_key(make_key, team)[0])


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def worker(clock):
    made = Worker(local_settings(), clock=clock)
    yield made
    made._pool.shutdown()


def subscribe(client, admin, url, events=ALL_EVENTS, **body):
    response = client.post("/api/v1/webhooks", json={"url": url, "events": events, **body},
                           headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def verified(request, secret):
    """The body as the reference package reads it, after it checked the signature."""
    return Verifier(secret).verify(request["body"], request["headers"])


@pytest.fixture
def two_task_template(team, make_template):
    return make_template(team, title="Hiring", tasks=[
        {"title": "Screen", "webhook_enabled": True,
         "elements": [{"type": "shortText", "label": "Notes"}]},
        {"title": "Quiet"}])


def test_every_event_type_arrives_signed_with_its_envelope(client, auth, admin, worker,
                                                          two_task_template):
    with Receiver() as receiver:
        hook = subscribe(client, admin, receiver.url + "/catch?x=1")
        run = started(client, auth, two_task_template)
        screen, quiet = tasks_of(client, auth, run["id"])
        patch(client, auth, run["id"], quiet["id"], {"completed": True})
        patch(client, auth, run["id"], screen["id"], {"completed": True})
        assert worker.drain() == 3
    events = {e.event: e.payload for e in Event.select()}
    got = {}
    for request in receiver.requests:
        body = verified(request, hook["secret"])
        headers = request["headers"]
        assert request["path"] == "/catch?x=1"
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == "NextStep-Webhooks/1"
        assert headers["X-Webhook-Event"] == body["event"]
        assert headers["X-Webhook-Id"] == headers["webhook-id"] == body["id"]
        assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])
        assert headers["Host"] == receiver.url.removeprefix("http://")
        got[body["event"]] = body
    assert got == events  # the stored envelope, byte for byte what the receiver parsed
    assert set(got) == set(ALL_EVENTS)
    step = got["process_step.completed"]["data"]
    assert (step["task_id"], step["title"]) == (screen["id"], "Screen")  # not "Quiet"
    assert [d.status for d in Delivery.select()] == ["delivered"] * 3


def test_a_signature_from_another_secret_is_refused_by_the_reference(client, auth, admin,
                                                                      worker, two_task_template):
    with Receiver() as receiver:
        subscribe(client, admin, receiver.url)
        started(client, auth, two_task_template)
        worker.drain()
    with pytest.raises(WebhookVerificationError):
        verified(receiver.requests[0], "whsec_" + "A" * 32)


def test_during_a_rotation_both_secrets_sign(client, auth, admin, worker, two_task_template):
    with Receiver() as receiver:
        hook = subscribe(client, admin, receiver.url)
        rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret",
                              headers=admin).get_json()["data"]
        started(client, auth, two_task_template)
        worker.drain()
    [request] = receiver.requests
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    assert verified(request, hook["secret"]) == verified(request, rotated["secret"])


def test_only_subscribed_events_and_the_template_filter(client, auth, admin, worker, team,
                                                       make_template, two_task_template):
    other = make_template(team, title="Other")
    with Receiver() as receiver:
        subscribe(client, admin, receiver.url, events=["process_run.created"],
                  template_id=two_task_template.id)
        subscribe(client, admin, receiver.url + "/done", events=["process_run.completed"])
        mine = started(client, auth, two_task_template)
        started(client, auth, other)
        worker.drain()
    assert [(r["path"], json.loads(r["body"])["data"]["instance_id"])
            for r in receiver.requests] == [("/", mine["id"])]


def test_failures_are_retried_on_schedule_with_the_same_event_id(client, auth, admin, worker,
                                                                 clock, two_task_template):
    with Receiver([(500, "down"), (503, "x" * 1000), (200, "fine")]) as receiver:
        hook = subscribe(client, admin, receiver.url)
        started(client, auth, two_task_template)
        assert worker.drain() == 1
        delivery = Delivery.get()
        assert (delivery.status, delivery.attempts, delivery.response_status,
                delivery.response_body, delivery.error) == ("pending", 1, 500, "down", "HTTP 500")
        assert (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() >= 60
        clock.tick(50)
        assert worker.drain() == 0
        clock.tick(15)
        assert worker.drain() == 1
        delivery = Delivery.get()
        assert (delivery.attempts, delivery.response_body) == (2, "x" * 500)
        clock.tick(120)
        assert worker.drain() == 1
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert len(receiver.requests) == 3
    shown = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery.id}",
                       headers=admin).get_json()["data"]
    assert (shown["status"], shown["attempts"], shown["response_status"]) == ("delivered", 3, 200)
    assert [(a["number"], a["response_status"], a["error"]) for a in shown["attempt_log"]] == [
        (1, 500, "HTTP 500"), (2, 503, "HTTP 503"), (3, 200, None)]
    assert Webhook.get_by_id(hook["id"]).consecutive_failures == 0


def test_ten_failed_deliveries_disable_the_webhook_and_re_enabling_resets(
        client, auth, admin, worker, clock, two_task_template):
    with Receiver([(500, "no")]) as receiver:
        hook = subscribe(client, admin, receiver.url, events=["process_run.created"])
        for n in range(10):
            started(client, auth, two_task_template)
            for _ in range(3):
                worker.drain()
                clock.tick(120)
            row = Webhook.get_by_id(hook["id"])
            assert row.consecutive_failures == n + 1
        assert (row.enabled, row.disabled_reason) == (False, "failures")
        assert len(receiver.requests) == 30
        shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).get_json()["data"]
        assert (shown["enabled"], shown["disabled_reason"], shown["consecutive_failures"]) == (
            False, "failures", 10)
        started(client, auth, two_task_template)  # no delivery for a disabled webhook
        assert worker.drain() == 0 and Delivery.select().count() == 10
        on = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"enabled": True},
                          headers=admin).get_json()["data"]
        assert (on["enabled"], on["disabled_reason"], on["consecutive_failures"]) == (
            True, None, 0)


def test_a_success_resets_the_failure_count(client, auth, admin, worker, clock,
                                            two_task_template):
    with Receiver([(500, "no")] * 3 + [(200, "ok")]) as receiver:
        hook = subscribe(client, admin, receiver.url, events=["process_run.created"])
        started(client, auth, two_task_template)
        for _ in range(3):
            worker.drain()
            clock.tick(120)
        assert Webhook.get_by_id(hook["id"]).consecutive_failures == 1
        started(client, auth, two_task_template)
        worker.drain()
    assert Webhook.get_by_id(hook["id"]).consecutive_failures == 0


def test_410_gone_deletes_the_webhook(client, auth, admin, worker, two_task_template):
    with Receiver([(410, "unsubscribed")]) as receiver:
        hook = subscribe(client, admin, receiver.url)
        started(client, auth, two_task_template)
        assert worker.drain() == 1
    assert Webhook.get_or_none(Webhook.id == hook["id"]) is None
    assert Delivery.select().count() == Attempt.select().count() == 0
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 404


def test_a_redirect_is_not_followed(client, auth, admin, worker, two_task_template):
    with Receiver([(302, "")]) as receiver:
        subscribe(client, admin, receiver.url)
        started(client, auth, two_task_template)
        worker.drain()
    assert [r["path"] for r in receiver.requests] == ["/"]
    delivery = Delivery.get()
    assert (delivery.response_status, delivery.error) == (
        302, "HTTP 302: redirects are not followed")


def test_test_event_and_redelivery_keep_the_event_id(client, auth, admin, worker):
    with Receiver() as receiver:
        hook = subscribe(client, admin, receiver.url)
        response = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
        assert response.status_code == 202
        test = response.get_json()["data"]
        assert (test["status"], test["attempts"], test["event"], test["webhook_id"]) == (
            "pending", 0, "process_run.created", hook["id"])
        assert test["payload"]["test"] is True and test["payload"]["id"] == test["event_id"]
        worker.drain()
        again = client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{test['id']}/redeliver",
                            headers=admin)
        assert again.status_code == 202
        redelivery = again.get_json()["data"]
        assert redelivery["id"] != test["id"] and redelivery["event_id"] == test["event_id"]
        worker.drain()
    bodies = [verified(r, hook["secret"]) for r in receiver.requests]
    assert bodies[0] == bodies[1] == test["payload"]
    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).get_json()
    assert [d["id"] for d in log["data"]] == [redelivery["id"], test["id"]]
    assert [d["status"] for d in log["data"]] == ["delivered", "delivered"]
    assert log["pagination"] == {"next_cursor": test["id"], "has_more": False}


def test_deliveries_of_another_webhook_are_not_found(client, admin, worker):
    one = subscribe(client, admin, "http://127.0.0.1:9/a")
    two = subscribe(client, admin, "http://127.0.0.1:9/b")
    test = client.post(f"/api/v1/webhooks/{one['id']}/test", headers=admin).get_json()["data"]
    for method, path in [("get", ""), ("post", "/redeliver")]:
        response = getattr(client, method)(
            f"/api/v1/webhooks/{two['id']}/deliveries/{test['id']}{path}", headers=admin)
        assert (response.status_code, response.get_json()) == (404, {"error": {
            "code": "not_found", "message": "Webhook delivery not found"}})
    assert Delivery.select().count() == 1


def test_a_disabled_webhook_takes_no_test_nor_redelivery(client, admin):
    hook = subscribe(client, admin, "http://127.0.0.1:9/", enabled=False)
    response = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
    assert (response.status_code, response.get_json()) == (409, {"error": {
        "code": "webhook_disabled",
        "message": "The webhook is disabled; enable it first (PATCH enabled: true)"}})
    assert Delivery.select().count() == 0 and Event.select().count() == 0


def test_deleting_a_webhook_drops_its_pending_deliveries(client, auth, admin, worker,
                                                         two_task_template):
    hook = subscribe(client, admin, "http://127.0.0.1:9/")
    started(client, auth, two_task_template)
    assert Delivery.select().count() == 1
    client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin)
    assert Delivery.select().count() == 0 and worker.drain() == 0


def test_an_unreachable_receiver_is_a_recorded_failure(client, auth, admin, worker,
                                                       two_task_template):
    subscribe(client, admin, "http://127.0.0.1:9/")
    started(client, auth, two_task_template)
    worker.drain()
    delivery = Delivery.get()
    assert (delivery.status, delivery.response_status) == ("pending", None)
    assert delivery.error == "Cannot connect to 127.0.0.1: connection refused"
