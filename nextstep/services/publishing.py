"""Publishing: freeze a template's current content as its next version.

Runs start from the latest published snapshot, never from the editable draft, so later
edits to a template change no run and no new run until the template is published again.
"""
from ..db import transaction
from ..ids import utcnow
from ..models import Template, TemplateTask, TemplateVersion
from ..schemas.template import TemplateSchema, TemplateTaskSchema
from .templates import attach_elements, attach_sections


def build_snapshot(template):
    """{"template": {...as the API shows it}, "tasks": [{...}, ...]} by position."""
    tasks = list(TemplateTask.select().where(TemplateTask.template == template)
                 .order_by(TemplateTask.position, TemplateTask.id))
    attach_sections([template])
    attach_elements(tasks)
    return {"template": TemplateSchema().dump(template),
            "tasks": TemplateTaskSchema(many=True).dump(tasks)}


def publish_template(template):
    """Take the next snapshot; the template becomes published and visible to the team."""
    now = utcnow()
    with transaction():
        # The increment happens in the UPDATE, which locks the row: two publishes at once
        # take versions n+1 and n+2, never both n+1.
        Template.update(version=Template.version + 1, is_published=True, visibility="team",
                        has_unpublished_changes=False,
                        updated_at=now).where(Template.id == template.id).execute()
        template = Template.get_by_id(template.id)
        snapshot = build_snapshot(template)
        TemplateVersion.create(template=template, version=template.version,
                               snapshot=snapshot, task_count=len(snapshot["tasks"]),
                               created_at=now)
    return template


def latest_snapshot(template):
    """The newest published snapshot dict, or None for a never-published template."""
    row = (TemplateVersion.select()
           .where(TemplateVersion.template == template)
           .order_by(TemplateVersion.version.desc()).first())
    return row.snapshot if row else None
