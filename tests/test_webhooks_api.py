"""/webhooks (contract §11): create, read, change, delete, rotate; every refusal exact."""
from datetime import timedelta

import pytest
from test_run_helpers import validation
from webhook_helpers import HOOK_URL, admin_key, bearer

from nextstep.ids import format_timestamp, utcnow
from nextstep.models import Webhook
from nextstep.services.webhooks import signing_secrets

ALL_EVENTS = ["process_run.created", "process_run.completed", "process_step.completed"]


@pytest.fixture
def admin(team, make_key):
    return bearer(admin_key(make_key, team)[0])


def create(client, admin, **body):
    body = {"url": HOOK_URL, "events": ["process_run.completed"], **body}
    return client.post("/api/v1/webhooks", json=body, headers=admin)


def created(client, admin, **body):
    response = create(client, admin, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def every_row():
    return [dict(row.__data__) for row in Webhook.select().order_by(Webhook.id)]


def test_create_answers_the_webhook_with_its_secret_once(client, admin, team, make_template):
    template = make_template(team)
    response = create(client, admin, events=ALL_EVENTS, template_id=template.id,
                      description="Zapier: hires")
    assert response.status_code == 201
    data = response.get_json()["data"]
    row = Webhook.get_by_id(data["id"])
    assert response.headers["Location"] == f"/api/v1/webhooks/{row.id}"
    assert data == {
        "id": row.id, "url": HOOK_URL, "events": ALL_EVENTS, "template_id": template.id,
        "description": "Zapier: hires", "enabled": True, "disabled_reason": None,
        "consecutive_failures": 0, "created_at": format_timestamp(row.created_at),
        "updated_at": format_timestamp(row.updated_at), "secret": row.secret}
    assert data["secret"].startswith("whsec_") and len(data["secret"]) == 6 + 32
    shown = client.get(f"/api/v1/webhooks/{row.id}", headers=admin).get_json()["data"]
    assert "secret" not in shown and shown == {k: v for k, v in data.items() if k != "secret"}


def test_created_disabled_is_a_manual_disable(client, admin):
    data = created(client, admin, enabled=False)
    assert (data["enabled"], data["disabled_reason"]) == (False, "manual")


def test_list_is_newest_first_and_paginated(client, admin, team, make_key):
    ids = [created(client, admin, description=f"hook {n}")["id"] for n in range(3)]
    rows = {r.id: r for r in Webhook.select()}
    order = sorted(ids, key=lambda i: (rows[i].created_at, i), reverse=True)
    first = client.get("/api/v1/webhooks?limit=2", headers=admin).get_json()
    assert [w["id"] for w in first["data"]] == order[:2]
    assert first["pagination"] == {"next_cursor": order[1], "has_more": True}
    assert all("secret" not in w for w in first["data"])
    rest = client.get(f"/api/v1/webhooks?limit=2&cursor={order[1]}", headers=admin).get_json()
    assert [w["id"] for w in rest["data"]] == order[2:]
    assert rest["pagination"] == {"next_cursor": order[2], "has_more": False}


def test_another_teams_webhook_is_not_found(client, admin, make_team, make_key):
    other = make_team()
    theirs = created(client, bearer(admin_key(make_key, other)[0]))
    before = every_row()
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("post", "/rotate-secret"),
                         ("post", "/test"), ("get", "/deliveries")]:
        response = getattr(client, method)(f"/api/v1/webhooks/{theirs['id']}{path}",
                                           headers=admin, json={} if method == "patch" else None)
        assert response.status_code == 404, (method, path)
        assert response.get_json() == {"error": {"code": "not_found",
                                                  "message": "Webhook not found"}}
    listing = client.get(f"/api/v1/webhooks?cursor={theirs['id']}", headers=admin)
    assert listing.status_code == 400
    assert every_row() == before


@pytest.mark.parametrize("body,details", [
    ({}, {"url": ["Missing data for required field."],
          "events": ["Missing data for required field."]}),
    ({"url": HOOK_URL, "events": []}, {"events": ["Shorter than minimum length 1."]}),
    ({"url": HOOK_URL, "events": ["process_run.deleted"]},
     {"events.0": ["Must be one of: process_run.created, process_run.completed, "
                   "process_step.completed."]}),
    ({"url": HOOK_URL, "events": ["process_run.created", "process_run.created"]},
     {"events": ["Each event may be named once."]}),
    ({"url": HOOK_URL, "events": "process_run.created"}, {"events": ["Not a valid list."]}),
    ({"url": HOOK_URL, "events": ALL_EVENTS, "enabled": "yes"},
     {"enabled": ["Not a valid boolean."]}),
    ({"url": HOOK_URL, "events": ALL_EVENTS, "secret": "whsec_mine"},
     {"secret": ["Unknown field."]}),
    ({"url": "http://hooks.example.com/x", "events": ALL_EVENTS},
     {"url": ["Must be an https:// URL."]}),
    ({"url": "ftp://hooks.example.com/x", "events": ALL_EVENTS},
     {"url": ["Must be an https:// URL."]}),
    ({"url": "hooks.example.com/x", "events": ALL_EVENTS}, {"url": ["Must be an https:// URL."]}),
    ({"url": "https:///x", "events": ALL_EVENTS}, {"url": ["Must name a host."]}),
    ({"url": "https://user:pw@hooks.example.com/", "events": ALL_EVENTS},
     {"url": ["Must not carry a user name or password."]}),
    ({"url": "https://hooks.example.com:99999/", "events": ALL_EVENTS},
     {"url": ["Is not a valid URL."]}),
    ({"url": "https://hooks.example.com/a b", "events": ALL_EVENTS},
     {"url": ["Must not contain spaces or control characters."]}),
    ({"url": "https://localhost/x", "events": ALL_EVENTS},
     {"url": ["Must not point at this machine (localhost)."]}),
    ({"url": "https://127.0.0.1/x", "events": ALL_EVENTS},
     {"url": ["Resolves to 127.0.0.1, a loopback address, which webhooks may not reach."]}),
    ({"url": "https://10.1.2.3/x", "events": ALL_EVENTS},
     {"url": ["Resolves to 10.1.2.3, a private address, which webhooks may not reach."]}),
    ({"url": "https://[::1]/x", "events": ALL_EVENTS},
     {"url": ["Resolves to ::1, a loopback address, which webhooks may not reach."]}),
    ({"url": "https://169.254.169.254/latest", "events": ALL_EVENTS},
     {"url": ["Resolves to 169.254.169.254, a link-local address, which webhooks may not "
              "reach."]}),
    ({"url": HOOK_URL, "events": ALL_EVENTS, "template_id": "nosuchtemplate"},
     {"template_id": ["No process template with this id in this team."]}),
])
def test_bad_bodies_are_refused_and_change_nothing(client, admin, body, details):
    response = client.post("/api/v1/webhooks", json=body, headers=admin)
    assert (response.status_code, response.get_json()) == (422, validation(details))
    assert every_row() == []


def test_a_template_of_another_team_is_refused(client, admin, make_team, make_template):
    other = make_template(make_team())
    response = create(client, admin, template_id=other.id)
    assert response.get_json() == validation(
        {"template_id": ["No process template with this id in this team."]})


def test_not_json_is_refused(client, admin):
    response = client.post("/api/v1/webhooks", data="{", headers=admin,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    response = client.post("/api/v1/webhooks", data="x", headers=admin)
    assert response.status_code == 415


def test_twenty_webhooks_a_team(client, admin, team, make_team, make_key):
    for _ in range(20):
        created(client, admin)
    before = every_row()
    response = create(client, admin)
    assert (response.status_code, response.get_json()) == (409, {"error": {
        "code": "webhook_limit_reached",
        "message": "A team may have at most 20 webhooks; delete one first"}})
    assert every_row() == before
    created(client, bearer(admin_key(make_key, make_team())[0]))  # another team's own 20


def test_patch_changes_only_the_keys_given(client, admin):
    hook = created(client, admin, description="before")
    response = client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin,
                            json={"events": ALL_EVENTS})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["events"] == ALL_EVENTS and data["description"] == "before"
    assert data["url"] == HOOK_URL and "secret" not in data
    assert data["updated_at"] >= hook["updated_at"]


def test_patch_refusals_change_nothing(client, admin):
    hook = created(client, admin)
    before = every_row()
    for body, details in [
            ({"url": "http://x.example.com/"}, {"url": ["Must be an https:// URL."]}),
            ({"events": []}, {"events": ["Shorter than minimum length 1."]}),
            ({"consecutive_failures": 0}, {"consecutive_failures": ["Unknown field."]}),
            ({"template_id": "nope"},
             {"template_id": ["No process template with this id in this team."]})]:
        response = client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin, json=body)
        assert (response.status_code, response.get_json()) == (422, validation(details))
    assert every_row() == before


def test_disable_and_re_enable(client, admin):
    hook = created(client, admin)
    Webhook.update(consecutive_failures=10, enabled=False, disabled_reason="failures").where(
        Webhook.id == hook["id"]).execute()
    off = client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin,
                       json={"enabled": False}).get_json()["data"]
    assert (off["enabled"], off["disabled_reason"], off["consecutive_failures"]) == (
        False, "failures", 10)  # already off: the reason it went off stays
    on = client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin,
                      json={"enabled": True}).get_json()["data"]
    assert (on["enabled"], on["disabled_reason"], on["consecutive_failures"]) == (True, None, 0)
    manual = client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin,
                          json={"enabled": False}).get_json()["data"]
    assert (manual["enabled"], manual["disabled_reason"]) == (False, "manual")


def test_delete(client, admin):
    hook = created(client, admin)
    response = client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin)
    assert (response.status_code, response.data) == (204, b"")
    assert every_row() == []
    again = client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin)
    assert again.status_code == 404


def test_rotate_secret_keeps_the_old_one_signing_for_a_day(client, admin):
    hook = created(client, admin)
    response = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=admin)
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["secret"].startswith("whsec_") and data["secret"] != hook["secret"]
    row = Webhook.get_by_id(hook["id"])
    now = utcnow()
    assert signing_secrets(row, now) == [data["secret"], hook["secret"]]
    assert signing_secrets(row, now + timedelta(hours=24, seconds=1)) == [data["secret"]]


def test_unknown_method_and_path(client, admin):
    hook = created(client, admin)
    response = client.put(f"/api/v1/webhooks/{hook['id']}", headers=admin, json={})
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
    assert client.get("/api/v1/webhooks/x/y", headers=admin).status_code == 404


@pytest.mark.parametrize("scope", ["read", "write"])
def test_a_key_without_the_admin_scope_is_refused_before_anything(client, admin, team,
                                                                  make_key, scope):
    hook = created(client, admin)
    test = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin).get_json()["data"]
    before = every_row()
    weak = bearer(make_key(team, scope=scope)[0])
    base = f"/api/v1/webhooks/{hook['id']}"
    for method, path, body in [
            ("post", "/api/v1/webhooks", {"url": HOOK_URL, "events": ALL_EVENTS}),
            ("get", "/api/v1/webhooks", None), ("get", base, None),
            ("patch", base, {"enabled": False}), ("delete", base, None),
            ("post", base + "/rotate-secret", None), ("post", base + "/test", None),
            ("get", base + "/deliveries", None),
            ("get", f"{base}/deliveries/{test['id']}", None),
            ("post", f"{base}/deliveries/{test['id']}/redeliver", None),
            ("get", "/api/v1/webhooks/nosuchhook", None)]:
        response = getattr(client, method)(path, headers=weak, json=body)
        assert (response.status_code, response.get_json()) == (403, {"error": {
            "code": "forbidden", "message": "This request needs an API key with the admin "
                                            f"scope; this key's scope is {scope}",
            "details": {"required_scope": "admin"}}}), (method, path)
    assert every_row() == before
