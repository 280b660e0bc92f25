"""Templates, sections, template tasks and their custom elements as the API shows them."""
from marshmallow import fields

from ..models.template import DISPLAY_ELEMENT_TYPES
from .common import OutputSchema, Timestamp


class SectionSchema(OutputSchema):
    id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    order = fields.Integer(attribute="position")
    color = fields.String(allow_none=True)


class TemplateSchema(OutputSchema):
    id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    cover_image = fields.String(allow_none=True)
    icon = fields.String(allow_none=True)
    icon_type = fields.String(allow_none=True)
    visibility = fields.String()
    is_published = fields.Boolean()
    version = fields.Integer()
    # `template.section_rows` is set by the query that loaded the page.
    sections = fields.List(fields.Nested(SectionSchema), attribute="section_rows")
    created_at = Timestamp()
    updated_at = Timestamp()


class CustomElementSchema(OutputSchema):
    id = fields.String()
    type = fields.String()
    label = fields.String()
    required = fields.Boolean()
    display_only = fields.Function(lambda element: element.type in DISPLAY_ELEMENT_TYPES,
                                   metadata={"type": "boolean"})
    options = fields.List(fields.String(), allow_none=True)


class TemplateTaskSchema(OutputSchema):
    id = fields.String()
    template_id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    order = fields.Integer(attribute="position")
    section_id = fields.String(allow_none=True)
    type = fields.String()
    is_essential = fields.Boolean()
    webhook_enabled = fields.Boolean()
    assignee = fields.String(attribute="assignee_id", allow_none=True)
    due_date = fields.Dict(allow_none=True, metadata={
        "description": "A rule: {type: fixed, at} or {type: relative, from, offset, "
                       "business_days}."})
    depends_on = fields.List(fields.String())
    # `task.element_rows` is set by the query that loaded the page.
    custom_elements = fields.List(fields.Nested(CustomElementSchema), attribute="element_rows")
    created_at = Timestamp()
    updated_at = Timestamp()
