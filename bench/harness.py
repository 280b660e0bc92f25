"""Measure NextStep against the bare-sqlite3 baseline, endpoint by endpoint, in one run.

Both servers are real waitress processes on 127.0.0.1 with the same settings (bench/serve.py),
each on its own copy of the same database, loaded one at a time by wrk (bench/wrk.py). The
machine is shared and noisy, so each row runs several rounds, each round measuring both
servers seconds apart (which one goes first alternates); the table shows medians over the
rounds, and the ratio is the median of the rounds' ratios.

Before any timing, both apps answer each request in-process with their SQL traced
(bench/parity.py: same statuses, same JSON, same statements), then each server answers it
once over HTTP; afterwards every run in each database must be whole.

Exit status: 1 on a correctness failure (a wrong status, different JSON or SQL, any error
or unexpected status under load, the writers rows included; a damaged database), 2 if the
benchmark cannot run (a server does not start, wrk is missing or fails); never on a timing.
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile

from . import parity, wrk
from .endpoints import endpoints
from .fixtures import TASK_COUNT, build_database
from .parity import SERVERS, key_differences
from .report import render
from .servers import ROOT, Server, ServerError

RESULTS = os.path.join(ROOT, "bench", "results")
THREADS = (8, 32)


class Row:
    """One line of the table: an endpoint at a server thread count (= wrk connections).
    Reads run at 8 and 32; writes at 8, and at 32 as the writers rows."""

    def __init__(self, endpoint, threads):
        self.endpoint, self.threads = endpoint, threads
        self.writers = not endpoint.read and threads == max(THREADS)
        self.name = (f"writers: {endpoint.name}" if self.writers else endpoint.name)
        self.label = f"{endpoint.slug}@{threads}"  # X-Bench-Row: the servers count by it


def all_rows(info):
    found = [Row(e, THREADS[0]) for e in endpoints(info)]
    return found + [Row(e, THREADS[1]) for e in endpoints(info) if e.read] + [
        Row(e, THREADS[1]) for e in endpoints(info) if not e.read]


def copy_database(source, target):
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


def database_problems(path):
    """Every run whole (its tasks, its process_run.created event), and nothing completed:
    the benchmark's PATCHes only set values."""
    db = sqlite3.connect(path)
    try:
        runs, incomplete, events, completed = db.execute(
            "SELECT (SELECT count(*) FROM run), "
            "(SELECT count(*) FROM run WHERE (SELECT count(*) FROM run_task "
            "WHERE run_task.run_id = run.id) != ?), "
            "(SELECT count(*) FROM event WHERE event = 'process_run.created'), "
            "(SELECT count(*) FROM run_task WHERE completed) "
            "+ (SELECT count(*) FROM run WHERE status != 'active')", (TASK_COUNT,)).fetchone()
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    found = [] if check == "ok" else [f"integrity_check: {check}"]
    if incomplete:
        found.append(f"{incomplete} of {runs} runs lack some of their {TASK_COUNT} tasks")
    if events != runs:
        found.append(f"{events} process_run.created events for {runs} runs")
    if completed:
        found.append(f"{completed} tasks or runs were completed by value-setting PATCHes")
    return found


def http_check(servers, row, info):
    """One request to each server of the row; statuses as expected, the same JSON keys."""
    answers, problems = {}, []
    path, body = row.endpoint.request(info["patch_targets"], 0)
    for which in SERVERS:
        status, document, text = servers[(which, row.threads)].call(
            row.endpoint.method, path, body, info["key"])
        if status != row.endpoint.status or document is None:
            problems.append(f"{row.name} at {row.threads} threads over HTTP: {which} "
                            f"answered {status}, expected {row.endpoint.status}: {text[:300]!r}")
        answers[which] = document
    if not problems:
        problems += [f"{row.name} over HTTP: {d}" for d in
                     key_differences(answers["baseline"], answers["nextstep"])]
    return problems


def measure(args, rows, servers, info, workdir):
    """{(row, which): [per-round results]}, {(row, which): errors}, [problems]."""
    targets = os.path.join(workdir, "patch-targets.tsv")
    patch = next(e for e in endpoints(info) if e.patches)
    wrk.write_targets(targets, patch, info["patch_targets"])
    results = {(row, w): [] for row in rows for w in SERVERS}
    errors = {(row, w): 0 for row in rows for w in SERVERS}
    problems, salt = [], 0
    for round_number in range(args.rounds):
        order = SERVERS if round_number % 2 == 0 else SERVERS[::-1]
        for row in rows:
            for which in order:
                server = servers[(which, row.threads)]
                for seconds in ([args.warmup] if args.warmup else []) + [args.seconds]:
                    salt += 1
                    result = wrk.run(server.port, row.endpoint, info["key"], row.threads,
                                     seconds, targets, salt, row.label)
                    errors[(row, which)] += result["socket_errors"]
                    problems += [f"{row.name} at {row.threads} threads, {which}, round "
                                 f"{round_number + 1}: {e}" for e in result["errors"]]
                    if not server.drain():
                        problems.append(f"{which} at {row.threads} threads was still "
                                        f"answering {row.name} 2 minutes after wrk stopped")
                results[(row, which)].append(result)
    for row in rows:
        for which in SERVERS:
            counts = servers[(which, row.threads)].counts()["counts"].get(row.label, {})
            wrong = {s: n for s, n in counts.items() if s != str(row.endpoint.status)}
            errors[(row, which)] += sum(wrong.values())
            problems += [f"{row.name} at {row.threads} threads, {which}: {n} answers {s} "
                         f"(counted by the server, all rounds)" for s, n in sorted(wrong.items())]
    return results, errors, problems


def summarise(rows, results, errors):
    summarised = []
    for row in rows:
        per = {w: results[(row, w)] for w in SERVERS}
        medians = {w: {field: median([r[field] for r in per[w]])
                       for field in ("rps", "p50_ms", "p99_ms")} for w in SERVERS}
        pairs = [(b["rps"], o["rps"]) for b, o in
                 zip(per["baseline"], per["nextstep"], strict=True)]
        ratio = median([o / b for b, o in pairs if b])
        summarised.append((row, medians, ratio, {w: errors[(row, w)] for w in SERVERS},
                           pairs))
    return summarised


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def run(args, workdir):
    loads = [os.getloadavg()[0]]
    source = os.path.join(workdir, "source.sqlite3")
    info = build_database(source)
    sql_results = parity.compare(info, {w: copy_database(source, os.path.join(
        workdir, f"{w}-trace.sqlite3")) for w in SERVERS})
    problems = [p for _e, _a, found in sql_results for p in found]
    rows = [row for row in all_rows(info) if (not args.only or row.endpoint.slug in args.only)
            and (not args.threads or row.threads == args.threads)]
    servers = {}
    try:
        for threads in sorted({row.threads for row in rows}):
            for which in SERVERS:
                path = copy_database(source, os.path.join(workdir, f"{which}-{threads}.sqlite3"))
                servers[(which, threads)] = Server(which, threads, path, workdir)
        checked = []
        for row in rows:
            found = http_check(servers, row, info)
            problems += found
            if not found:
                checked.append(row)
        results, errors, load_problems = measure(args, checked, servers, info, workdir)
        problems += load_problems
        memory = [(key, server.status("VmHWM")) for key, server in servers.items()]
    finally:
        for server in servers.values():
            server.stop()
        keep_logs(servers)
    problems += [f"{which}'s database ({threads} threads): {problem}"
                 for (which, threads), server in servers.items()
                 for problem in database_problems(server.db_path)]
    loads.append(os.getloadavg()[0])
    text = render(args, summarise(checked, results, errors), sql_results, memory, loads)
    if problems:
        text += "\nCorrectness failures:\n" + "".join(f"- {p}\n" for p in problems[:40])
        if len(problems) > 40:
            text += f"- ... and {len(problems) - 40} more\n"
    print(text, end="")
    with open(os.path.join(RESULTS, "latest.md"), "w") as results_file:
        results_file.write(text)
    return 1 if problems else 0


def keep_logs(servers):
    """The servers' logs (NextStep logs each 500 with its cause) into bench/results/."""
    for (which, threads), server in servers.items():
        shutil.copyfile(server.log_path, os.path.join(RESULTS, f"{which}-{threads}.log"))


def positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return int(text)


def parse_args(argv):
    slugs = [e.slug for e in endpoints({"run_id": "", "template_id": ""})]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=positive, default=3, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=1, choices=range(0, 61), metavar="S",
                        help="warm-up seconds before each measurement (0: none)")
    parser.add_argument("--rounds", type=positive, default=5, help="alternating rounds")
    parser.add_argument("--only", action="append", choices=slugs, metavar="NAME",
                        help=f"measure only this endpoint (repeatable): {', '.join(slugs)}")
    parser.add_argument("--threads", type=int, choices=THREADS,
                        help="measure only the rows at this many server threads")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def main(argv=None):
    args = parse_args(argv)
    if not wrk.available():
        print(wrk.MISSING, file=sys.stderr)
        return 2
    os.makedirs(RESULTS, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nextstep-bench-") as workdir:
        os.environ["NEXTSTEP_INSTANCE_PATH"] = os.path.join(workdir, "instance")
        try:
            return run(args, workdir)
        except (ServerError, wrk.WrkError) as exc:
            print(exc, file=sys.stderr)
            return 2
