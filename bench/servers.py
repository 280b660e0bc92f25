"""The servers under test: `python -m bench.serve` subprocesses, and one plain request to
each for the correctness phase."""
import http.client
import json
import os
import select
import subprocess
import sys
import time

from .endpoints import headers
from .serve import COUNTS_PATH

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ServerError(Exception):
    """A server did not start; the message carries the end of its log."""


class Server:
    """One server process: its port, its peak RSS, its log."""

    def __init__(self, which, threads, db_path, workdir):
        self.which, self.threads, self.db_path = which, threads, db_path
        self.log_path = os.path.join(workdir, f"{which}-{threads}.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
        env.update(NEXTSTEP_DATABASE_URL=f"sqlite:///{db_path}",
                   NEXTSTEP_RATE_LIMIT="1000000 per minute",
                   NEXTSTEP_INSTANCE_PATH=os.path.join(workdir, "instance"),
                   PYTHONPATH=ROOT)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.serve", which, db_path, str(threads)],
                stdout=subprocess.PIPE, stderr=log, env=env, cwd=ROOT)
        try:
            self.port = self._wait_for_port(timeout=30)
        except BaseException:
            self.stop()
            raise

    def _wait_for_port(self, timeout):
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 100)
                if not chunk:
                    break
                line += chunk
        if not line.startswith(b"LISTENING "):
            raise ServerError(f"{self.which} server did not start; its log:\n{self.log()}")
        return int(line.split()[1])

    def status(self, field):
        """A /proc/<pid>/status field in MiB (VmHWM: peak resident set); None once gone."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as status:
                for line in status:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
        return None

    def log(self, lines=30):
        with open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def call(self, method, path, body, key):
        """(status, JSON body or None, raw text) of one request on a fresh connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers(key, body))
            response = conn.getresponse()
            status, text = response.status, response.read()
        finally:
            conn.close()
        try:
            return status, json.loads(text), text
        except ValueError:
            return status, None, text

    def counts(self):
        """The serving wrapper's counts (bench/serve.py): {"in_flight": n, "counts":
        {row label: {status: count}}}."""
        return self.call("GET", COUNTS_PATH, None, "")[1]

    def drain(self, timeout=120):
        """Wait until the server is answering no request; False if it still is."""
        deadline = time.monotonic() + timeout
        while self.counts()["in_flight"]:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
