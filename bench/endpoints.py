"""What the benchmark asks each server, in one place for the load (wrk), the correctness
phase and the parity test.

Every request reads ids from the fixtures database, which both servers get a copy of, so
the same request is valid on both. PATCH sets a shortText value, a new one each time, on
a task taken in turn from every task of the fixtures' runs: it never completes a task, so
every run stays active and every PATCH writes.
"""
import json

from .fixtures import TASK_COUNT

PREFIX = "/api/v1"


class Endpoint:
    """`name` is shown in the tables, `slug` picks it with --only. `target` is the
    NextStep / baseline throughput ratio the next issue aims at (reported, never failed)."""

    def __init__(self, slug, name, method, path, status, target, body=None, read=True):
        self.slug, self.name, self.method, self.path = slug, name, method, path
        self.status, self.target, self.body, self.read = status, target, body, read

    @property
    def patches(self):
        return self.method == "PATCH"

    def request(self, targets, n):
        """(path, body bytes or None) of the n-th request; only PATCH varies with n."""
        if not self.patches:
            return self.path, self.body
        run_id, task_id, element_id = targets[n % len(targets)]
        return (f"{PREFIX}/process-runs/{run_id}/tasks/{task_id}",
                patch_body(element_id, f"check {n}"))


def patch_body(element_id, value):
    return json.dumps({"custom_elements": [{"element_id": element_id, "value": value}]},
                      separators=(",", ":")).encode()


def endpoints(info):
    run, template = info["run_id"], info["template_id"]
    return [
        Endpoint("post", f"POST /process-runs ({TASK_COUNT}-task template)", "POST",
                 f"{PREFIX}/process-runs", 201, 0.7, read=False,
                 body=json.dumps({"template_id": template}).encode()),
        Endpoint("run", "GET /process-runs/:id", "GET", f"{PREFIX}/process-runs/{run}",
                 200, 0.6),
        Endpoint("runs", "GET /process-runs?limit=100", "GET",
                 f"{PREFIX}/process-runs?limit=100", 200, 0.5),
        Endpoint("run-tasks", "GET /process-runs/:id/tasks?limit=100", "GET",
                 f"{PREFIX}/process-runs/{run}/tasks?limit=100", 200, 0.5),
        Endpoint("template-tasks", "GET /process-templates/:id/tasks?limit=100", "GET",
                 f"{PREFIX}/process-templates/{template}/tasks?limit=100", 200, 0.5),
        Endpoint("patch", "PATCH /process-runs/:id/tasks/:taskId (a shortText value)",
                 "PATCH", None, 200, 0.5, read=False),
    ]


def headers(key, body):
    found = {"Authorization": f"Bearer {key}"}
    if body is not None:
        found["Content-Type"] = "application/json"
    return found
