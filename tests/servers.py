"""Real servers for tests whose fault lives in the serving path.

`serving_in_thread(app)` runs waitress inside the test process on the test's database;
`NextStepServe` runs the real `nextstep serve` command in a subprocess, as an operator
does. Both stop cleanly: waitress's sockets are closed from inside its own loop (closing
them from another thread races the loop and fails now and then with EBADF).
"""
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import waitress
from waitress import wasyncore
from werkzeug.datastructures import Headers


@contextmanager
def serving_in_thread(app, create_server=waitress.create_server, **options):
    """A waitress server for `app` on a free port of 127.0.0.1; yields the server.

    `create_server`: waitress's, or another that makes a waitress server from options.
    """
    options = {"host": "127.0.0.1", "port": 0, "threads": 8, **options}
    server = create_server(app, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop_in_thread_server(server, thread)


def stop_in_thread_server(server, thread):
    server.task_dispatcher.shutdown()
    # Close every socket from inside the server's loop, which then ends for lack of any.
    try:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    except OSError:
        # The trigger's pipe was gone (EBADF, once in a full run; its cause not found):
        # the loop cannot be woken, so close its sockets from here and let it end.
        wasyncore.close_all(server._map)
    thread.join(timeout=10)
    assert not thread.is_alive(), "the waitress loop did not stop"


@contextmanager
def loggers_restored(*names):
    """Put back these loggers' levels and handlers afterwards: `nextstep serve` run in the
    test process (CliRunner) configures them for the whole process."""
    loggers = [logging.getLogger(name) for name in names]
    saved = [(logger.level, list(logger.handlers)) for logger in loggers]
    try:
        yield
    finally:
        for logger, (level, handlers) in zip(loggers, saved, strict=True):
            logger.setLevel(level)
            logger.handlers[:] = handlers


def free_port():
    """A port nothing listens on right now (the kernel's choice for port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=30):
    """(status, headers, raw body) over a fresh connection, closed before returning.

    `headers` is case-insensitive, as HTTP header names are (waitress sends
    `X-Ratelimit-Limit` for the app's `X-RateLimit-Limit`).

    `body` that is not bytes is sent as JSON with Content-Type application/json.
    """
    headers = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, Headers(response.getheaders()), response.read()
    finally:
        conn.close()


def console_script():
    """The `nextstep` command installed beside this Python (the venv's bin/)."""
    return Path(sys.executable).parent / "nextstep"


class NextStepServe:
    """`nextstep serve` in a subprocess on a free port, with the given NEXTSTEP_* settings.

    Use as a context manager; `port`, `output()` (what it printed so far, stdout and
    stderr together), `wait_for_output(text)` and `stop()`. `run_to_exit()` runs it to its
    end instead, for a start that should fail.
    """

    def __init__(self, settings, args=(), instance_path=None, startup_timeout=30, port=None):
        self.port = port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
        env.update({key: str(value) for key, value in settings.items()})
        if instance_path is not None:
            env["NEXTSTEP_INSTANCE_PATH"] = str(instance_path)
        self.args = [str(console_script()), "serve", "--host", "127.0.0.1",
                     "--port", str(self.port), *args]
        self.env = env
        self.startup_timeout = startup_timeout
        self.process = None
        self._log = b""

    def __enter__(self):
        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nextstep serve did not start; it printed:\n{self.output()}")

    def _collect(self):
        for line in iter(self.process.stdout.readline, b""):
            self._log += line

    def output(self):
        return self._log.decode("utf-8", "replace")

    def wait_for_output(self, text, timeout=30):
        """The output once it contains `text`: a line the server wrote before answering
        may still be in the pipe when the answer arrives."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"nextstep serve never printed {text!r}; it printed:\n"
                                     f"{self.output()}")
            time.sleep(0.05)
        return self.output()

    def run_to_exit(self, timeout=60):
        """Run the command to its end: (exit status, stdout, stderr)."""
        result = subprocess.run(self.args, env=self.env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        return result.returncode, result.stdout, result.stderr

    def request(self, method, path, body=None, headers=None, timeout=30):
        return request(self.port, method, path, body, headers, timeout)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self._reader.join(timeout=5)
            self.process.stdout.close()

    def __exit__(self, *exc):
        self.stop()
