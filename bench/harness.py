"""Measure NextStep against the bare-sqlite3 baseline, endpoint by endpoint, in one run.

Both servers are real waitress processes on 127.0.0.1 with the same settings (bench/serve.py),
each on its own copy of the same database. A bounded client (N threads, one keep-alive
connection each) loads one server at a time. The machine is shared and noisy, so each
endpoint runs several rounds, each round measuring both servers seconds apart (which one
goes first alternates); the table shows medians over the rounds, and the ratio is the
median of the rounds' ratios. Before any timing, both servers answer each request once and
their JSON is compared key by key; afterwards every run in each database must be whole.

Exit status: 1 on a correctness failure (wrong status, different JSON keys, an error under
load, a partial run), 2 if a server does not start; never on a timing.
"""
import argparse
import http.client
import json
import os
import platform
import select
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

from .client import call, headers_for, key_differences, load
from .fixtures import TASK_COUNT, build_database
from .serve import WAITRESS_SETTINGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results", "latest.md")
SERVERS = ("baseline", "nextstep")
TARGET = 0.5


class Endpoint:
    def __init__(self, name, method, path, status, body=None):
        self.name, self.method, self.path, self.status = name, method, path, status
        self.body = body


def endpoints(template_id):
    """`path` takes the per-server context: the id of the run that server started (None,
    and so a 404 reported as a failure, when its POST failed)."""
    return [
        Endpoint(f"POST /process-runs ({TASK_COUNT}-task template)", "POST",
                 lambda ctx: "/api/v1/process-runs", 201,
                 body=json.dumps({"template_id": template_id}).encode()),
        Endpoint("GET /process-runs/:id/tasks?limit=100", "GET",
                 lambda ctx: f"/api/v1/process-runs/{ctx.get('run_id')}/tasks?limit=100", 200),
        Endpoint("GET /process-templates/:id/tasks?limit=100", "GET",
                 lambda ctx: f"/api/v1/process-templates/{template_id}/tasks?limit=100", 200),
    ]


class ServerError(Exception):
    """A server did not start; the message carries the end of its log."""


class Server:
    """A `python -m bench.serve` subprocess; its port, its peak RSS, its log."""

    def __init__(self, which, db_path, workdir):
        self.which, self.db_path = which, db_path
        self.log_path = os.path.join(workdir, f"{which}.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
        env.update(NEXTSTEP_DATABASE_URL=f"sqlite:///{db_path}",
                   NEXTSTEP_RATE_LIMIT="1000000 per minute",
                   NEXTSTEP_INSTANCE_PATH=os.path.join(workdir, "instance"),
                   PYTHONPATH=ROOT)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "bench.serve", which, db_path],
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

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def check(servers, endpoint, contexts, key):
    """One request to each server; statuses as expected and the same JSON keys."""
    answers, problems = {}, []
    for which in SERVERS:
        conn = http.client.HTTPConnection("127.0.0.1", servers[which].port, timeout=60)
        try:
            status, text = call(conn, endpoint.method, endpoint.path(contexts[which]),
                                endpoint.body, headers_for(key, endpoint.body))
        finally:
            conn.close()
        if status != endpoint.status:
            problems.append(f"{endpoint.name}: {which} answered {status}, expected "
                            f"{endpoint.status}: {text[:300]!r}")
            continue
        try:
            answers[which] = json.loads(text)
        except ValueError:
            problems.append(f"{endpoint.name}: {which} answered no JSON: {text[:300]!r}")
    if len(answers) == 2:
        problems += [f"{endpoint.name}: {d}" for d in
                     key_differences(answers["baseline"], answers["nextstep"])]
    return answers, problems


def database_problems(path):
    """Every run written under load is whole: its tasks and its process_run.created event."""
    db = sqlite3.connect(path)
    try:
        runs, incomplete, events = db.execute(
            "SELECT (SELECT count(*) FROM run), "
            "(SELECT count(*) FROM run WHERE (SELECT count(*) FROM run_task "
            "WHERE run_task.run_id = run.id) != ?), "
            "(SELECT count(*) FROM event WHERE event = 'process_run.created')",
            (TASK_COUNT,)).fetchone()
    finally:
        db.close()
    found = []
    if incomplete:
        found.append(f"{incomplete} of {runs} runs lack some of their {TASK_COUNT} tasks")
    if events != runs:
        found.append(f"{events} process_run.created events for {runs} runs")
    return found


def copy_database(source, target):
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def milliseconds(value):
    return "n/a" if value is None else f"{value:.1f} ms"


def report(args, rows, rounds_table, memory, load_before, load_after):
    lines = [
        f"Machine: {machine()}; load average {load_before:.2f} before, {load_after:.2f} after.",
        f"Load: {args.clients} client threads, one keep-alive connection each; per measurement "
        f"{args.warmup:g} s warm-up then {args.seconds:g} s; {args.rounds} rounds alternating "
        f"which server goes first; medians over the rounds, the ratio being the median of "
        f"the rounds' ratios. Servers: waitress threads={WAITRESS_SETTINGS['threads']} on "
        f"127.0.0.1, SQLite in WAL mode.",
        "",
        "| endpoint | baseline req/s | NextStep req/s | NextStep / baseline "
        "| p50 latency baseline / NextStep | target >= 0.5 |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, base, ours, ratio in rows:
        verdict = "n/a" if ratio is None else "met" if ratio >= TARGET else "MISSED"
        ratio = "n/a" if ratio is None else f"{ratio:.2f}"
        lines.append(f"| {name} | {base['rps']:.0f} | {ours['rps']:.0f} | {ratio} | "
                     f"{milliseconds(base['p50_ms'])} / {milliseconds(ours['p50_ms'])} | "
                     f"{verdict} |")
    lines += ["", "| server | peak resident memory (VmHWM) |", "|---|---:|"]
    lines += [f"| {which} | {'n/a' if mib is None else f'{mib:.1f} MiB'} |"
              for which, mib in memory]
    lines += ["", "Rounds (req/s, baseline / NextStep):", ""]
    lines += [f"- {name}: " + "; ".join(f"{b:.0f} / {o:.0f}" for b, o in pairs)
              for name, pairs in rounds_table]
    return "\n".join(lines).rstrip() + "\n"


def positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return int(text)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=positive, default=4, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds")
    parser.add_argument("--rounds", type=positive, default=5, help="alternating rounds")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nextstep-bench-") as workdir:
        os.environ["NEXTSTEP_INSTANCE_PATH"] = os.path.join(workdir, "instance")
        source = os.path.join(workdir, "source.sqlite3")
        info = build_database(source)
        servers = {}
        try:
            for which in SERVERS:
                db_path = os.path.join(workdir, f"{which}.sqlite3")
                copy_database(source, db_path)
                servers[which] = Server(which, db_path, workdir)
            return measure(args, servers, info, load_before)
        except ServerError as exc:
            print(exc, file=sys.stderr)
            return 2
        finally:
            for server in servers.values():
                server.stop()


def measure(args, servers, info, load_before):
    key, problems = info["key"], []
    contexts = {which: {} for which in SERVERS}
    chosen = []
    for endpoint in endpoints(info["template_id"]):
        answers, found = check(servers, endpoint, contexts, key)
        problems += found
        if endpoint.method == "POST" and len(answers) == 2:
            for which in SERVERS:
                contexts[which]["run_id"] = answers[which]["data"]["id"]
        if not found:
            chosen.append(endpoint)
    results = {(e.name, w): [] for e in chosen for w in SERVERS}
    for round_number in range(args.rounds):
        order = SERVERS if round_number % 2 == 0 else SERVERS[::-1]
        for endpoint in chosen:
            for which in order:
                for seconds in (args.warmup, args.seconds):
                    result = load(servers[which].port, endpoint, contexts[which], key,
                                  args.clients, seconds)
                    problems += [f"{endpoint.name} under load, {which}: {e}"
                                 for e in result["errors"][:5]]
                results[(endpoint.name, which)].append(result)
    memory = [(which, servers[which].status("VmHWM")) for which in SERVERS]
    problems += [f"{which}'s database: {problem}" for which in SERVERS
                 for problem in database_problems(servers[which].db_path)]
    rows, rounds_table = [], []
    for endpoint in chosen:
        per = {which: results[(endpoint.name, which)] for which in SERVERS}
        medians = {which: {"rps": statistics.median(r["rps"] for r in per[which]),
                           "p50_ms": median_or_none(r["p50_ms"] for r in per[which])}
                   for which in SERVERS}
        pairs = [(b["rps"], o["rps"]) for b, o in
                 zip(per["baseline"], per["nextstep"], strict=True)]
        ratio = median_or_none(o / b for b, o in pairs if b)
        rows.append((endpoint.name, medians["baseline"], medians["nextstep"], ratio))
        rounds_table.append((endpoint.name, pairs))
    text = report(args, rows, rounds_table, memory, load_before, os.getloadavg()[0])
    if problems:
        text += "\nCorrectness failures:\n" + "".join(f"- {p}\n" for p in problems[:40])
    print(text, end="")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as results_file:
        results_file.write(text)
    return 1 if problems else 0
