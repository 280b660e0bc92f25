"""`python -m bench.webhooks`: what webhooks cost, on a scratch SQLite database.

Two numbers: deliveries a second of one worker (default concurrency) to a receiver on
127.0.0.1, and the time of `POST /process-runs` (a 10-task template, Flask's test client,
no network) with 0 and with 5 subscriptions to `process_run.created`. Printed as
Markdown rows for docs/benchmarks.md. Medians of several rounds; timings only, never a
pass or fail.
"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from webhook_helpers import Receiver, local_settings  # noqa: E402

from nextstep import create_app  # noqa: E402
from nextstep.db import close_all_connections, create_tables  # noqa: E402
from nextstep.models import Delivery, Member, Team, TemplateTask, database  # noqa: E402
from nextstep.models import Template as TemplateRow  # noqa: E402
from nextstep.services.keys import create_api_key  # noqa: E402
from nextstep.services.outbox import prepare_deliveries  # noqa: E402
from nextstep.services.publishing import publish_template  # noqa: E402
from nextstep.services.worker import Worker  # noqa: E402

DELIVERIES = 500
POSTS = 300
ROUNDS = 3


def setup(folder):
    app = create_app({"NEXTSTEP_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                      "NEXTSTEP_RATE_LIMIT": "1000000 per minute",
                      "NEXTSTEP_WEBHOOK_ALLOW_HTTP": True,
                      "NEXTSTEP_WEBHOOK_ALLOW_PRIVATE": True})
    create_tables()
    database.connect(reuse_if_open=True)
    team = Team.create(name="Bench", subdomain="bench")
    owner = Member.create(team=team, email="o@example.com", name="O", role="owner")
    template = TemplateRow.create(team=team, title="Bench")
    for n in range(10):
        TemplateTask.create(template=template, title=f"Task {n}", position=n)
    publish_template(template)
    _row, key = create_api_key(team, owner, "bench", "admin")
    return app, template, {"Authorization": f"Bearer {key}"}


def subscribe(client, auth, url, count):
    for _ in range(count):
        response = client.post("/api/v1/webhooks", headers=auth,
                               json={"url": url, "events": ["process_run.created"]})
        assert response.status_code == 201, response.get_json()


def post_ms(client, auth, template):
    times = []
    for _ in range(POSTS):
        began = time.perf_counter()
        response = client.post("/api/v1/process-runs", headers=auth,
                               json={"template_id": template.id})
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 201
    return statistics.median(times)


def matching_ms(team_id):
    """What recording an event adds with no subscription: the one webhook query."""
    envelope = {"id": "evt_x", "event": "process_run.created", "data": {"template_id": "t"}}
    began = time.perf_counter()
    for _ in range(POSTS):
        assert prepare_deliveries(team_id, [envelope], None) == []
    return (time.perf_counter() - began) * 1000 / POSTS


def main():
    with tempfile.TemporaryDirectory() as folder, Receiver() as receiver:
        app, template, auth = setup(folder)
        client = app.test_client()
        no_hooks = statistics.median(post_ms(client, auth, template) for _ in range(ROUNDS))
        lookup = statistics.median(matching_ms(template.team_id) for _ in range(ROUNDS))
        subscribe(client, auth, receiver.url, 5)
        five = statistics.median(post_ms(client, auth, template) for _ in range(ROUNDS))
        Delivery.delete().execute()
        rates = []
        worker = Worker(local_settings(concurrency=4, delays=(0,)))
        for _ in range(ROUNDS):
            for _ in range(DELIVERIES // 5):
                client.post("/api/v1/process-runs", headers=auth,
                            json={"template_id": template.id})
            began = time.perf_counter()
            sent = worker.drain()
            rates.append(sent / (time.perf_counter() - began))
        worker._pool.shutdown()
        close_all_connections()
    print("| measure | value |\n|---|---|")
    print(f"| one worker (concurrency 4) to a receiver on 127.0.0.1 | "
          f"{statistics.median(rates):.0f} deliveries/s |")
    print(f"| POST /process-runs (10 tasks), 0 subscriptions | {no_hooks:.2f} ms (median), "
          f"of which the webhook lookup {lookup:.2f} ms |")
    print(f"| POST /process-runs (10 tasks), 5 subscriptions | {five:.2f} ms (median), "
          f"+{five - no_hooks:.2f} ms |")


if __name__ == "__main__":
    main()
