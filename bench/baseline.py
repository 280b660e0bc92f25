"""The baseline: minimal Flask views over the bare sqlite3 module, same schema, same JSON.

Each view sends the same queries NextStep's does for the same request: the key by its
digest joined to its member and team; then for POST the template, its latest snapshot, and
in one BEGIN IMMEDIATE transaction the run, its tasks (one statement) and its
process_run.created event; for GET a page of tasks (a run's, the team checked by a join; a
template's, then their elements in one query). It has no ORM, no schemas, no rate limiter
and no hooks beyond a connection per server thread with NextStep's pragmas, so whatever NextStep
spends beyond it is the price of its layers. Only `last_used_at` is left out: NextStep
writes it at most once a minute.
"""
import hashlib
import json
import re
import secrets
import sqlite3
import string
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, g, request

PRAGMAS = ("PRAGMA journal_mode=wal", "PRAGMA synchronous=normal", "PRAGMA foreign_keys=1",
           "PRAGMA busy_timeout=5000")
ALPHABET = string.ascii_letters + string.digits
DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
TASK_VALUES = "(?,?,?,?,?,?,?,?,?,?,?,?,json(?),json(?),0,0,json(?),?,?)"
DISPLAY_ONLY = {"text", "heading", "image", "video"}
KEY_SQL = ("SELECT k.id, k.revoked_at, k.last_used_at, m.id, m.email, m.is_active, t.id, "
           "t.timezone, t.subscription_status FROM api_key k "
           "JOIN member m ON k.created_by_id = m.id JOIN team t ON k.team_id = t.id "
           "WHERE k.digest = ? LIMIT 1")
TASK_COLUMNS = ", ".join("run_task." + column for column in (
    "id", "run_id", "template_task_id", "title", "completed", "completed_at", "completed_by",
    "skipped", "position", "section_id", "assignee", "is_essential", "type", "due_date",
    "webhook_enabled", "depends_on", "approval", "custom_elements", "created_at",
    "updated_at"))


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


def ts(text):
    """'2026-03-27 02:08:05.224000' -> '2026-03-27T02:08:05.224Z'."""
    if text is None:
        return None
    return f"{text[:10]}T{text[11:19]}.{(text[20:23] or '000').ljust(3, '0')}Z"


def error(status, code, message):
    return {"error": {"code": code, "message": message}}, status


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
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    row = db.execute(KEY_SQL, (hashlib.sha256(token.strip().encode()).hexdigest(),)).fetchone()
    if row is None or row[1] is not None or not row[5] or row[8] not in ("active", "trialing"):
        return None
    return row


def run_json(run):
    return {"id": run[0], "template_id": run[1], "template_version": run[2], "title": run[3],
            "status": run[4], "started_by": run[5], "team_id": run[6], "timezone": run[7],
            "due_date": ts(run[8]), "is_shared": bool(run[9]), "sections": run[10],
            "created_at": ts(run[11]), "updated_at": ts(run[12]), "completed_at": ts(run[13])}


def run_task_json(row):
    return {"id": row[0], "instance_id": row[1], "template_task_id": row[2], "title": row[3],
            "completed": bool(row[4]), "completed_at": ts(row[5]), "completed_by": row[6],
            "skipped": bool(row[7]), "order": row[8], "section_id": row[9],
            "assignee": row[10], "is_essential": bool(row[11]), "type": row[12],
            "due_date": ts(row[13]), "webhook_enabled": bool(row[14]),
            "depends_on": json.loads(row[15]),
            "approval": json.loads(row[16]) if row[16] else None,
            "custom_elements": json.loads(row[17]), "created_at": ts(row[18]),
            "updated_at": ts(row[19])}


def start_run(db, key, body):
    """Read the template and its snapshot, then write the run, its tasks and its event in
    one BEGIN IMMEDIATE transaction."""
    team_id, zone = key[6], ZoneInfo(key[7])
    template = db.execute("SELECT id, is_published FROM template WHERE id = ? AND team_id = ?",
                          (body.get("template_id"), team_id)).fetchone()
    if template is None or not template[1]:
        return None
    snapshot = json.loads(db.execute(
        "SELECT snapshot FROM template_version WHERE template_id = ? "
        "ORDER BY version DESC LIMIT 1", (template[0],)).fetchone()[0])
    now = now_text()
    start = datetime.fromisoformat(now)
    title = body.get("name") or body.get("title") or snapshot["template"]["title"]
    run = (new_id(), template[0], snapshot["template"]["version"], title, "active", "api",
           team_id, key[7], None, 0, snapshot["template"]["sections"], now, now, None)
    ids = {task["id"]: new_id() for task in snapshot["tasks"]}
    rows = []
    for task in snapshot["tasks"]:
        due, rule = resolve_due(task["due_date"], start, zone, ids)
        elements = [dict(element, value=None) for element in task["custom_elements"]]
        rows.append((ids[task["id"]], run[0], task["id"], task["title"], task["description"],
                     task["order"], task["section_id"], task["type"], task["is_essential"],
                     task["webhook_enabled"], task["assignee"], due, rule and json.dumps(rule),
                     json.dumps([ids[i] for i in task["depends_on"]]), json.dumps(elements),
                     now, now))
    event_id = "evt_" + new_id()
    event = {"id": event_id, "event": "process_run.created", "timestamp": ts(now),
             "test": False,
             "data": {"instance_id": run[0], "template_id": run[1], "title": title,
                      "started_by": {"user_id": None, "email": None, "is_guest": False},
                      "started_at": ts(now), "due_date": None, "is_shared": False,
                      "task_count": len(rows)}}
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("INSERT INTO run (id, template_id, template_version, title, status, "
                   "started_by, team_id, timezone, due_date, is_shared, sections, created_at, "
                   "updated_at, completed_at) VALUES (?,?,?,?,?,?,?,?,?,?,json(?),?,?,?)",
                   run[:10] + (json.dumps(run[10]),) + run[11:])
        db.execute("INSERT INTO run_task (id, run_id, template_task_id, title, description, "
                   "position, section_id, type, is_essential, webhook_enabled, assignee, "
                   "due_date, due_rule, depends_on, completed, skipped, custom_elements, "
                   "created_at, updated_at) VALUES "
                   + ", ".join([TASK_VALUES] * len(rows)), [v for row in rows for v in row])
        db.execute("INSERT INTO event (id, team_id, event, payload, created_at) "
                   "VALUES (?,?,?,json(?),?)",
                   (event_id, team_id, event["event"], json.dumps(event), now))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return run


def create_app(path):
    app = Flask(__name__)

    connections = threading.local()

    @app.before_request
    def connect():
        """One connection per server thread, opened once: NextStep pools its connections,
        so the baseline gets the cheapest bare-sqlite3 equivalent."""
        db = getattr(connections, "db", None)
        if db is None:
            db = connections.db = sqlite3.connect(path, timeout=5, isolation_level=None,
                                                  check_same_thread=False)
            for pragma in PRAGMAS:
                db.execute(pragma)
        g.db = db

    @app.post("/api/v1/process-runs")
    def post_run():
        key = authenticate(g.db)
        if key is None:
            return error(401, "unauthorized", "A valid API key is required")
        run = start_run(g.db, key, request.get_json())
        if run is None:
            return error(404, "not_found", "Process template not found")
        return {"data": run_json(run)}, 201, {"Location": f"/api/v1/process-runs/{run[0]}"}

    @app.get("/api/v1/process-runs/<run_id>/tasks")
    def list_run_tasks(run_id):
        key = authenticate(g.db)
        if key is None:
            return error(401, "unauthorized", "A valid API key is required")
        limit = int(request.args.get("limit", 20))
        rows = g.db.execute(f"SELECT {TASK_COLUMNS} FROM run_task JOIN run "
                            "ON run_task.run_id = run.id WHERE run_task.run_id = ? "
                            "AND run.team_id = ? ORDER BY run_task.position, run_task.id "
                            "LIMIT ?", (run_id, key[6], limit + 1)).fetchall()
        if not rows and g.db.execute("SELECT id FROM run WHERE id = ? AND team_id = ?",
                                     (run_id, key[6])).fetchone() is None:
            return error(404, "not_found", "Process run not found")
        return page([run_task_json(row) for row in rows], limit)

    @app.get("/api/v1/process-templates/<template_id>/tasks")
    def list_template_tasks(template_id):
        key = authenticate(g.db)
        if key is None:
            return error(401, "unauthorized", "A valid API key is required")
        limit = int(request.args.get("limit", 20))
        if g.db.execute("SELECT id FROM template WHERE id = ? AND team_id = ?",
                        (template_id, key[6])).fetchone() is None:
            return error(404, "not_found", "Process template not found")
        tasks = g.db.execute(
            "SELECT id, template_id, title, description, position, section_id, type, "
            "is_essential, webhook_enabled, assignee_id, due_date, depends_on, created_at, "
            "updated_at FROM template_task WHERE template_id = ? ORDER BY position, id "
            "LIMIT ?", (template_id, limit + 1)).fetchall()
        elements = {}
        marks = ",".join("?" * len(tasks))
        for row in g.db.execute(f"SELECT task_id, id, type, label, required, options "
                                f"FROM custom_element WHERE task_id IN ({marks}) "
                                f"ORDER BY task_id, position", [t[0] for t in tasks]):
            elements.setdefault(row[0], []).append(
                {"id": row[1], "type": row[2], "label": row[3], "required": bool(row[4]),
                 "display_only": row[2] in DISPLAY_ONLY,
                 "options": json.loads(row[5]) if row[5] else None})
        return page([{"id": t[0], "template_id": t[1], "title": t[2], "description": t[3],
                      "order": t[4], "section_id": t[5], "type": t[6],
                      "is_essential": bool(t[7]), "webhook_enabled": bool(t[8]),
                      "assignee": t[9], "due_date": json.loads(t[10]) if t[10] else None,
                      "depends_on": json.loads(t[11]),
                      "custom_elements": elements.get(t[0], []), "created_at": ts(t[12]),
                      "updated_at": ts(t[13])} for t in tasks], limit)

    return app


def page(items, limit):
    more = len(items) > limit
    items = items[:limit]
    return {"data": items,
            "pagination": {"next_cursor": items[-1]["id"] if items else None,
                           "has_more": more}}
