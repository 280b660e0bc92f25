"""Request bodies of the authoring endpoints, built on the import file's own schemas so the
API and `nextstep import-template` check a field with one rule and one message.

The API names rows by id where the file names them by key: a task's `section_id`,
`depends_on` ids and `due_date.from` as `task:<id>`; an element's `id` (PATCH keeps it).
"""
from marshmallow import fields, validate

from .common import InputSchema, StrictBoolean
from .importer import (
    ElementSchema,
    Optional,
    SectionSchema,
    TaskSchema,
    TemplateFileSchema,
    Title,
)

VISIBILITIES = ("team", "private")


class StrictInteger(fields.Integer):
    """A JSON whole number only: true, 1.5 or "2" are refused."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def Order():
    return StrictInteger(validate=validate.Range(min=0, error="Must be 0 or more."))


class TemplateCreateSchema(TemplateFileSchema):
    """The import file, except that a draft may start with no task."""

    tasks = fields.List(fields.Nested(TaskSchema), load_default=list)


class TemplatePatchSchema(InputSchema):
    title = Title()
    description = Optional()
    cover_image = Optional()
    icon = Optional(255)
    icon_type = Optional(255)
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    is_archived = StrictBoolean()


class SectionBodySchema(SectionSchema):
    order = Order()

    class Meta(SectionSchema.Meta):
        exclude = ("key",)


class ElementBodySchema(ElementSchema):
    id = fields.String(validate=validate.Length(min=1, max=20))

    class Meta(ElementSchema.Meta):
        exclude = ("key",)


class TaskBodySchema(TaskSchema):
    section_id = fields.String(allow_none=True, load_default=None)
    order = Order()
    custom_elements = fields.List(fields.Nested(ElementBodySchema), load_default=list)

    class Meta(TaskSchema.Meta):
        exclude = ("key", "section")


def patch_fields(schema):
    """Top-level field names, for `load(partial=...)`: a nested element still needs its
    type and label, as `partial=True` would not ask."""
    return tuple(schema.fields)
