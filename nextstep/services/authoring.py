"""Template authoring (contract §10): the working copy's life, draft to archive.

Every write locks the template row first (`lock_template`) and runs in one transaction:
a refused request raises before anything is written, or rolls back whatever it wrote, so
the template and its `updated_at` stay exactly as they were. The answer is rendered by
the caller's `render` before the transaction commits.
"""
from marshmallow import ValidationError

from ..db import is_sqlite, transaction
from ..errors import conflict, not_found, validation_error
from ..ids import utcnow
from ..models import (
    CustomElement,
    Run,
    Section,
    Template,
    TemplateTask,
    TemplateVersion,
)
from ..models.snapshot import read_snapshot
from ..schemas.authoring import TemplateCreateSchema, TemplatePatchSchema, patch_fields
from ..schemas.importer import error_paths
from .importer import TemplateImportError, check_references, plan_template, write_template
from .pagination import Page, foreign_cursor
from .publishing import publish_template
from .templates import attach_sections, get_template

TEMPLATE_NOT_FOUND = "Process template not found"
CONTENT_FIELDS = ("title", "description", "cover_image", "icon", "icon_type")
template_patch_schema = TemplatePatchSchema()


def invalid(details):
    return validation_error("The request body is not valid", details)


def load(schema, data, partial=False):
    """`schema.load(data)`, or 422 with the import's paths and messages."""
    try:
        return schema.load(data, partial=patch_fields(schema) if partial else False)
    except ValidationError as error:
        raise invalid(as_details(error_paths(error.messages))) from None


def as_details(pairs):
    details = {}
    for path, message in pairs:
        details.setdefault(path, []).append(message)
    return details


def lock_template(team, template_id):
    """The template row, read afresh inside the write transaction and locked until it
    ends (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already keeps every other
    writer out). 404 when it is not the team's, or was deleted meanwhile."""
    query = Template.select().where((Template.id == template_id) & (Template.team == team))
    template = (query if is_sqlite() else query.for_update()).first()
    if template is None:
        raise not_found(TEMPLATE_NOT_FOUND)
    return template


def touch(template, content=True, **changes):
    """Record a change: `updated_at` always, `has_unpublished_changes` when the change is
    to what a snapshot holds (archiving or unpublishing is not)."""
    changes["updated_at"] = utcnow()
    if content:
        changes["has_unpublished_changes"] = True
    Template.update(**changes).where(Template.id == template.id).execute()
    for name, value in changes.items():
        setattr(template, name, value)
    return template


def create_template(team, data, render):
    """A new draft from the import file format (tasks optional); the same checks, messages
    and writer as `nextstep import-template`, answered as every other 422 of the API."""
    try:
        content = TemplateCreateSchema().load(data)
    except ValidationError as error:
        raise invalid(as_details(error_paths(error.messages))) from None
    try:
        members = check_references(team, content)
    except TemplateImportError as error:
        raise invalid(error.details) from None
    plan = plan_template(team, content, members)
    with transaction():
        return render(write_template(plan))


def patch_template(team, template_id, data, render):
    changes = load(template_patch_schema, data, partial=True)
    with transaction():
        template = lock_template(team, template_id)
        updates = {name: changes[name] for name in (*CONTENT_FIELDS, "visibility")
                   if name in changes and changes[name] != getattr(template, name)}
        if updates.get("visibility") == "team" and template.version == 0:
            raise invalid({"visibility": ["A template that was never published is "
                                          "private; publishing makes it team."]})
        if "is_archived" in changes and changes["is_archived"] != (
                template.archived_at is not None):
            updates["archived_at"] = utcnow() if changes["is_archived"] else None
        if updates:
            touch(template, content=any(name in updates for name in CONTENT_FIELDS),
                  **updates)
        return render(attach_sections([template])[0])


def delete_template(team, template_id):
    """Refused once any run was started from it: runs keep their template id."""
    with transaction():
        template = lock_template(team, template_id)
        if Run.select().where(Run.template == template).exists():
            raise conflict("template_has_runs", "Runs were started from this process "
                                                "template; archive it instead")
        task_ids = TemplateTask.select(TemplateTask.id).where(TemplateTask.template == template)
        CustomElement.delete().where(CustomElement.task.in_(task_ids)).execute()
        TemplateTask.delete().where(TemplateTask.template == template).execute()
        Section.delete().where(Section.template == template).execute()
        TemplateVersion.delete().where(TemplateVersion.template == template).execute()
        Template.delete().where(Template.id == template.id).execute()


def publish(team, template_id, render):
    """The next version, unless nothing changed since the last one: then the template is
    answered as it is (re-published without a new version if it was unpublished)."""
    with transaction():
        template = lock_template(team, template_id)
        if not TemplateTask.select().where(TemplateTask.template == template).exists():
            raise invalid({"tasks": ["A template needs at least one task to be published."]})
        if template.has_unpublished_changes or template.version == 0:
            template = publish_template(template)
        elif not template.is_published:
            touch(template, content=False, is_published=True, visibility="team")
        return render(attach_sections([template])[0])


def unpublish(team, template_id, render):
    """New runs are refused from now on; runs already started go on as they are."""
    with transaction():
        template = lock_template(team, template_id)
        if template.is_published:
            touch(template, content=False, is_published=False)
        return render(attach_sections([template])[0])


def versions_query(template):
    return (TemplateVersion
            .select(TemplateVersion.version, TemplateVersion.created_at,
                    TemplateVersion.task_count)
            .where(TemplateVersion.template == template))


def version_page(team, template_id, limit, cursor):
    """Newest first; the cursor is a version number of this template."""
    template = get_template(team, template_id)
    query = versions_query(template)
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) < 10 and
                query.where(TemplateVersion.version == int(cursor)).exists()):
            raise foreign_cursor()
        query = query.where(TemplateVersion.version < int(cursor))
    rows = list(query.order_by(TemplateVersion.version.desc()).limit(limit + 1).dicts())
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, {"next_cursor": str(rows[-1]["version"]) if rows else None,
                       "has_more": has_more})


def get_version(team, template_id, version):
    """One published snapshot as runs of that version copied it."""
    template = get_template(team, template_id)
    row = None
    if version.isascii() and version.isdigit() and len(version) < 10:
        row = (TemplateVersion.select()
               .where((TemplateVersion.template == template)
                      & (TemplateVersion.version == int(version))).first())
    if row is None:
        raise not_found("Process template version not found")
    return row


def version_body(row):
    """{version, created_at, snapshot}: what VersionSchema shows of a stored version, read
    through the one snapshot reader (models/snapshot.py), whatever its format."""
    return {"version": row.version, "created_at": row.created_at,
            "snapshot": read_snapshot(row.snapshot)}


