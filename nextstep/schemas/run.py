"""Runs and run tasks: the input shapes of POST and PATCH, and the output shapes.

Input schemas check shapes only (types, unknown fields, aliases); rules that need rows
(members, elements, states) live in the services.
"""
from marshmallow import (
    ValidationError,
    fields,
    post_load,
    pre_dump,
    validate,
    validates_schema,
)

from ..ids import format_timestamp, parse_timestamp
from ..services.elements import ordered
from .common import InputSchema, OutputSchema, StrictBoolean, Timestamp

SECTION_KEYS = ("id", "title", "description", "order", "color")
APPROVAL_KEYS = ("status", "comment", "by", "at")


class TimestampInput(fields.Field):
    """An ISO 8601 string, read as naive UTC (a date or a naive time is taken as UTC)."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 timestamp."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError):
            raise self.make_error("invalid") from None


class PrefillSchema(InputSchema):
    task_id = fields.String(required=True)
    element_id = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True)


class RunStartSchema(InputSchema):
    """POST /process-runs; `title` is an alias of `name` and the result key is `title`."""

    template_id = fields.String(required=True)
    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=255))
    title = fields.String(allow_none=True, validate=validate.Length(min=1, max=255))
    due_date = TimestampInput(allow_none=True)
    actor_email = fields.String(allow_none=True)
    custom_elements = fields.List(fields.Nested(PrefillSchema), allow_none=True)

    @validates_schema
    def name_or_title(self, data, **kwargs):
        if "name" in data and "title" in data:
            raise ValidationError("Give name or its alias title, not both.", "title")

    @post_load
    def use_title(self, data, **kwargs):
        if "name" in data:
            data["title"] = data.pop("name")
        return data


class ElementValueSchema(InputSchema):
    """{element_id, value}; `id` is accepted as an alias of `element_id`."""

    element_id = fields.String()
    alias = fields.String(data_key="id")
    value = fields.Raw(required=True, allow_none=True)

    @validates_schema
    def one_id(self, data, **kwargs):
        if "element_id" in data and "alias" in data:
            raise ValidationError("Give element_id or its alias id, not both.", "id")
        if "element_id" not in data and "alias" not in data:
            raise ValidationError("Missing data for required field.", "element_id")

    @post_load
    def use_element_id(self, data, **kwargs):
        if "alias" in data:
            data["element_id"] = data.pop("alias")
        return data


class ApprovalSchema(InputSchema):
    status = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    comment = fields.String(allow_none=True, validate=validate.Length(max=20_000))


class RunTaskPatchSchema(InputSchema):
    """PATCH .../tasks/:taskId: every field optional; only the keys sent are touched."""

    completed = StrictBoolean()
    skipped = StrictBoolean()
    assignee = fields.String(allow_none=True)
    actor_email = fields.String(allow_none=True)
    custom_elements = fields.List(fields.Nested(ElementValueSchema))
    approval = fields.Nested(ApprovalSchema)


class RunSectionSchema(OutputSchema):
    """A section of the run's snapshot (a dict of the stored JSON), every key present."""

    id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    order = fields.Integer()
    color = fields.String(allow_none=True, metadata={"description": "#RRGGBB or null."})

    @pre_dump
    def every_key(self, section, **kwargs):
        return {key: section.get(key) for key in SECTION_KEYS}


class RunSchema(OutputSchema):
    id = fields.String()
    template_id = fields.String()
    template_version = fields.Integer()
    title = fields.String()
    status = fields.String(metadata={"enum": ["active", "completed"]})
    started_by = fields.String(metadata={"description": '"api" or a member\'s user id.'})
    team_id = fields.String()
    timezone = fields.String(metadata={"description": "The team's IANA timezone."})
    due_date = Timestamp(allow_none=True)
    is_shared = fields.Boolean()
    sections = fields.List(fields.Nested(RunSectionSchema))
    created_at = Timestamp()
    updated_at = Timestamp()
    completed_at = Timestamp(allow_none=True)


class ApprovalDecisionSchema(OutputSchema):
    status = fields.String(metadata={"enum": ["approved", "rejected"]})
    comment = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = Timestamp(allow_none=True)


class RunElementSchema(OutputSchema):
    """A custom element of a run task, with its current value."""

    id = fields.String()
    type = fields.String()
    label = fields.String()
    required = fields.Boolean()
    display_only = fields.Boolean()
    options = fields.List(fields.String(), allow_none=True)
    value = fields.Raw(allow_none=True, metadata={
        "description": "As the element's type says (string, number, bool, list, null)."})


class RunTaskShape(OutputSchema):
    """The run task as the API shows it: what the OpenAPI document says, and what
    RunTaskSchema below writes by hand (tests/test_openapi.py checks they agree on real
    tasks)."""

    id = fields.String()
    instance_id = fields.String(attribute="run_id", metadata={"description": "The run's id."})
    template_task_id = fields.String()
    title = fields.String()
    completed = fields.Boolean()
    completed_at = Timestamp(allow_none=True)
    completed_by = fields.String(allow_none=True)
    skipped = fields.Boolean()
    order = fields.Integer(attribute="position")
    section_id = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    is_essential = fields.Boolean()
    type = fields.String(metadata={"enum": ["task", "approval"]})
    due_date = Timestamp(allow_none=True)
    webhook_enabled = fields.Boolean()
    depends_on = fields.List(fields.String())
    approval = fields.Nested(ApprovalDecisionSchema, allow_none=True)
    custom_elements = fields.List(fields.Nested(RunElementSchema))
    created_at = Timestamp()
    updated_at = Timestamp()


class RunTaskSchema:
    """The run task shape (RunTaskShape), written out by hand with marshmallow's `dump`
    interface. `shape` is the schema it writes, for the OpenAPI document.

    A page of 100 tasks is 2,000 fields; at marshmallow's ~1.5 µs a field that was the
    largest single cost of GET .../tasks in the benchmark, for a shape with no logic.
    """

    shape = RunTaskShape

    def __init__(self, many=False):
        self.many = many

    def dump(self, obj):
        return [self.dump_one(task) for task in obj] if self.many else self.dump_one(obj)

    @staticmethod
    def dump_one(task):
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
            "custom_elements": [ordered(e) for e in data.get("custom_elements") or []],
            "created_at": format_timestamp(data["created_at"]),
            "updated_at": format_timestamp(data["updated_at"])}
