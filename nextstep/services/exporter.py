"""Exporting a template's working copy as a template file that `import-template` (and
`POST /process-templates`) reads back unchanged.

The file names sections and tasks with keys made from their positions (`section-1`,
`task-3`), so the same template exports the same bytes, and the export of an imported
export is the export itself. Ids, versions and publishing state are the server's and stay
out; an assignee is written as the member's email, as the format wants. A constant number
of queries whatever the number of tasks.
"""
import json
import re
import unicodedata

from ..models import Member, Section, TemplateTask
from ..schemas.exporter import ExportFileSchema
from .templates import attach_elements

file_schema = ExportFileSchema()
NOT_SLUG = re.compile(r"[^a-z0-9]+")


def section_key(index):
    return f"section-{index + 1}"


def task_key(index):
    return f"task-{index + 1}"


def template_file(template):
    """The file's data: a dict in the documented field order."""
    sections = list(Section.select().where(Section.template == template)
                    .order_by(Section.position, Section.id))
    tasks = attach_elements(list(TemplateTask.select().where(TemplateTask.template == template)
                                 .order_by(TemplateTask.position, TemplateTask.id)))
    section_keys = {row.id: section_key(i) for i, row in enumerate(sections)}
    task_keys = {row.id: task_key(i) for i, row in enumerate(tasks)}
    emails = _assignee_emails(tasks)
    return file_schema.dump({
        "title": template.title, "description": template.description,
        "cover_image": template.cover_image, "icon": template.icon,
        "icon_type": template.icon_type,
        "sections": [{"key": section_keys[row.id], "title": row.title,
                      "description": row.description, "color": row.color}
                     for row in sections],
        "tasks": [{"key": task_keys[row.id], "title": row.title,
                   "description": row.description, "section": section_keys.get(row.section_id),
                   "type": row.type, "is_essential": row.is_essential,
                   "webhook_enabled": row.webhook_enabled,
                   "assignee": emails.get(row.assignee_id),
                   "due_date": _rule(row.due_date, task_keys),
                   "depends_on": [_task_ref(i, task_keys) for i in row.depends_on or ()],
                   "custom_elements": [{"type": e.type, "label": e.label,
                                        "required": e.required, "options": e.options}
                                       for e in row.element_rows]}
                  for row in tasks],
    })


def export_text(template):
    """The file itself: JSON indented by two spaces, UTF-8 as written, a final newline."""
    return json.dumps(template_file(template), ensure_ascii=False, indent=2) + "\n"


def export_filename(template):
    """`<slug>.json`: the title in lowercase ASCII letters and digits joined by hyphens
    (accents dropped), `template.json` when nothing is left."""
    ascii_title = (unicodedata.normalize("NFKD", template.title)
                   .encode("ascii", "ignore").decode("ascii").lower())
    slug = NOT_SLUG.sub("-", ascii_title).strip("-")[:80].strip("-")
    return f"{slug or 'template'}.json"


def _assignee_emails(tasks):
    ids = {row.assignee_id for row in tasks if row.assignee_id is not None}
    if not ids:
        return {}
    return {member.id: member.email for member in
            Member.select(Member.id, Member.email).where(Member.id.in_(sorted(ids)))}


def _task_ref(task_id, task_keys):
    """The key of a task of the template. The authoring rules keep references inside the
    template; should one ever point elsewhere, the raw id is written, which an import
    refuses by name instead of the export quietly dropping it."""
    return task_keys.get(task_id, task_id)


def _rule(rule, task_keys):
    """A stored due-date rule in the file's words and key order; `task:<id>` becomes
    `task:<key>`."""
    if not rule:
        return None
    if rule["type"] == "fixed":
        return {"type": "fixed", "at": rule["at"]}
    origin = rule["from"]
    if origin.startswith("task:"):
        origin = "task:" + _task_ref(origin[5:], task_keys)
    return {"type": "relative", "from": origin, "offset": rule["offset"],
            "business_days": bool(rule.get("business_days", False))}
