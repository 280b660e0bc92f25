"""The run task shape (GET and PATCH .../tasks answer it): hand-written, and its schema.

A page of 100 tasks is 2,000 fields; at marshmallow's ~1.5 µs a field that was the largest
single cost of GET .../tasks in the benchmark, for a shape with no logic. So the views
answer with `run_task_shape`, and `RunTaskSchema` describes the same shape field by field
(what an OpenAPI document is generated from); tests/test_shapes.py proves that both give
the same output, so neither can drift from the other.
"""
from marshmallow import fields

from ..ids import format_timestamp
from ..models.run import ELEMENT_KEYS
from .common import OutputSchema, Timestamp

APPROVAL_KEYS = ("status", "comment", "by", "at")


def run_element_shape(element):
    """A run task's stored element dict in the API's key order (jsonb does not keep key
    order); the keys are those the run task stores (models/run.py)."""
    return {key: element.get(key) for key in ELEMENT_KEYS}


def run_task_shape(task):
    """`task` is a RunTask or its row as a dict (`.dicts()`, as list pages read it)."""
    data = task if isinstance(task, dict) else task.__data__
    approval = data.get("approval")
    return {
        "id": data["id"], "instance_id": data["run"],
        "template_task_id": data["template_task_id"], "title": data["title"],
        "completed": bool(data["completed"]),
        "completed_at": format_timestamp(data.get("completed_at")),
        "completed_by": data.get("completed_by"), "skipped": bool(data["skipped"]),
        "order": data["position"], "section_id": data.get("section_id"),
        "assignee": data.get("assignee"), "is_essential": bool(data["is_essential"]),
        "type": data["type"], "due_date": format_timestamp(data.get("due_date")),
        "webhook_enabled": bool(data["webhook_enabled"]),
        "depends_on": data.get("depends_on") or [],
        "approval": {key: approval.get(key) for key in APPROVAL_KEYS} if approval else None,
        "custom_elements": [run_element_shape(e) for e in data.get("custom_elements") or []],
        "created_at": format_timestamp(data["created_at"]),
        "updated_at": format_timestamp(data["updated_at"])}


def Nullable(field_class, **kwargs):
    """A field that is null when its key is absent, as `dict.get` reads it."""
    return field_class(allow_none=True, dump_default=None, **kwargs)


class RunElementSchema(OutputSchema):
    """An element of a run task, with the value the run holds for it."""

    id = fields.String()
    type = fields.String()
    label = Nullable(fields.String)
    required = Nullable(fields.Boolean)
    display_only = Nullable(fields.Boolean)
    options = Nullable(fields.Raw)
    value = Nullable(fields.Raw)


class ApprovalDecisionSchema(OutputSchema):
    """The decision on an approval task: status approved or rejected, by a user id or "api"."""

    status = Nullable(fields.String)
    comment = Nullable(fields.String)
    by = Nullable(fields.String)
    at = Nullable(fields.String)


class RunTaskSchema(OutputSchema):
    """Dumps a run task row as a dict (`RunTask.__data__`, or a `.dicts()` row)."""

    id = fields.String()
    instance_id = fields.String(attribute="run")
    template_task_id = fields.String()
    title = fields.String()
    completed = fields.Boolean()
    completed_at = Timestamp(allow_none=True, dump_default=None)
    completed_by = Nullable(fields.String)
    skipped = fields.Boolean()
    order = fields.Integer(attribute="position")
    section_id = Nullable(fields.String)
    assignee = Nullable(fields.String)
    is_essential = fields.Boolean()
    type = fields.String()
    due_date = Timestamp(allow_none=True, dump_default=None)
    webhook_enabled = fields.Boolean()
    depends_on = fields.List(fields.String())
    approval = fields.Nested(ApprovalDecisionSchema, allow_none=True, dump_default=None)
    custom_elements = fields.List(fields.Nested(RunElementSchema))
    created_at = Timestamp()
    updated_at = Timestamp()
