"""Is the comparison fair? Both apps answer each benchmark request in-process (Flask test
clients, no server) while every statement their sqlite3 connections run is traced.

The trace is taken on the raw sqlite3 connection (`set_trace_callback`), below Peewee, so
it also sees what Peewee's query log does not: BEGIN IMMEDIATE, COMMIT, pragmas. NextStep's
connections are reached by wrapping the pool's `_connect` at run time (nextstep/ is not
changed for this); the baseline takes an `on_connect` hook. Each request is sent once
untraced first (the new connection's pragmas, NextStep's once-a-minute `last_used_at`
stamp), then traced. sqlite3 hands the trace the statement with its parameters expanded;
`shape` puts every literal back to `?`, so two statements have the same shape exactly when
they are the same SQL text with the same kinds of values in the same places.
"""
import json
import re

from . import baseline
from .endpoints import endpoints, headers

LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|\bNULL\b")
TABLE = re.compile(r'(?:FROM|INTO|UPDATE) "(\w+)"')
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
GENERATED = {"id", "instance_id", "next_cursor"}
SERVERS = ("baseline", "nextstep")


def shape(statement):
    return LITERAL.sub("?", statement)


def summary(statement):
    """'SELECT api_key', 'INSERT run_task x50', 'COMMIT': a statement in a few words."""
    words = statement.split()
    verb = " ".join(words[:2]) if words[0] == "BEGIN" else words[0]
    table = TABLE.search(statement)
    text = f"{verb} {table.group(1)}" if table else verb
    rows = shape(statement).count("), (") + 1 if verb == "INSERT" else 1
    return f"{text} x{rows}" if rows > 1 else text


def nextstep_config(path):
    return {"NEXTSTEP_DATABASE_URL": f"sqlite:///{path}",
            "NEXTSTEP_RATELIMIT_STORAGE_URI": "memory://",
            "NEXTSTEP_RATE_LIMIT": "1000000 per minute"}


class TracedApp:
    """One of the two apps on its own database file, each connection traced."""

    def __init__(self, which, path):
        self.which, self.statements = which, []
        if which == "baseline":
            self.app = baseline.create_app(path, on_connect=self._trace)
            return
        from nextstep import create_app
        from nextstep.models import database
        self.app = create_app(nextstep_config(path))
        pool, connect = database.obj, database.obj._connect
        pool._connect = lambda: self._trace(connect())  # new and pooled connections alike

    def _trace(self, connection):
        connection.set_trace_callback(self.statements.append)
        return connection

    def call(self, method, path, body, key):
        """(status, JSON body or None, [statements]) of one request."""
        del self.statements[:]
        response = self.app.test_client().open(path, method=method, data=body,
                                               headers=headers(key, body))
        try:
            document = json.loads(response.get_data())
        except ValueError:
            document = None
        return response.status_code, document, list(self.statements)

    def close(self):
        if self.which == "baseline":
            for connection in self.app.baseline_connections:
                connection.close()
        else:
            from nextstep.db import close_all_connections
            close_all_connections()


def compare(info, paths):
    """[(endpoint, {which: (status, document, statements)}, [problems])] for every
    benchmark request; `paths` maps each server to its own copy of the fixtures."""
    found = []
    for which in SERVERS:  # one app at a time: NextStep's database handle is per process
        app = TracedApp(which, paths[which])
        try:
            for endpoint in endpoints(info):
                for n in (0, 1):  # untraced warm-up, then the traced request
                    path, body = endpoint.request(info["patch_targets"], n)
                    answer = app.call(endpoint.method, path, body, info["key"])
                found.append((endpoint, which, answer))
        finally:
            app.close()
    results = []
    for endpoint in endpoints(info):
        answers = {which: answer for e, which, answer in found if e.slug == endpoint.slug}
        results.append((endpoint, answers, problems_of(endpoint, answers)))
    return results


def problems_of(endpoint, answers):
    problems = []
    for which, (status, document, _statements) in answers.items():
        if status != endpoint.status:
            problems.append(f"{endpoint.name}: {which} answered {status}, expected "
                            f"{endpoint.status}: {json.dumps(document)[:300]}")
        elif document is None:
            problems.append(f"{endpoint.name}: {which} answered no JSON")
    if problems:
        return problems
    problems += [f"{endpoint.name}: {d}" for d in
                 key_differences(answers["baseline"][1], answers["nextstep"][1])]
    if masked(answers["baseline"][1]) != masked(answers["nextstep"][1]):
        problems.append(f"{endpoint.name}: the values differ beyond ids and timestamps")
    ours, theirs = ([shape(s) for s in answers[which][2]] for which in SERVERS)
    if ours != theirs:
        problems.append(f"{endpoint.name}: the SQL differs: baseline "
                        f"{[summary(s) for s in answers['baseline'][2]]}, NextStep "
                        f"{[summary(s) for s in answers['nextstep'][2]]}")
        problems += [f"{endpoint.name}: statement {i + 1}: baseline {a[:400]!r}, "
                     f"NextStep {b[:400]!r}" for i, (a, b) in
                     enumerate(zip(ours, theirs, strict=False)) if a != b][:2]
    return problems


def masked(document):
    """The document with what each server makes anew (ids, timestamps) blanked out."""
    if isinstance(document, dict):
        return {k: "<id>" if k in GENERATED else masked(v) for k, v in document.items()}
    if isinstance(document, list):
        return [masked(item) for item in document]
    if isinstance(document, str) and TIMESTAMP.match(document):
        return "<timestamp>"
    return document


def key_differences(a, b, path="$"):
    """Paths where the two JSON documents do not have the same keys."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = [(f"{path}: only in baseline: {sorted(set(a) - set(b))}, "
                 f"only in NextStep: {sorted(set(b) - set(a))}")] if set(a) != set(b) else []
        for k in sorted(set(a) & set(b)):
            found += key_differences(a[k], b[k], f"{path}.{k}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b) and path.endswith(".data"):
            return [f"{path}: {len(a)} items in baseline, {len(b)} in NextStep"]
        return [d for i, (x, y) in enumerate(zip(a[:3], b[:3], strict=False))
                for d in key_differences(x, y, f"{path}.{i}")]
    if (isinstance(a, dict) or isinstance(b, dict)) and a is not None and b is not None:
        return [f"{path}: an object on one side only"]
    return []
