"""The delivery log keeps each team's last 50 deliveries, for 30 days (contract §8, §11)."""
from datetime import timedelta

import pytest
from webhook_helpers import admin_key, bearer

from nextstep.ids import utcnow
from nextstep.models import Attempt, Delivery, Event
from nextstep.services.worker import prune


@pytest.fixture
def admin(team, make_key):
    return bearer(admin_key(make_key, team)[0])


def hook(client, admin):
    response = client.post("/api/v1/webhooks", headers=admin, json={
        "url": "https://hooks.example.com/x", "events": ["process_run.created"]})
    return response.get_json()["data"]["id"]


def deliveries(client, admin, webhook_id, count, status="delivered", age=timedelta()):
    """`count` test deliveries, made `age` old and set to `status`."""
    ids = []
    for _ in range(count):
        data = client.post(f"/api/v1/webhooks/{webhook_id}/test", headers=admin).get_json()
        ids.append(data["data"]["id"])
    Delivery.update(status=status, created_at=utcnow() - age).where(
        Delivery.id.in_(ids)).execute()
    return ids


def test_each_team_keeps_its_50_newest_finished_deliveries(client, admin, team, make_team,
                                                           make_key):
    mine = hook(client, admin)
    old = deliveries(client, admin, mine, 5, age=timedelta(hours=2))
    pending = deliveries(client, admin, mine, 2, status="pending", age=timedelta(hours=3))
    new = deliveries(client, admin, mine, 48, status="failed", age=timedelta(hours=1))
    other_admin = bearer(admin_key(make_key, make_team())[0])
    theirs = deliveries(client, other_admin, hook(client, other_admin), 3)
    assert prune() == 3  # 55 of this team: the 3 oldest finished ones go
    gone = set(sorted(old)[:3])  # one age: the id breaks the tie, as the list orders them
    kept = {d.id for d in Delivery.select()}
    assert kept == set(old + pending + new + theirs) - gone  # pending ones never go for room
    listed = client.get(f"/api/v1/webhooks/{mine}/deliveries?limit=100",
                        headers=admin).get_json()["data"]
    assert len(listed) == 52 and not gone & {d["id"] for d in listed}
    assert prune() == 0
    assert Event.select().count() == 5 + 2 + 48 + 3  # events are the runs' record: kept


def test_deliveries_older_than_30_days_go(client, admin):
    mine = hook(client, admin)
    old = deliveries(client, admin, mine, 2, age=timedelta(days=30, minutes=1))
    stale = deliveries(client, admin, mine, 1, status="pending", age=timedelta(days=31))
    sending = deliveries(client, admin, mine, 1, status="delivering", age=timedelta(days=31))
    recent = deliveries(client, admin, mine, 2, age=timedelta(days=29))
    Attempt.insert(id="a" * 20, delivery=old[0], number=1, started_at=utcnow(),
                   duration_ms=3).execute()
    assert prune() == 3
    assert {d.id for d in Delivery.select()} == set(sending + recent)
    assert Attempt.select().count() == 0
    assert stale  # a month-old pending delivery is no use to anyone any more
