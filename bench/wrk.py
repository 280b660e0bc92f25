"""Loading a server with wrk (a C load generator: a Python client on two cores would take
CPU from the server it measures and pull every ratio toward 1).

bench/load.lua sets the request and prints a `BENCH_RESULT {json}` line from its done()
hook; this module runs wrk with it and reads that line.
"""
import json
import os
import shutil
import subprocess

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "load.lua")
MISSING = ("The benchmark needs wrk (https://github.com/wg/wrk): install it, e.g. "
           "'sudo apt-get install wrk' on Debian or Ubuntu or 'brew install wrk' on macOS; "
           "`make bench` installs it itself when run as root where apt-get exists.")
WRK_THREADS = 2  # one per core of the machine the numbers in docs/benchmarks.md come from
SOCKET_ERRORS = ("connect", "read", "write", "timeout")


class WrkError(Exception):
    """wrk did not run or printed no result line."""


def available():
    return shutil.which("wrk") is not None


def write_targets(path, endpoint, targets):
    """The PATCH targets as load.lua reads them: one "path<TAB>element id" line each."""
    with open(path, "w") as out:
        for n in range(len(targets)):
            request_path, body = endpoint.request(targets, n)
            out.write(f"{request_path}\t{json.loads(body)['custom_elements'][0]['element_id']}\n")


def run(port, endpoint, key, connections, seconds, targets_path, salt, label):
    """One wrk run; a dict with rps (answers with the expected status per second), p50_ms,
    p99_ms, statuses {status: count} as wrk saw them, socket_errors (a count) and errors
    (a few words per kind, for the report). Requests carry X-Bench-Row: `label`."""
    threads = min(WRK_THREADS, connections)
    env = dict(os.environ, BENCH_KEY=key, BENCH_METHOD=endpoint.method, BENCH_ROW=label,
               BENCH_BODY=(endpoint.body or b"").decode(), BENCH_THREADS=str(threads),
               BENCH_TARGETS=targets_path if endpoint.patches else "", BENCH_SALT=str(salt))
    url = f"http://127.0.0.1:{port}{endpoint.path or '/'}"
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
               "-s", SCRIPT, url]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=seconds + 90)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WrkError(f"wrk did not finish: {exc}") from None
    line = next((line for line in done.stdout.splitlines()
                 if line.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise WrkError(f"wrk printed no result (exit {done.returncode}): "
                       f"{(done.stderr or done.stdout)[-500:]}")
    return digest(json.loads(line.split(" ", 1)[1]), endpoint.status)


def digest(raw, expected):
    statuses = {int(status): count for status, count in raw["statuses"].items()}
    seconds = raw["duration_us"] / 1e6
    errors = [f"{raw['errors'][kind]} socket {kind} errors" for kind in SOCKET_ERRORS
              if raw["errors"][kind]]
    has_latency = raw["requests"] > 0
    return {"rps": statuses.get(expected, 0) / seconds if seconds else 0.0,
            "p50_ms": raw["p50_us"] / 1000 if has_latency else None,
            "p99_ms": raw["p99_us"] / 1000 if has_latency else None,
            "statuses": statuses, "errors": errors,
            "socket_errors": sum(raw["errors"][kind] for kind in SOCKET_ERRORS)}
