"""The baseline's answers: the JSON shapes NextStep answers, built by hand from rows in
the column order of bench/baseline_sql.py. Stored JSON is read with the json module, as
Peewee's JSONField reads it."""
import orjson

from . import baseline_sql as sql

DISPLAY_ONLY = {"text", "heading", "image", "video"}


def ts(text):
    """'2026-03-27 02:08:05.224000' -> '2026-03-27T02:08:05.224Z'."""
    if text is None:
        return None
    return f"{text[:10]}T{text[11:19]}.{(text[20:23] or '000').ljust(3, '0')}Z"


def run_json(run):
    """A row in sql.RUN_FIELDS order; `sections` already decoded."""
    (id_, team_id, template_id, version, title, status, started_by, timezone, due_date,
     is_shared, sections, created_at, updated_at, completed_at, _revision) = run
    return {"id": id_, "template_id": template_id, "template_version": version,
            "title": title, "status": status, "started_by": started_by, "team_id": team_id,
            "timezone": timezone, "due_date": ts(due_date), "is_shared": bool(is_shared),
            "sections": sections, "created_at": ts(created_at), "updated_at": ts(updated_at),
            "completed_at": ts(completed_at)}


def stored_run_json(row):
    return run_json(row[:10] + (orjson.loads(row[10]),) + row[11:])


def run_task_json(row, elements=None):
    """A row in sql.TASK_FIELDS order; `elements` replaces the stored custom_elements."""
    t = dict(zip(sql.TASK_FIELDS, row, strict=True))
    approval = t["approval"] and orjson.loads(t["approval"])
    return {"id": t["id"], "instance_id": t["run_id"], "template_task_id": t["template_task_id"],
            "title": t["title"], "completed": bool(t["completed"]),
            "completed_at": ts(t["completed_at"]), "completed_by": t["completed_by"],
            "skipped": bool(t["skipped"]), "order": t["position"],
            "section_id": t["section_id"], "assignee": t["assignee"],
            "is_essential": bool(t["is_essential"]), "type": t["type"],
            "due_date": ts(t["due_date"]), "webhook_enabled": bool(t["webhook_enabled"]),
            "depends_on": orjson.loads(t["depends_on"]) if t["depends_on"] else [],
            "approval": approval or None,
            "custom_elements": (elements if elements is not None
                                else orjson.loads(t["custom_elements"] or "[]")),
            "created_at": ts(t["created_at"]), "updated_at": ts(t["updated_at"])}


def template_task_json(t, elements):
    """A row in sql.TEMPLATE_TASK_FIELDS order and its element dicts."""
    (id_, template_id, section_id, title, description, position, type_, essential, webhook,
     assignee, due_date, depends_on, created_at, updated_at) = t
    return {"id": id_, "template_id": template_id, "title": title, "description": description,
            "order": position, "section_id": section_id, "type": type_,
            "is_essential": bool(essential), "webhook_enabled": bool(webhook),
            "assignee": assignee, "due_date": orjson.loads(due_date) if due_date else None,
            "depends_on": orjson.loads(depends_on) if depends_on else [],
            "custom_elements": elements, "created_at": ts(created_at),
            "updated_at": ts(updated_at)}


def page(items, limit):
    more = len(items) > limit
    items = items[:limit]
    return {"data": items, "pagination": {"next_cursor": items[-1]["id"] if items else None,
                                          "has_more": more}}
