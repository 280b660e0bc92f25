"""Two admins editing one template at the same moment, through the real `nextstep serve`:
inserts at the same position both land, at distinct positions, with no gap (the template
row is locked for the write: FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
import json

from authoring_helpers import BASE, admin_key, positions
from test_concurrency import statuses, together

from nextstep.models import Section, TemplateTask

REPEATS = 8


def post(server, key, path, body):
    def send():
        status, _headers, raw = server.request(
            "POST", path, body, {"Authorization": f"Bearer {key}"})
        return status, json.loads(raw)
    return send


def test_two_inserts_at_the_same_position_at_once(serve_process, team, make_member):
    key = admin_key(team, make_member(team, role="admin"))
    server = serve_process("--threads", "4", NEXTSTEP_RATE_LIMIT="10000 per minute")
    status, body = post(server, key, BASE, {"title": "Raced", "tasks": [
        {"title": "First"}, {"title": "Last"}]})()
    assert status == 201, body
    tid = body["data"]["id"]
    for n in range(REPEATS):
        tasks = f"{BASE}/{tid}/tasks"
        sections = f"{BASE}/{tid}/sections"
        results = together([post(server, key, tasks, {"title": f"L{n}", "order": 1}),
                            post(server, key, tasks, {"title": f"R{n}", "order": 1}),
                            post(server, key, sections, {"title": f"L{n}", "order": 0}),
                            post(server, key, sections, {"title": f"R{n}", "order": 0})])
        assert statuses(results) == [201] * 4, results
        # Each was placed at 1 when it committed; the later one pushed the other to 2.
        assert [body["data"]["order"] for _s, body in results] == [1, 1, 0, 0]
        placed = {t.title: t.position for t in TemplateTask.select().where(
            TemplateTask.title.in_([f"L{n}", f"R{n}"]))}
        assert sorted(placed.values()) == [1, 2]
        assert positions(TemplateTask, tid) == list(range(2 * n + 4))
        assert positions(Section, tid) == list(range(2 * n + 2))
    titles = [t.title for t in TemplateTask.select().where(TemplateTask.template == tid)
              .order_by(TemplateTask.position)]
    assert (titles[0], titles[-1]) == ("First", "Last")
