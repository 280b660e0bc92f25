"""The stored form of a published template version: `TemplateVersion.snapshot`.

A snapshot is storage, not an API answer: its keys are the model columns' names, and its
`snapshot_format` number says which layout a stored one has, so the API's shapes can
change without changing what is stored, and what was stored stays readable.
`build_snapshot` writes the current format; `read_snapshot`, the only reader, reads every
format ever written into the same frozen objects (docs/decisions.md, "Template snapshots").

Format 2 (the current one):
    {"snapshot_format": 2,
     "template": {"id", "version", "title", "description", "cover_image", "icon",
                  "icon_type"},
     "sections": [{"id", "title", "description", "position", "color"}, ...],
     "tasks": [{"id", "title", "description", "position", "section_id", "type",
                "is_essential", "webhook_enabled", "assignee_id", "due_date",
                "depends_on", "custom_elements": [{"id", "type", "label", "required",
                                                   "options"}, ...]}, ...]}
    Sections, tasks and elements are listed by position.
Format 1 (no `snapshot_format` key; written before it existed): the template and its
tasks as the API showed them then, {"template": {..., "sections": [{..., "order"}]},
"tasks": [{..., "order", "assignee", "custom_elements": [{..., "display_only"}]}]}.
"""
from dataclasses import dataclass
from types import MappingProxyType

from .template import CustomElement, Section, TemplateTask

SNAPSHOT_FORMAT = 2
ELEMENT_FIELDS = ("id", "type", "label", "required", "options")


class UnknownSnapshotFormat(ValueError):
    """A snapshot written by a newer NextStep than this one."""


@dataclass(frozen=True, slots=True)
class SnapshotSection:
    id: str
    title: str
    description: str | None
    position: int
    color: str | None


@dataclass(frozen=True, slots=True)
class SnapshotTask:
    """`due_date` is the template task's rule (a read-only mapping) or None; each of
    `elements` is a read-only mapping with the keys of ELEMENT_FIELDS."""

    id: str
    title: str
    description: str | None
    position: int
    section_id: str | None
    type: str
    is_essential: bool
    webhook_enabled: bool
    assignee_id: str | None
    due_date: MappingProxyType | None
    depends_on: tuple
    elements: tuple


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A published version as read, whatever format stored it. Frozen all the way down,
    so one read may be shared by every run started from it (services/publishing.py)."""

    format: int
    template_id: str
    version: int
    title: str
    description: str | None
    cover_image: str | None
    icon: str | None
    icon_type: str | None
    sections: tuple
    tasks: tuple


def build_snapshot(template):
    """The stored snapshot (format 2) of `template`'s current content, in three queries."""
    sections = (Section.select().where(Section.template == template)
                .order_by(Section.position, Section.id))
    tasks = list(TemplateTask.select().where(TemplateTask.template == template)
                 .order_by(TemplateTask.position, TemplateTask.id))
    elements = {}
    if tasks:
        for element in (CustomElement.select()
                        .where(CustomElement.task.in_([task.id for task in tasks]))
                        .order_by(CustomElement.task, CustomElement.position)):
            elements.setdefault(element.task_id, []).append(
                {name: getattr(element, name) for name in ELEMENT_FIELDS})
    return {
        "snapshot_format": SNAPSHOT_FORMAT,
        "template": {"id": template.id, "version": template.version, "title": template.title,
                     "description": template.description, "cover_image": template.cover_image,
                     "icon": template.icon, "icon_type": template.icon_type},
        "sections": [{"id": s.id, "title": s.title, "description": s.description,
                      "position": s.position, "color": s.color} for s in sections],
        "tasks": [{"id": t.id, "title": t.title, "description": t.description,
                   "position": t.position, "section_id": t.section_id, "type": t.type,
                   "is_essential": t.is_essential, "webhook_enabled": t.webhook_enabled,
                   "assignee_id": t.assignee_id, "due_date": t.due_date,
                   "depends_on": t.depends_on or [], "custom_elements": elements.get(t.id, [])}
                  for t in tasks]}


def read_snapshot(stored):
    """The Snapshot a stored snapshot (decoded JSON) holds, in any format written so far."""
    number = stored.get("snapshot_format", 1)
    if number == 2:
        return _read(stored, stored["template"], stored["sections"], _FORMAT_2)
    if number == 1:
        return _read(stored, stored["template"], stored["template"].get("sections") or [],
                     _FORMAT_1)
    raise UnknownSnapshotFormat(f"Template snapshot format {number!r} is not one this "
                                f"NextStep reads (it reads 1 and 2); upgrade NextStep.")


# Where each format keeps what differs: the position and the assignee.
_FORMAT_1 = {"format": 1, "position": "order", "assignee": "assignee"}
_FORMAT_2 = {"format": 2, "position": "position", "assignee": "assignee_id"}


def _read(stored, template, sections, names):
    position = names["position"]
    return Snapshot(
        format=names["format"], template_id=template["id"], version=template["version"],
        title=template["title"], description=template.get("description"),
        cover_image=template.get("cover_image"), icon=template.get("icon"),
        icon_type=template.get("icon_type"),
        sections=tuple(SnapshotSection(id=s["id"], title=s["title"],
                                       description=s.get("description"),
                                       position=s.get(position), color=s.get("color"))
                       for s in sections),
        tasks=tuple(_task(task, position, names["assignee"]) for task in stored["tasks"]))


def _task(task, position, assignee):
    rule = task.get("due_date")
    return SnapshotTask(
        id=task["id"], title=task["title"], description=task.get("description"),
        position=task[position], section_id=task.get("section_id"), type=task["type"],
        is_essential=task["is_essential"], webhook_enabled=task["webhook_enabled"],
        assignee_id=task.get(assignee), due_date=MappingProxyType(dict(rule)) if rule else None,
        depends_on=tuple(task.get("depends_on") or ()),
        elements=tuple(_element(element) for element in task["custom_elements"]))


def _element(element):
    """Format 1 kept `display_only` too; it is the element's type's (models/template.py)."""
    options = element.get("options")
    return MappingProxyType({
        "id": element["id"], "type": element["type"], "label": element.get("label"),
        "required": element.get("required"),
        "options": tuple(options) if isinstance(options, list) else options})
