"""The benchmark's tables, in Markdown: the same text goes to stdout and to
bench/results/latest.md."""
import os
import platform
import sqlite3
import subprocess

from .parity import summary
from .wrk import WRK_THREADS


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{wrk_version()}")


def wrk_version():
    try:
        done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "wrk not found"
    words = (done.stdout or done.stderr).split()
    return " ".join(words[:2]) if words else "wrk"


def ms(value):
    return "n/a" if value is None else f"{value:.1f}"


def verdict(row, ratio, errors):
    """'>= 0.6 met'; a writers row also needs 0 errors from NextStep."""
    goal = f">= {row.endpoint.target:g}"
    met = ratio is not None and ratio >= row.endpoint.target
    if row.writers:
        goal += ", 0 errors"
        met = met and errors["nextstep"] == 0
    return f"{goal}: {'met' if met else 'MISSED'}"


def load_table(lines):
    return lines + [
        "| endpoint | server threads = wrk connections | baseline req/s | NextStep req/s "
        "| NextStep / baseline | p50 ms baseline / NextStep | p99 ms baseline / NextStep "
        "| errors baseline / NextStep | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|"]


def render(args, rows, sql_results, memory, loads):
    lines = [
        f"Machine: {machine()}; load average {loads[0]:.2f} before, {loads[1]:.2f} after.",
        f"Command: python -m bench {' '.join(args.argv)}".rstrip(),
        f"Load: wrk with {WRK_THREADS} threads and as many keep-alive connections as the "
        f"server has threads; per measurement "
        f"{args.warmup} s warm-up then {args.seconds} s; {args.rounds} rounds alternating "
        f"which server goes first; medians over the rounds, the ratio being the median of "
        f"the rounds' ratios. Servers: waitress on 127.0.0.1, SQLite in WAL mode. Errors: "
        f"answers with another status than the expected one (counted by the server, so "
        f"even those wrk had stopped waiting for) plus socket errors (counted by wrk), "
        f"warm-ups included.",
        ""]
    lines = load_table(lines)
    for row, medians, ratio, errors, _pairs in rows:
        base, ours = medians["baseline"], medians["nextstep"]
        lines.append(
            f"| {row.name} | {row.threads} | {base['rps']:.0f} | {ours['rps']:.0f} | "
            f"{'n/a' if ratio is None else f'{ratio:.2f}'} | "
            f"{ms(base['p50_ms'])} / {ms(ours['p50_ms'])} | "
            f"{ms(base['p99_ms'])} / {ms(ours['p99_ms'])} | "
            f"{errors['baseline']} / {errors['nextstep']} | {verdict(row, ratio, errors)} |")
    lines += ["", "SQL per request, traced on both servers' sqlite3 connections (same SQL: the "
              "same statements in the same order, literals aside):", "",
              "| endpoint | statements baseline / NextStep | same SQL | statements |",
              "|---|---:|---|---|"]
    for endpoint, answers, problems in sql_results:
        counts = " / ".join(str(len(answers[w][2])) for w in ("baseline", "nextstep"))
        same = "no" if any("SQL differs" in p for p in problems) else "yes"
        what = ", ".join(summary(s) for s in answers["nextstep"][2])
        lines.append(f"| {endpoint.name} | {counts} | {same} | {what} |")
    lines += ["", "| server | threads | peak resident memory (VmHWM) |", "|---|---:|---:|"]
    lines += [f"| {which} | {threads} | {'n/a' if mib is None else f'{mib:.1f} MiB'} |"
              for (which, threads), mib in memory]
    lines += ["", "Rounds (req/s, baseline / NextStep):", ""]
    lines += [f"- {row.name} at {row.threads} threads: "
              + "; ".join(f"{b:.0f} / {o:.0f}" for b, o in pairs)
              for row, *_rest, pairs in rows]
    return "\n".join(lines).rstrip() + "\n"
