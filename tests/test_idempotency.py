"""Idempotency-Key on POST and PATCH (contract §12): replays, reuse, expiry, pruning,
across apps. The concurrent duplicate through real servers: test_idempotency_race.py."""
import sys
from datetime import timedelta

import pytest
from test_run_helpers import RUNS, counts, error, tasks_of

from nextstep import create_app
from nextstep.ids import utcnow
from nextstep.models import IdempotencyKey, Run
from nextstep.services import idempotency


def post(client, auth, body, key, **headers):
    return client.post(RUNS, json=body, headers=dict(auth, **{"Idempotency-Key": key},
                                                     **headers))


@pytest.fixture
def template(team, make_template):
    return make_template(team, tasks=[{"title": "One"}, {"title": "Two"}])


def test_a_retry_gets_the_same_answer_and_starts_nothing(client, auth, template):
    first = post(client, auth, {"template_id": template.id}, "retry-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    before = counts()
    again = post(client, auth, {"template_id": template.id}, "retry-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Content-Type"] == "application/json; charset=utf-8"
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]  # a new request
    assert counts() == before == (1, 2, 1)


def test_the_same_json_written_differently_is_the_same_request(client, auth, template):
    first = client.post(RUNS, data=f'{{"template_id": "{template.id}", "name": "A"}}',
                        content_type="application/json",
                        headers=dict(auth, **{"Idempotency-Key": "k"}))
    again = client.post(RUNS, data=f'{{"name":"A","template_id":"{template.id}"}}',
                        content_type="application/json",
                        headers=dict(auth, **{"Idempotency-Key": "k"}))
    assert (first.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert again.data == first.data and Run.select().count() == 1


@pytest.mark.parametrize("change", ["body", "path", "method"])
def test_the_same_key_with_another_request_is_422(client, auth, template, change):
    first = post(client, auth, {"template_id": template.id}, "once")
    run_id = first.get_json()["data"]["id"]
    task = tasks_of(client, auth, run_id)[0]
    before = counts()
    headers = dict(auth, **{"Idempotency-Key": "once"})
    if change == "body":
        response = post(client, auth, {"template_id": template.id, "name": "B"}, "once")
    elif change == "path":
        response = client.post(RUNS + "?x=1", json={"template_id": template.id},
                               headers=headers)
    else:
        response = client.patch(f"{RUNS}/{run_id}/tasks/{task['id']}",
                                json={"completed": True}, headers=headers)
    assert response.status_code == 422
    assert error(response) == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used with a different request "
                   "(method, path or body); send a new key for a new request"}
    assert counts() == before
    assert tasks_of(client, auth, run_id)[0]["completed"] is False


def test_keys_are_per_api_key(client, auth, team, make_key, template):
    other = {"Authorization": f"Bearer {make_key(team)[0]}"}
    first = post(client, auth, {"template_id": template.id}, "shared-name")
    second = post(client, other, {"template_id": template.id}, "shared-name")
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert Run.select().count() == 2


def test_a_patch_is_replayed_without_a_second_change(client, auth, template, clock):
    run_id = post(client, auth, {"template_id": template.id}, "start").get_json()["data"]["id"]
    one, two = tasks_of(client, auth, run_id)
    url = f"{RUNS}/{run_id}/tasks/{one['id']}"
    headers = dict(auth, **{"Idempotency-Key": "complete-one"})
    first = client.patch(url, json={"completed": True}, headers=headers)
    assert first.status_code == 200
    client.patch(url, json={"completed": False}, headers=auth)  # reopened, no key
    clock.tick()
    again = client.patch(url, json={"completed": True}, headers=headers)
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.data == first.data
    assert tasks_of(client, auth, run_id)[0]["completed"] is False  # the replay wrote nothing


def test_errors_of_the_endpoint_are_replayed(client, auth, team, make_template):
    draft = make_template(team, publish=False)
    first = post(client, auth, {"template_id": draft.id}, "draft")
    assert error(first)["code"] == "template_not_published"
    from nextstep.services.publishing import publish_template
    publish_template(draft)
    again = post(client, auth, {"template_id": draft.id}, "draft")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (409, "true")
    assert again.data == first.data and Run.select().count() == 0
    bad = post(client, auth, {"template_id": draft.id, "colour": 1}, "typo")
    assert bad.status_code == 422
    assert post(client, auth, {"template_id": draft.id, "colour": 1}, "typo").data == bad.data
    assert post(client, auth, {"template_id": draft.id}, "fresh").status_code == 201


def test_a_5xx_frees_the_key_for_the_retry(client, auth, template, monkeypatch):
    def broken(*_args):
        raise RuntimeError("boom")
    # nextstep.api.runs names the blueprint; the module is in sys.modules
    monkeypatch.setattr(sys.modules["nextstep.api.runs"], "start_run", broken)
    assert post(client, auth, {"template_id": template.id}, "k").status_code == 500
    assert IdempotencyKey.select().count() == 0
    monkeypatch.undo()
    retry = post(client, auth, {"template_id": template.id}, "k")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "é", "tab\tkey"])
def test_a_key_outside_the_rules_is_400_and_nothing_starts(client, auth, template, key):
    response = post(client, auth, {"template_id": template.id}, key)
    assert response.status_code == 400
    assert error(response) == {
        "code": "bad_request",
        "message": "Idempotency-Key must be 1 to 255 visible ASCII characters",
        "details": {"Idempotency-Key": ["Must be 1 to 255 visible ASCII characters "
                                        "(no spaces)."]}}
    assert counts() == (0, 0, 0) and IdempotencyKey.select().count() == 0


def test_the_longest_key_and_every_visible_character_are_accepted(client, auth, template):
    key = "".join(chr(c) for c in range(0x21, 0x7F)) + "k" * (255 - 94)
    assert len(key) == 255
    assert post(client, auth, {"template_id": template.id}, key).status_code == 201
    assert post(client, auth, {"template_id": template.id}, key).headers[
        "Idempotent-Replayed"] == "true"


def test_other_methods_and_unknown_paths_ignore_the_header(client, auth, template):
    headers = dict(auth, **{"Idempotency-Key": "get"})
    assert client.get(RUNS, headers=headers).status_code == 200
    assert client.post("/api/v1/nope", json={}, headers=headers).status_code == 404
    assert client.put(RUNS, json={}, headers=headers).status_code == 405
    assert IdempotencyKey.select().count() == 0


def test_after_24_hours_the_key_is_new_again(client, auth, template):
    post(client, auth, {"template_id": template.id}, "old")
    IdempotencyKey.update(created_at=utcnow() - timedelta(hours=24, seconds=1)).execute()
    again = post(client, auth, {"template_id": template.id}, "old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert Run.select().count() == 2


def test_expired_keys_are_pruned_and_recent_ones_kept(app, client, auth, template, api_key):
    post(client, auth, {"template_id": template.id}, "recent")
    post(client, auth, {"template_id": template.id}, "stale")
    IdempotencyKey.update(created_at=utcnow() - timedelta(hours=25)).where(
        IdempotencyKey.key == "stale").execute()
    app.extensions["nextstep"].idempotency_pruned_at = None  # the minute has passed
    post(client, auth, {"template_id": template.id}, "third")
    assert sorted(row.key for row in IdempotencyKey.select()) == ["recent", "third"]


def test_a_claim_abandoned_past_its_lease_is_taken_over(client, auth, template, api_key):
    from nextstep.services.keys import find_active_key
    key_id = find_active_key(api_key).id
    body = f'{{"template_id": "{template.id}"}}'.encode()
    print_ = idempotency.fingerprint(key_id, "POST", RUNS, body)
    idempotency.claim(key_id, "dead", print_, utcnow() - idempotency.IN_PROGRESS_LEASE)
    response = client.post(RUNS, data=body, content_type="application/json",
                           headers=dict(auth, **{"Idempotency-Key": "dead"}))
    assert response.status_code == 201 and Run.select().count() == 1


def test_two_apps_on_one_database_share_the_keys(app, app_config, client, auth, template,
                                                 api_key):
    from nextstep.services.keys import find_active_key
    other = create_app(app_config).test_client()
    first = post(client, auth, {"template_id": template.id}, "across")
    again = post(other, auth, {"template_id": template.id}, "across")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert again.data == first.data and Run.select().count() == 1
    # A claim in progress in one app is in use for the other.
    key_id = find_active_key(api_key).id
    body = f'{{"template_id": "{template.id}"}}'.encode()
    idempotency.claim(key_id, "busy", idempotency.fingerprint(key_id, "POST", RUNS, body))
    busy = other.post(RUNS, data=body, content_type="application/json",
                      headers=dict(auth, **{"Idempotency-Key": "busy"}))
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert error(busy) == {"code": "idempotency_key_in_use",
                           "message": "A request with this Idempotency-Key is still being "
                                      "processed; retry once it has finished"}
    assert Run.select().count() == 1
