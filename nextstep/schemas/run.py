"""Runs and run tasks: the input shapes of POST and PATCH, and the run's output shape
(the run task's is in schemas/run_task.py).

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
from .common import InputSchema, OutputSchema, StrictBoolean, Timestamp

SECTION_KEYS = ("id", "title", "description", "order", "color")


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


def run_shape(run):
    """The shape RunSchema describes, hand-written: a list page of 100 runs is 1,400
    fields, and at marshmallow's ~1.5 µs a field that was most of GET /process-runs
    (tests/test_shapes.py proves both give the same output). `run` is a Run."""
    data = run.__data__
    return {
        "id": data["id"], "template_id": data["template"],
        "template_version": data["template_version"], "title": data["title"],
        "status": data["status"], "started_by": data["started_by"], "team_id": data["team"],
        "timezone": data["timezone"], "due_date": format_timestamp(data.get("due_date")),
        "is_shared": bool(data["is_shared"]),
        "sections": [{key: section.get(key) for key in SECTION_KEYS}
                     for section in data["sections"]],
        "created_at": format_timestamp(data["created_at"]),
        "updated_at": format_timestamp(data["updated_at"]),
        "completed_at": format_timestamp(data.get("completed_at"))}
