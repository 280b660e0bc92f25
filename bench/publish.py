"""`python -m bench.publish`: how long POST .../publish takes on a 200-task template
(SQLite, a temporary file), through the app's full request path, no server and no wrk.

Each round edits one task title first, so every publish takes a new version. Prints the
median and the slowest of the rounds; a number to read, never a pass or a fail.
"""
import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from nextstep import create_app
from nextstep.db import create_tables
from nextstep.models import Member, Team, TemplateTask
from nextstep.services.keys import create_api_key


def template_file(size):
    """`size` tasks with two elements each, a dependency chain and relative due dates."""
    return {"title": f"{size} tasks", "sections": [{"key": "s", "title": "Section"}],
            "tasks": [{"key": f"t{i}", "title": f"Task {i}", "section": "s",
                       "depends_on": [f"t{i - 1}"] if i else [],
                       "due_date": {"type": "relative", "from": "run_start",
                                    "offset": f"P{i % 9 + 1}D"},
                       "custom_elements": [{"type": "shortText", "label": "Note"},
                                           {"type": "dropdown", "label": "Pick",
                                            "options": ["a", "b", "c"]}]}
                      for i in range(size)]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'publish.sqlite3'}"
        app = create_app({"NEXTSTEP_DATABASE_URL": url, "NEXTSTEP_INSTANCE_PATH": folder,
                          "NEXTSTEP_RATE_LIMIT": "100000 per minute",
                          "NEXTSTEP_RATELIMIT_STORAGE_URI": "memory://"})
        with app.app_context():
            create_tables()
            team = Team.create(name="Bench", subdomain="bench")
            owner = Member.create(team=team, email="o@bench.test", name="O", role="owner")
            key = create_api_key(team, owner, "bench", scope="admin")[1]
        client = app.test_client()
        auth = {"Authorization": f"Bearer {key}"}
        base = "/api/v1/process-templates"
        response = client.post(base, data=json.dumps(template_file(args.tasks)),
                               headers=auth, content_type="application/json")
        template_id = response.json["data"]["id"]
        with app.app_context():
            task_id = TemplateTask.get(TemplateTask.template == template_id).id
        times = []
        for n in range(args.rounds):
            client.patch(f"{base}/{template_id}/tasks/{task_id}", json={"title": f"Round {n}"},
                         headers=auth)
            start = time.perf_counter()
            response = client.post(f"{base}/{template_id}/publish", headers=auth)
            times.append(time.perf_counter() - start)
            assert response.json["data"]["version"] == n + 1, response.json
    print(f"publish, {args.tasks} tasks, {args.rounds} rounds: median "
          f"{statistics.median(times) * 1000:.1f} ms, slowest {max(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
