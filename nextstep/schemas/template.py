"""Templates, sections, template tasks and their custom elements as the API shows them.

A page of 100 template tasks with two elements each is some 2,100 fields: at marshmallow's
~1.5 µs a field, the largest cost of GET .../tasks in the benchmark, for a shape with no
logic. So that page answers with `template_task_shape`, written by hand, and
`TemplateTaskSchema` describes the same shape field by field (what an OpenAPI document
is generated from); tests/test_shapes.py proves both give the same output.
"""
from marshmallow import fields

from ..ids import format_timestamp
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
    archived_at = Timestamp(allow_none=True)
    # `section_rows` is set by the query that loaded the page.
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
    options = fields.Raw(allow_none=True, metadata={
        "description": "The choices of a dropdown or multiSelect; null otherwise."})


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
    # `element_rows` is set by the query that loaded the page.
    custom_elements = fields.List(fields.Nested(CustomElementSchema), attribute="element_rows")
    created_at = Timestamp()
    updated_at = Timestamp()


def template_element_shape(element):
    """A CustomElement as CustomElementSchema dumps it."""
    return {"id": element.id, "type": element.type, "label": element.label,
            "required": bool(element.required),
            "display_only": element.type in DISPLAY_ELEMENT_TYPES, "options": element.options}


def template_task_shape(task):
    """A TemplateTask with its `element_rows`, as TemplateTaskSchema dumps it."""
    data = task.__data__
    return {
        "id": data["id"], "template_id": data["template"], "title": data["title"],
        "description": data.get("description"), "order": data["position"],
        "section_id": data.get("section"), "type": data["type"],
        "is_essential": bool(data["is_essential"]),
        "webhook_enabled": bool(data["webhook_enabled"]), "assignee": data.get("assignee"),
        "due_date": data.get("due_date"), "depends_on": data.get("depends_on"),
        "custom_elements": [template_element_shape(e) for e in task.element_rows],
        "created_at": format_timestamp(data["created_at"]),
        "updated_at": format_timestamp(data["updated_at"])}


class VersionElementSchema(OutputSchema):
    """An element of a published version (a read-only mapping of models/snapshot.py)."""

    id = fields.String()
    type = fields.String()
    label = fields.String()
    required = fields.Boolean()
    display_only = fields.Function(lambda element: element["type"] in DISPLAY_ELEMENT_TYPES)
    options = fields.Function(lambda element: list(element["options"])
                              if element["options"] is not None else None)


class VersionTaskSchema(TemplateTaskSchema):
    """A task of a published version (a models.snapshot.SnapshotTask), keyed as a
    template task is, without what a version does not hold (its template's id is the
    version's, and a version has no timestamps of its own)."""

    class Meta:
        exclude = ("template_id", "created_at", "updated_at")

    due_date = fields.Function(lambda task: dict(task.due_date) if task.due_date else None,
                               metadata=TemplateTaskSchema._declared_fields["due_date"].metadata)
    depends_on = fields.Function(lambda task: list(task.depends_on),
                                 metadata={"type": "array", "items": {"type": "string"}})
    custom_elements = fields.List(fields.Nested(VersionElementSchema), attribute="elements")


class VersionTemplateSchema(OutputSchema):
    id = fields.String(attribute="template_id")
    version = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    cover_image = fields.String(allow_none=True)
    icon = fields.String(allow_none=True)
    icon_type = fields.String(allow_none=True)


class VersionSchema(OutputSchema):
    """GET /process-templates/:id/versions/:version: what runs of that version started
    from. Dumps {"version", "created_at", "snapshot": a models.snapshot.Snapshot}."""

    version = fields.Integer()
    created_at = Timestamp()
    template = fields.Nested(VersionTemplateSchema, attribute="snapshot")
    sections = fields.List(fields.Nested(SectionSchema), attribute="snapshot.sections")
    tasks = fields.List(fields.Nested(VersionTaskSchema), attribute="snapshot.tasks")


class VersionSummarySchema(OutputSchema):
    """An item of GET /process-templates/:id/versions."""

    version = fields.Integer()
    created_at = Timestamp()
    task_count = fields.Integer()
