"""Tasks of a template's working copy, with their elements (contract §10).

A task names other rows by id: its section, the tasks it depends on, the task its due
date counts from. They are checked with the import's rules against the template as it is
inside the write transaction, after the template row is locked, so a dependency another
admin deletes at the same moment cannot be left dangling.
"""
from ..db import transaction
from ..errors import conflict, not_found
from ..ids import new_id, utcnow
from ..models import CustomElement, Section, TemplateTask
from ..schemas.authoring import TaskBodySchema
from . import positions
from .authoring import invalid, load, lock_template, touch
from .importer import due_date_origin, find_cycles
from .members import lookup_members, member_named
from .templates import attach_elements, get_template

TASK_FIELDS = ("title", "description", "section_id", "type", "is_essential",
               "webhook_enabled", "assignee", "due_date", "depends_on")
ELEMENT_FIELDS = ("type", "label", "required", "options")
task_schema = TaskBodySchema()


def _task(template, task_id):
    task = TemplateTask.get_or_none((TemplateTask.id == task_id)
                                    & (TemplateTask.template == template))
    if task is None:
        raise not_found("Process template task not found")
    return task


def get_template_task(team, template_id, task_id):
    return attach_elements([_task(get_template(team, template_id), task_id)])[0]


def _as_spec(task):
    """A stored task in the shape a request body loads to (assignee as user id)."""
    return {"title": task.title, "description": task.description,
            "section_id": task.section_id, "type": task.type,
            "is_essential": task.is_essential, "webhook_enabled": task.webhook_enabled,
            "assignee": task.assignee_id, "due_date": task.due_date,
            "depends_on": list(task.depends_on or [])}


def _check(template, task_id, spec, members, elements_now):
    """Every fault of `spec` (the task as it would be) against the rest of the template,
    by path. A given assignee is resolved to a user id in place; `members` is None when
    the assignee was not given (a PATCH of other fields keeps the one it has)."""
    errors = []
    others = {row["id"]: row for row in TemplateTask.select(
        TemplateTask.id, TemplateTask.depends_on, TemplateTask.due_date)
        .where((TemplateTask.template == template) & (TemplateTask.id != task_id)).dicts()}
    section = spec["section_id"]
    if section is not None and not Section.select().where(
            (Section.id == section) & (Section.template == template)).exists():
        errors.append(("section_id", f'Unknown section id "{section}".'))
    for j, ref in enumerate(spec["depends_on"]):
        if ref == task_id:
            errors.append((f"depends_on.{j}", "A task cannot depend on itself."))
        elif ref not in others:
            errors.append((f"depends_on.{j}", f'Unknown task id "{ref}".'))
        elif ref in spec["depends_on"][:j]:
            errors.append((f"depends_on.{j}", f'Task id "{ref}" appears twice.'))
    for ref in due_date_origin(spec):
        if ref == task_id:
            errors.append(("due_date.from", "A due date cannot be relative to its own task."))
        elif ref not in others:
            errors.append(("due_date.from", f'Unknown task id "{ref}".'))
    if members is not None and spec["assignee"] is not None:
        member = member_named(members, spec["assignee"])
        if member is None:
            errors.append(("assignee", f'"{spec["assignee"]}" is not an active member of '
                                       "this team."))
        else:
            spec["assignee"] = member.id
    errors.extend(_element_ids(spec.get("custom_elements"), elements_now))
    if not errors:  # the rest had no cycle, so any new one runs through this task
        graph = [dict(spec, key=task_id)] + [
            {"key": id_, "depends_on": row["depends_on"] or [], "due_date": row["due_date"]}
            for id_, row in others.items()]
        index = {item["key"]: i for i, item in enumerate(graph)}
        for path, message in (find_cycles(graph, index)
                              + find_cycles(graph, index, due_date_origin, "due_date.from",
                                        "Due date cycle")):
            if path.startswith("tasks.0."):
                errors.append((path[len("tasks.0."):], message))
    if errors:
        details = {}
        for path, message in errors:
            details.setdefault(path, []).append(message)
        raise invalid(details)


def _element_ids(elements, elements_now):
    """An element given with an `id` must be one of this task's own, once."""
    errors, seen = [], set()
    for i, element in enumerate(elements or []):
        if "id" not in element:
            continue
        if element["id"] not in elements_now:
            errors.append((f"custom_elements.{i}.id", "No element with this id on this task."))
        elif element["id"] in seen:
            errors.append((f"custom_elements.{i}.id", f'Element id "{element["id"]}" '
                                                      "appears twice."))
        seen.add(element["id"])
    return errors


def _element_rows(task_id, elements):
    return [CustomElement(id=element.get("id") or new_id(), task=task_id, position=i,
                          **{name: element[name] for name in ELEMENT_FIELDS})
            for i, element in enumerate(elements)]


def _write_elements(task_id, rows):
    CustomElement.delete().where(CustomElement.task == task_id).execute()
    if rows:
        CustomElement.insert_many([{"task": task_id, **row.__data__} for row in rows]).execute()


def create_task(team, template_id, data, render):
    spec = load(task_schema, data)
    members = lookup_members(team, [spec["assignee"]])
    now = utcnow()
    task_id = new_id()
    with transaction():
        template = lock_template(team, template_id)
        _check(template, task_id, spec, members, {})
        task = TemplateTask(id=task_id, template=template.id, created_at=now, updated_at=now,
                            **{name: spec[name] for name in TASK_FIELDS})
        task.position = positions.make_room(TemplateTask, template.id, spec.get("order"),
                                            "tasks")
        task.save(force_insert=True)
        task.element_rows = _element_rows(task_id, spec["custom_elements"])
        _write_elements(task_id, task.element_rows)
        touch(template)
        return render(task)


def patch_task(team, template_id, task_id, data, render):
    """Only the fields given change; `custom_elements`, when given, is the whole list."""
    changes = load(task_schema, data, partial=True)
    members = lookup_members(team, [changes["assignee"]]) if "assignee" in changes else None
    with transaction():
        template = lock_template(team, template_id)
        task = attach_elements([_task(template, task_id)])[0]
        current = _as_spec(task)
        spec = dict(current, **{name: changes[name] for name in TASK_FIELDS if name in changes})
        spec["custom_elements"] = changes.get("custom_elements")
        _check(template, task.id, spec, members, {e.id for e in task.element_rows})
        updates = {name: spec[name] for name in TASK_FIELDS if spec[name] != current[name]}
        changed = bool(updates)
        if "order" in changes and changes["order"] != task.position:
            positions.move(TemplateTask, template.id, task.id, task.position,
                           changes["order"], "tasks")
            task.position, changed = changes["order"], True
        elif "order" in changes:
            positions.check_order(changes["order"],
                                  positions.count(TemplateTask, template.id) - 1, "tasks")
        if spec["custom_elements"] is not None:
            rows = _element_rows(task.id, spec["custom_elements"])
            if _elements_differ(rows, task.element_rows):
                _write_elements(task.id, rows)
                task.element_rows, changed = rows, True
        if changed:
            updates["updated_at"] = utcnow()
            TemplateTask.update(**updates).where(TemplateTask.id == task.id).execute()
            for name, value in _attributes(updates).items():
                setattr(task, name, value)
            touch(template)
        return render(task)


def _attributes(updates):
    """The model attributes of `updates`: foreign keys given as ids go to `<name>_id`."""
    return {(f"{name}_id" if name in ("assignee", "section") else name): value
            for name, value in updates.items()}


def _elements_differ(rows, current):
    def shape(row):
        return (row.id, row.position, *(getattr(row, name) for name in ELEMENT_FIELDS))
    return [shape(row) for row in rows] != [shape(row) for row in current]


def delete_task(team, template_id, task_id):
    """Refused while another task depends on it or counts its due date from it."""
    with transaction():
        template = lock_template(team, template_id)
        task = _task(template, task_id)
        others = (TemplateTask.select(TemplateTask.id, TemplateTask.depends_on,
                                      TemplateTask.due_date)
                  .where((TemplateTask.template == template) & (TemplateTask.id != task.id)))
        if any(task.id in (row.depends_on or []) or
               due_date_origin({"due_date": row.due_date}) == [task.id] for row in others):
            raise conflict("task_has_dependents", "Another task depends on this task or "
                                                  "counts its due date from it")
        CustomElement.delete().where(CustomElement.task == task.id).execute()
        TemplateTask.delete().where(TemplateTask.id == task.id).execute()
        positions.close_gap(TemplateTask, template.id, task.position)
        touch(template)
