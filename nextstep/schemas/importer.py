"""The shape of a template file, checked field by field (docs/import-format.md).

What needs the whole file or the team (keys, dependencies, assignees) is checked by
services/importer.py once this shape has loaded.
"""
import re

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..due_rules import origin_task
from ..durations import parse_duration
from ..ids import format_timestamp, parse_timestamp
from ..models.template import DISPLAY_ELEMENT_TYPES, ELEMENT_TYPES, OPTION_ELEMENT_TYPES, TASK_TYPES
from .common import InputSchema, StrictBoolean, message_paths

TOP_LEVEL = "(top level)"
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DURATION_HELP = ("Must be an ISO 8601 duration in whole weeks, days, hours, minutes or "
                 "seconds, such as P3D, PT4H or P1DT2H.")


def _not_blank(value):
    if not value.strip():
        raise ValidationError("Must not be empty.")


def Title(**kwargs):
    return fields.String(validate=[_not_blank, validate.Length(max=255)], **kwargs)


def Key():
    """A name local to the file, used to refer to a section, task or element."""
    return fields.String(validate=[_not_blank, validate.Length(max=100)])


def Optional(max_length=None):
    checks = [validate.Length(max=max_length)] if max_length else []
    return fields.String(allow_none=True, load_default=None, validate=checks)


def normalise_offset(text):
    """An offset as stored: uppercased, checked to be weeks/days/hours/minutes/seconds.

    Raises ValueError with the reason. Months and years are refused: their length varies.
    """
    text = text.upper()
    try:
        years, months, *_rest = parse_duration(text)
    except ValueError:
        raise ValueError(DURATION_HELP) from None
    if years or months:
        raise ValueError("Months and years are not supported (their length varies); "
                         "use weeks or days, such as P30D.")
    return text


class DueDateSchema(InputSchema):
    """{"type": "fixed", "at"} or {"type": "relative", "from", "offset", "business_days"}."""

    type = fields.String(required=True, validate=validate.OneOf(("fixed", "relative")))
    at = fields.String()
    from_ = fields.String(data_key="from")
    offset = fields.String()
    business_days = StrictBoolean()

    ALLOWED = {"fixed": {"type", "at"}, "relative": {"type", "from_", "offset", "business_days"}}
    REQUIRED = {"fixed": ("at",), "relative": ("from_", "offset")}

    @validates_schema
    def check_rule(self, data, **kwargs):
        kind, errors = data["type"], {}
        for name in sorted(data.keys() - self.ALLOWED[kind]):
            errors[name.rstrip("_")] = [f"Not allowed in a {kind} rule."]
        for name in self.REQUIRED[kind]:
            if name not in data:
                errors[name.rstrip("_")] = ["Missing data for required field."]
        if errors:
            raise ValidationError(errors)
        if kind == "fixed":
            try:
                parse_timestamp(data["at"])
            except ValueError:
                raise ValidationError("Not a valid ISO 8601 timestamp, such as "
                                      "2026-04-01T09:00:00Z.", "at") from None
            return
        origin = data["from_"]
        if origin != "run_start" and not (origin_task({"from": origin}) or "").strip():
            errors["from"] = ['Must be "run_start" or "task:<task key>".']
        try:
            normalise_offset(data["offset"])
        except ValueError as error:
            errors["offset"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    @post_load
    def normalise(self, data, **kwargs):
        if data["type"] == "fixed":
            return {"type": "fixed", "at": format_timestamp(parse_timestamp(data["at"]))}
        return {"type": "relative", "from": data["from_"],
                "offset": normalise_offset(data["offset"]),
                "business_days": data.get("business_days", False)}


class ElementSchema(InputSchema):
    key = Key()
    type = fields.String(required=True, validate=validate.OneOf(ELEMENT_TYPES))
    label = Title(required=True)
    required = StrictBoolean(load_default=False)
    options = fields.List(fields.String(), allow_none=True, load_default=None)

    @validates_schema
    def check_options(self, data, **kwargs):
        kind, options = data["type"], data["options"]
        if kind in OPTION_ELEMENT_TYPES:
            if not options:
                raise ValidationError(f"{kind} needs a non-empty list of options.", "options")
            for i, option in enumerate(options):
                if not option.strip():
                    raise ValidationError(f"Option {i} must not be empty.", "options")
                if option in options[:i]:
                    raise ValidationError(f'Option "{option}" appears twice.', "options")
        elif options is not None:
            raise ValidationError(f"{kind} elements take no options.", "options")
        if kind in DISPLAY_ELEMENT_TYPES and data["required"]:
            raise ValidationError(f"{kind} elements are display-only and cannot be required.",
                                  "required")


class SectionSchema(InputSchema):
    key = Key()
    title = Title(required=True)
    description = Optional()
    color = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(
        COLOR, error="Must be a color like #1A2B3C."))


class TaskSchema(InputSchema):
    key = Key()
    title = Title(required=True)
    description = Optional()
    section = fields.String(allow_none=True, load_default=None)
    type = fields.String(load_default="task", validate=validate.OneOf(TASK_TYPES))
    is_essential = StrictBoolean(load_default=True)
    webhook_enabled = StrictBoolean(load_default=False)
    assignee = fields.String(allow_none=True, load_default=None)
    due_date = fields.Nested(DueDateSchema, allow_none=True, load_default=None)
    depends_on = fields.List(fields.String(), load_default=list)
    custom_elements = fields.List(fields.Nested(ElementSchema), load_default=list)


class TemplateFileSchema(InputSchema):
    title = Title(required=True)
    description = Optional()
    cover_image = Optional()
    icon = Optional(255)
    icon_type = Optional(255)
    sections = fields.List(fields.Nested(SectionSchema), load_default=list)
    tasks = fields.List(fields.Nested(TaskSchema), required=True, validate=validate.Length(
        min=1, error="Must contain at least one task."))


def error_paths(messages):
    """Marshmallow's nested messages as (path, message) pairs in file order."""
    return sorted(message_paths(messages, TOP_LEVEL), key=path_order)


def path_order(pair):
    """Sort key of a (path, message) pair: file order, "tasks.10" after "tasks.9". A part
    is an index only in ASCII digits: an unknown field's name from the body ("¹", which
    str.isdigit accepts and int refuses) sorts as a name."""
    return [(0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
            for part in pair[0].split(".")]
