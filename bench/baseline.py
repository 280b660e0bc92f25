"""The baseline: minimal Flask views over the bare sqlite3 module, same SQL, same JSON.

Each view sends exactly the statements NextStep's does for the benchmark's request
(bench/baseline_sql.py, checked by bench/parity.py), reads stored JSON with orjson
and answers with orjson, as NextStep does both. It has no ORM, no schemas, no rate
limiter and no hooks beyond a connection per server thread with NextStep's pragmas, and it
checks only what the benchmark's requests need, so whatever NextStep spends beyond it is
the price of its layers and its rules. Only `last_used_at` is left out: NextStep writes it
at most once a minute.
"""
import hashlib
import re
import secrets
import sqlite3
import string
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
from flask import Flask, g, request

from . import baseline_sql as sql
from .baseline_json import (
    DISPLAY_ONLY,
    page,
    run_json,
    run_task_json,
    stored_run_json,
    template_task_json,
    ts,
)


def json_text(value):
    """JSON column text, as NextStep writes it (orjson)."""
    return orjson.dumps(value).decode()


PRAGMAS = ("PRAGMA journal_mode = wal;", "PRAGMA synchronous = normal;",
           "PRAGMA foreign_keys = 1;", "PRAGMA busy_timeout = 5000;")
ALPHABET = string.ascii_letters + string.digits
DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
JSON_TYPE = "application/json; charset=utf-8"
NOT_AUTHORIZED = ({"error": {"code": "unauthorized", "message": "A valid API key is required"}},
                  401)
WRITE_SCOPES = ("write", "admin")
NEEDS_WRITE = ({"error": {"code": "forbidden", "message": "This request needs a write key",
                          "details": {"required_scope": "write"}}}, 403)


def new_id(length=20):
    """20 characters over [A-Za-z0-9] from one CSPRNG draw, as NextStep makes its ids."""
    chars = []
    while len(chars) < length:
        chars += [ALPHABET[b % 62] for b in secrets.token_bytes(length + 4) if b < 248]
    return "".join(chars[:length])


def now_text():
    """Naive UTC to the millisecond, stored the way Peewee stores a DateTimeField."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return str(now.replace(microsecond=now.microsecond // 1000 * 1000))


def not_found(what):
    return {"error": {"code": "not_found", "message": f"{what} not found"}}, 404


def resolve_due(rule, start, zone, ids):
    """(due_date, due_rule): a run_start rule resolved to stored UTC text now; a rule
    counted from another task kept, naming that task's run task id."""
    if not rule:
        return None, None
    if rule["from"] != "run_start":
        return None, dict(rule, **{"from": "task:" + ids[rule["from"][5:]]})
    weeks, days, hours, minutes, seconds = (int(n or 0) for n in
                                            DURATION.match(rule["offset"]).groups())
    local = start.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    if rule.get("business_days"):
        days += weeks * 5
        while days:
            local += timedelta(days=1)
            days -= local.weekday() < 5
    else:
        local += timedelta(days=days + weeks * 7)
    local += timedelta(hours=hours, minutes=minutes, seconds=seconds)
    while rule.get("business_days") and local.weekday() >= 5:
        local += timedelta(days=1)
    return str(local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)), None


def authenticate(db):
    """The key's row (sql.KEY_COLUMNS: [9] team id, [12] timezone, [15] scope), or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    row = db.execute(sql.KEY, (hashlib.sha256(token.strip().encode()).hexdigest(), 1)
                     ).fetchone()
    if row is None or row[3] is not None or not row[7] or row[13] not in ("active", "trialing"):
        return None
    return row


def in_transaction(db, work):
    """`work()` inside BEGIN IMMEDIATE ... COMMIT, rolled back when it raises or answers
    an error (a tuple)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work()
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("ROLLBACK" if isinstance(result, tuple) else "COMMIT")
    return result


SNAPSHOTS = {}  # (template id, version) -> decoded snapshot: a version never changes
SNAPSHOTS_KEPT = 32


def snapshot_of(db, template_id, version):
    """The stored snapshot (format 2) of a published version, read once, as NextStep's
    services/publishing.py does."""
    snapshot = SNAPSHOTS.get((template_id, version))
    if snapshot is None:
        snapshot = orjson.loads(db.execute(sql.SNAPSHOT, (template_id, version, 1)).fetchone()[0])
        if len(SNAPSHOTS) >= SNAPSHOTS_KEPT:
            SNAPSHOTS.clear()
        SNAPSHOTS[template_id, version] = snapshot
    return snapshot


def start_run(db, key, body):
    """Template and snapshot, then the run, its tasks and its event in one transaction."""
    team_id, zone = key[9], ZoneInfo(key[12])
    template = db.execute(sql.TEMPLATE, (body.get("template_id"), team_id, 1, 0)).fetchone()
    if template is None or not template[8] or template[13] is not None:  # archived
        return None
    snapshot = snapshot_of(db, template[0], template[9])
    now = now_text()
    start = datetime.fromisoformat(now)
    sections = [{"id": s["id"], "title": s["title"], "description": s["description"],
                 "order": s["position"], "color": s["color"]} for s in snapshot["sections"]]
    run = (new_id(), team_id, template[0], snapshot["template"]["version"],
           body.get("name") or body.get("title") or snapshot["template"]["title"], "active",
           "api", key[12], None, False, sections, now, now, None, 0)
    ids = {task["id"]: new_id() for task in snapshot["tasks"]}
    values = []
    for task in snapshot["tasks"]:
        due, rule = resolve_due(task["due_date"], start, zone, ids)
        elements = [{"id": e["id"], "type": e["type"], "label": e["label"],
                     "required": e["required"], "display_only": e["type"] in DISPLAY_ONLY,
                     "options": e["options"], "value": None} for e in task["custom_elements"]]
        values += [ids[task["id"]], run[0], task["id"], task["title"], task["description"],
                   task["position"], task["section_id"], task["type"], task["is_essential"],
                   task["webhook_enabled"], task["assignee_id"], due, rule and json_text(rule),
                   json_text([ids[i] for i in task["depends_on"]]), False, None, None,
                   False, None, json_text(elements), now, now]
    event_id = "evt_" + new_id()
    event = {"id": event_id, "event": "process_run.created", "timestamp": ts(now),
             "test": False,
             "data": {"instance_id": run[0], "template_id": run[2], "title": run[4],
                      "started_by": {"user_id": None, "email": None, "is_guest": False},
                      "started_at": ts(now), "due_date": None, "is_shared": False,
                      "task_count": len(ids)}}
    # The webhooks the event goes to, read before the transaction as NextStep's outbox
    # does; the benchmark's team has none, so no delivery row follows.
    if db.execute(sql.WEBHOOKS_TO_NOTIFY, (team_id, True)).fetchall():
        raise RuntimeError("the baseline writes no webhook deliveries; benchmark without any")

    def write():
        db.execute(sql.INSERT_RUN, run[:10] + (json_text(sections),) + run[11:])
        db.execute(sql.INSERT_TASKS + ", ".join([sql.TASK_ROW] * len(ids)), values)
        db.execute(sql.INSERT_EVENT, (event_id, team_id, event["event"], json_text(event), now))
    in_transaction(db, write)
    return run


def set_values(db, key, run_id, task_id, body):
    """Set shortText values (the benchmark's PATCH) as NextStep does: read the task with its
    run and plan outside the transaction; inside, compare-and-set the run's revision and
    update the task; a lost race reads and plans once more, inside."""
    items = body.get("custom_elements") if isinstance(body, dict) else None
    refusal, plan = _plan_values(db, key, run_id, task_id, items)
    if refusal:
        return refusal

    def work():
        if _write_values(db, run_id, task_id, plan):
            return plan["answer"]
        again_refusal, again = _plan_values(db, key, run_id, task_id, items)
        if again_refusal:
            return again_refusal
        _write_values(db, run_id, task_id, again)
        return again["answer"]
    return in_transaction(db, work)


def _plan_values(db, key, run_id, task_id, items):
    """(an error answer, None) or (None, the plan: revision read, elements, answer, now)."""
    row = db.execute(sql.RUN_TASK_WITH_RUN, (task_id, run_id, key[9], 1)).fetchone()
    if row is None:
        return not_found("Process run task"), None
    task, run = row[:len(sql.TASK_FIELDS)], row[len(sql.TASK_FIELDS):]
    if run[5] == "completed" or not isinstance(items, list):
        return ({"error": {"code": "bad_request", "message": "Not supported here"}}, 400), None
    elements = orjson.loads(task[19])
    by_id = {element["id"]: element for element in elements}
    for item in items:
        element = by_id.get(item.get("element_id"))
        value = item.get("value")
        if element is None or element["type"] != "shortText" or not isinstance(value, str):
            return ({"error": {"code": "validation_error", "message": "Not valid"}}, 422), None
        element["value"] = value
    now = now_text()
    return None, {"revision": run[-1], "elements": elements, "now": now,
                  "answer": run_task_json(task[:20] + (task[20], now), elements)}


def _write_values(db, run_id, task_id, plan):
    """The compare-and-set, then the task's UPDATE; False (nothing written) when lost."""
    if db.execute(sql.NEXT_REVISION, (plan["now"], 1, run_id, plan["revision"],
                                      "active")).rowcount != 1:
        return False
    db.execute(sql.UPDATE_TASK_ELEMENTS, (json_text(plan["elements"]), plan["now"], task_id))
    return True


def create_app(path, on_connect=None):
    """`on_connect(connection)` sees each new connection (bench/parity.py traces it);
    `app.baseline_connections` lists them all, for whoever needs to close them."""
    app = Flask(__name__)
    connections = threading.local()
    app.baseline_connections = []

    @app.before_request
    def connect():
        """One connection per server thread, opened once: NextStep pools its connections,
        so the baseline gets the cheapest bare-sqlite3 equivalent."""
        db = getattr(connections, "db", None)
        if db is None:
            db = connections.db = sqlite3.connect(path, timeout=5, isolation_level=None,
                                                  check_same_thread=False)
            app.baseline_connections.append(db)
            if on_connect is not None:
                on_connect(db)
            for pragma in PRAGMAS:
                db.execute(pragma)
        g.db = db
        g.key = authenticate(db)

    def answer(body, status=200, headers=None):
        """orjson writes every body; `body` may be a (body, status) error pair."""
        if isinstance(body, tuple):
            body, status = body
        return app.response_class(orjson.dumps(body), status, headers, content_type=JSON_TYPE)

    @app.post("/api/v1/process-runs")
    def post_run():
        if g.key is None:
            return answer(NOT_AUTHORIZED)
        if g.key[15] not in WRITE_SCOPES:
            return answer(NEEDS_WRITE)
        run = start_run(g.db, g.key, request.get_json())
        if run is None:
            return answer(not_found("Process template"))
        return answer({"data": run_json(run)}, 201,
                      {"Location": f"/api/v1/process-runs/{run[0]}"})

    @app.get("/api/v1/process-runs/<run_id>")
    def show_run(run_id):
        if g.key is None:
            return answer(NOT_AUTHORIZED)
        row = g.db.execute(sql.RUN, (run_id, g.key[9], 1, 0)).fetchone()
        return answer(not_found("Process run") if row is None
                      else {"data": stored_run_json(row)})

    @app.get("/api/v1/process-runs")
    def list_runs():
        if g.key is None:
            return answer(NOT_AUTHORIZED)
        limit = int(request.args.get("limit", 20))
        rows = g.db.execute(sql.RUNS_PAGE, (g.key[9], limit + 1)).fetchall()
        return answer(page([stored_run_json(row) for row in rows], limit))

    @app.get("/api/v1/process-runs/<run_id>/tasks")
    def list_run_tasks(run_id):
        if g.key is None:
            return answer(NOT_AUTHORIZED)
        limit = int(request.args.get("limit", 20))
        rows = g.db.execute(sql.RUN_TASKS_PAGE, (run_id, g.key[9], limit + 1)).fetchall()
        if not rows and g.db.execute(sql.RUN, (run_id, g.key[9], 1, 0)).fetchone() is None:
            return answer(not_found("Process run"))
        return answer(page([run_task_json(row) for row in rows], limit))

    @app.patch("/api/v1/process-runs/<run_id>/tasks/<task_id>")
    def patch_run_task(run_id, task_id):
        if g.key is None:
            return answer(NOT_AUTHORIZED)
        if g.key[15] not in WRITE_SCOPES:
            return answer(NEEDS_WRITE)
        result = set_values(g.db, g.key, run_id, task_id, request.get_json(silent=True))
        return answer(result if isinstance(result, tuple) else {"data": result})

    @app.get("/api/v1/process-templates/<template_id>/tasks")
    def list_template_tasks(template_id):
        if g.key is None:
            return answer(NOT_AUTHORIZED)
        limit = int(request.args.get("limit", 20))
        if g.db.execute(sql.TEMPLATE, (template_id, g.key[9], 1, 0)).fetchone() is None:
            return answer(not_found("Process template"))
        tasks = g.db.execute(sql.TEMPLATE_TASKS_PAGE, (template_id, limit + 1)).fetchall()
        elements = {}
        query = sql.ELEMENTS_OF.format(marks=", ".join("?" * len(tasks)))
        for id_, task_id, type_, label, required, options, _position in g.db.execute(
                query, [t[0] for t in tasks]):
            elements.setdefault(task_id, []).append(
                {"id": id_, "type": type_, "label": label, "required": bool(required),
                 "display_only": type_ in DISPLAY_ONLY,
                 "options": orjson.loads(options) if options else None})
        return answer(page([template_task_json(t, elements.get(t[0], [])) for t in tasks],
                           limit))

    return app
