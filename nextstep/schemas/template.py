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
    has_unpublished_changes = fields.Boolean()
    is_archived = fields.Function(lambda template: template.archived_at is not None)
    archived_at = Timestamp()
    sections = fields.Method("dump_sections")
    created_at = Timestamp()
    updated_at = Timestamp()

    def dump_sections(self, template):
        """`template.section_rows` is set by the query that loaded the page."""
        return section_list_schema.dump(template.section_rows)


class CustomElementSchema(OutputSchema):
    id = fields.String()
    type = fields.String()
    label = fields.String()
    required = fields.Boolean()
    display_only = fields.Function(lambda element: element.type in DISPLAY_ELEMENT_TYPES)
    options = fields.Raw(allow_none=True)


element_list_schema = CustomElementSchema(many=True)
section_list_schema = SectionSchema(many=True)


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
    due_date = fields.Raw(allow_none=True)
    depends_on = fields.Raw()
    custom_elements = fields.Method("dump_elements")
    created_at = Timestamp()
    updated_at = Timestamp()

    def dump_elements(self, task):
        """`task.element_rows` is set by the query that loaded the page."""
        return element_list_schema.dump(task.element_rows)
