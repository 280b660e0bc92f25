"""The template file an export writes: the import's format (schemas/importer.py reads it,
docs/import-format.md describes it), every field present in the documented order, so the
same template always gives the same bytes and the file reads like the documentation."""
from marshmallow import fields

from .common import OutputSchema


class ExportElementSchema(OutputSchema):
    type = fields.String()
    label = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.String(), allow_none=True)


class ExportSectionSchema(OutputSchema):
    key = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    color = fields.String(allow_none=True)


class ExportTaskSchema(OutputSchema):
    """`section`, `depends_on` and a `task:` due date name keys of the same file."""

    key = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    section = fields.String(allow_none=True)
    type = fields.String()
    is_essential = fields.Boolean()
    webhook_enabled = fields.Boolean()
    assignee = fields.String(allow_none=True)
    due_date = fields.Dict(allow_none=True)
    depends_on = fields.List(fields.String())
    custom_elements = fields.List(fields.Nested(ExportElementSchema))


class ExportFileSchema(OutputSchema):
    title = fields.String()
    description = fields.String(allow_none=True)
    cover_image = fields.String(allow_none=True)
    icon = fields.String(allow_none=True)
    icon_type = fields.String(allow_none=True)
    sections = fields.List(fields.Nested(ExportSectionSchema))
    tasks = fields.List(fields.Nested(ExportTaskSchema))
