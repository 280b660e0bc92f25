"""Shared by the webhook tests: admin keys, a real local receiver, a worker run to idle."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HOOK_URL = "https://hooks.example.com/catch/1"
def admin_key(make_key, team):
    """(plaintext, row) of a key that may manage webhooks (contract §11: scope admin)."""
    return make_key(team, scope="admin")


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread, recording each request. `answers` is a list
    of (status, body) served in turn (the last one repeats)."""

    def __init__(self, answers=((200, "ok"),)):
        self.answers = list(answers)
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body})
                    index = min(len(receiver.requests), len(receiver.answers)) - 1
                    status, text = receiver.answers[index]
                data = text.encode() if isinstance(text, str) else text
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "/elsewhere")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def payloads(self):
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


class Clock:
    """The time the worker sees: real time, moved on by `tick(seconds)`."""

    def __init__(self):
        from datetime import timedelta
        self.offset = timedelta()

    @property
    def now(self):
        from nextstep.ids import utcnow
        return utcnow() + self.offset

    def __call__(self):
        return self.now

    def tick(self, seconds):
        from datetime import timedelta
        self.offset += timedelta(seconds=seconds)


def local_settings(**changes):
    """Worker settings for a receiver on 127.0.0.1 over http, short retry delays."""
    from nextstep.services.delivery import Rules
    from nextstep.services.worker import WorkerSettings
    values = {"delays": (0, 60, 120), "timeout": 5,
              "rules": Rules(allow_http=True, allow_private=True), "concurrency": 2,
              "poll_seconds": 0.05}
    values.update(changes)
    return WorkerSettings(**values)


def wait_until(predicate, timeout=30, what="the condition"):
    """Poll until `predicate()` holds; a generous deadline, for a process to get there."""
    import time
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)
