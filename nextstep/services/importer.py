"""Importing a template file: check everything first, then write it all in one transaction.

A file names its sections and tasks with keys local to the file; the server gives every
row its own id, and rewrites references (`depends_on`, `task:<key>` due dates) to ids.
"""
import json

from marshmallow import ValidationError
from peewee import chunked

from ..client_input import MAX_DEPTH, TooDeep, check_data, loads_text, printable
from ..db import transaction
from ..due_rules import counting_from, origin_task
from ..errors import APIError, not_found
from ..ids import new_id, utcnow
from ..models import CustomElement, Member, Section, Template, TemplateTask
from ..schemas.importer import TOP_LEVEL, TemplateFileSchema, error_paths, path_order
from ..statements import execute, insert_statement, prepare
from .publishing import publish_template

INSERT_BATCH = 200  # rows per INSERT: under SQLite's and PostgreSQL's bound-parameter caps
JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number",
              float: "a number", bool: "a boolean", type(None): "null"}
TEMPLATE_FIELDS = ("title", "description", "cover_image", "icon", "icon_type")


class TemplateImportError(APIError):
    """Every fault found in a file, as (path, message) pairs; nothing was written."""

    def __init__(self, errors):
        details = {}
        for path, message in errors:
            details.setdefault(path, []).append(message)
        super().__init__(422, "validation_error", "The template file is not valid", details)
        self.errors = list(errors)


def parse_template_json(text):
    """JSON text to data; a syntax error, a repeated field in an object, nesting deeper
    than 64 levels or a string with NUL or an unpaired surrogate is a fault."""
    def no_repeats(pairs):
        seen = set()
        for name, _value in pairs:
            if name in seen:
                raise TemplateImportError([(TOP_LEVEL, f'Field "{printable(name)}" appears '
                                                       f"twice in one object.")])
            seen.add(name)
        return dict(pairs)
    try:
        data = loads_text(text, object_pairs_hook=no_repeats)
        faults = check_data(data)
    except TooDeep:
        raise TemplateImportError([(TOP_LEVEL, f"Nested deeper than {MAX_DEPTH} "
                                               "levels.")]) from None
    except json.JSONDecodeError as error:
        raise TemplateImportError([(TOP_LEVEL, f"Not valid JSON: {error.msg} at line "
                                               f"{error.lineno}, column {error.colno}.")]) from None
    if faults:
        raise TemplateImportError(sorted(((path or TOP_LEVEL, message)
                                          for path, message in faults), key=path_order))
    return data


def read_template_file(file):
    """The data of an open text file; undecodable bytes are a fault, like bad JSON."""
    try:
        text = file.read()
    except UnicodeDecodeError:
        raise TemplateImportError([(TOP_LEVEL, "Not UTF-8 text.")]) from None
    return parse_template_json(text)


def import_template(team, data, publish=False, template=None):
    """Create a template of `team` from file data, or replace `template`'s draft content.

    Replacing keeps the template's id, version and published snapshots: runs copy a
    snapshot, so they never change; `publish=True` takes the next snapshot.
    """
    if not isinstance(data, dict):
        kind = JSON_TYPES.get(type(data), type(data).__name__)
        raise TemplateImportError([(TOP_LEVEL, f"Must be a JSON object, not {kind}.")])
    if template is not None and template.team_id != team.id:
        raise not_found("Process template not found")
    try:
        content = TemplateFileSchema().load(data)
    except ValidationError as error:
        raise TemplateImportError(error_paths(error.messages)) from None
    members = check_references(team, content)
    plan = plan_template(team, content, members, template)
    with transaction():
        template = write_template(plan)
        if publish:
            template = publish_template(template)
    return template


def _keys(items, path, what, errors):
    """{key: index} of the items that have a key; a repeated key is a fault."""
    found = {}
    for index, item in enumerate(items):
        key = item.get("key")
        if key is None:
            continue
        if key in found:
            errors.append((f"{path}.{index}.key", f'Duplicate {what} key "{key}".'))
        else:
            found[key] = index
    return found


def check_references(team, content):
    """Check keys, references and assignees; returns {email: Member} or raises."""
    errors = []
    tasks = content["tasks"]
    sections = _keys(content["sections"], "sections", "section", errors)
    task_index = _keys(tasks, "tasks", "task", errors)
    for i, task in enumerate(tasks):
        path = f"tasks.{i}"
        _keys(task["custom_elements"], f"{path}.custom_elements", "element", errors)
        if task["section"] is not None and task["section"] not in sections:
            errors.append((f"{path}.section", f'Unknown section key "{task["section"]}".'))
        for j, key in enumerate(task["depends_on"]):
            if key not in task_index:
                errors.append((f"{path}.depends_on.{j}", f'Unknown task key "{key}".'))
            elif task_index[key] == i:
                errors.append((f"{path}.depends_on.{j}", "A task cannot depend on itself."))
            elif key in task["depends_on"][:j]:
                errors.append((f"{path}.depends_on.{j}", f'Task key "{key}" appears twice.'))
        rule = task["due_date"]
        key = origin_task(rule)
        if key is not None:
            if key not in task_index:
                errors.append((f"{path}.due_date.from", f'Unknown task key "{key}".'))
            elif task_index[key] == i:
                errors.append((f"{path}.due_date.from",
                               "A due date cannot be relative to its own task."))
    members = _assignees(team, tasks, errors)
    errors.extend(find_cycles(tasks, task_index))
    errors.extend(find_cycles(tasks, task_index, due_date_origin, "due_date.from",
                              "Due date cycle"))
    if errors:
        raise TemplateImportError(sorted(errors, key=path_order))
    return members


def _assignees(team, tasks, errors):
    """{email: Member} of the assignees; one that is not an active member is a fault."""
    emails = {task["assignee"].strip().lower() for task in tasks
              if task["assignee"] is not None}
    members = {}
    if emails:
        rows = Member.select().where((Member.team == team) & Member.email.in_(list(emails))
                                     & Member.is_active)
        members = {member.email: member for member in rows}
    for i, task in enumerate(tasks):
        if task["assignee"] is not None and task["assignee"].strip().lower() not in members:
            errors.append((f"tasks.{i}.assignee",
                           f'"{task["assignee"]}" is not an active member of this team.'))
    return members


def due_date_origin(task):
    """[the task key or id a due date counts from], or [] for none or the run start."""
    origin = origin_task(task["due_date"])
    return [] if origin is None else [origin]


def find_cycles(tasks, task_index, refs=lambda task: task["depends_on"], field="depends_on",
            what="Dependency cycle"):
    """One fault per cycle of `refs` (dependencies, or what due dates count from), at the
    cycle's first task in file order.

    Unknown and self references are reported elsewhere and skipped here. Depth-first
    without recursion, so a long chain of tasks cannot exhaust the stack.
    """
    needs = [[task_index[key] for key in refs(task) if task_index.get(key, i) != i]
             for i, task in enumerate(tasks)]
    state, faults = {}, {}
    for root in range(len(tasks)):
        if root in state:
            continue
        path, pending = [root], [iter(needs[root])]
        state[root] = "open"
        while path:
            j = next(pending[-1], None)
            if j is None:
                state[path.pop()] = "done"
                pending.pop()
            elif state.get(j) == "open":
                cycle = path[path.index(j):]
                start = cycle.index(min(cycle))
                cycle = cycle[start:] + cycle[:start]
                names = " -> ".join(tasks[k]["key"] for k in cycle + [cycle[0]])
                faults.setdefault(cycle[0], f"{what}: {names}.")
            elif j not in state:
                state[j] = "open"
                path.append(j)
                pending.append(iter(needs[j]))
    return [(f"tasks.{i}.{field}", faults[i]) for i in sorted(faults)]


def plan_template(team, content, members, template=None):
    """Every row of the checked content and the statements that write them, prepared
    before the write transaction; ids are drawn first so references can name them.
    `template` is the one whose draft content is replaced, or None for a new one."""
    now = utcnow()
    fields = {name: content[name] for name in TEMPLATE_FIELDS}
    if template is None:
        row = Template(id=new_id(), team=team, created_at=now, updated_at=now, **fields)
        head = [prepare(Template.insert(row.__data__))]
    else:
        row = Template(**dict(template.__data__, updated_at=now, has_unpublished_changes=True,
                              **fields))
        task_ids = TemplateTask.select(TemplateTask.id).where(TemplateTask.template == row.id)
        head = [prepare(CustomElement.delete().where(CustomElement.task.in_(task_ids))),
                prepare(TemplateTask.delete().where(TemplateTask.template == row.id)),
                prepare(Section.delete().where(Section.template == row.id)),
                prepare(Template.update(updated_at=now, has_unpublished_changes=True, **fields)
                        .where(Template.id == row.id))]
    sections = [{"id": new_id(), "template": row.id, "title": spec["title"],
                 "description": spec["description"], "position": position,
                 "color": spec["color"]} for position, spec in enumerate(content["sections"])]
    section_ids = {spec["key"]: sections[i]["id"] for i, spec in enumerate(content["sections"])
                   if spec.get("key") is not None}
    tasks = content["tasks"]
    ids = [new_id() for _ in tasks]
    task_ids = {task["key"]: ids[i] for i, task in enumerate(tasks) if task.get("key")}
    task_rows, element_rows = [], []
    for position, spec in enumerate(tasks):
        rule = spec["due_date"]
        if origin_task(rule) is not None:
            rule = counting_from(rule, task_ids[origin_task(rule)])
        assignee = (members[spec["assignee"].strip().lower()].id
                    if spec["assignee"] is not None else None)
        task_rows.append({
            "id": ids[position], "template": row.id, "section": section_ids.get(spec["section"]),
            "title": spec["title"], "description": spec["description"], "position": position,
            "type": spec["type"], "is_essential": spec["is_essential"],
            "webhook_enabled": spec["webhook_enabled"], "assignee": assignee,
            "due_date": rule, "depends_on": [task_ids[key] for key in spec["depends_on"]],
            "created_at": now, "updated_at": now})
        element_rows += [{"id": new_id(), "task": ids[position], "type": element["type"],
                          "label": element["label"], "required": element["required"],
                          "options": element["options"], "position": index}
                         for index, element in enumerate(spec["custom_elements"])]
    statements = head + [insert_statement(model, batch)
                         for model, rows in ((Section, sections), (TemplateTask, task_rows),
                                             (CustomElement, element_rows))
                         for batch in chunked(rows, INSERT_BATCH)]
    row.section_rows = [Section(**section) for section in sections]
    return row, statements


def write_template(plan):
    """Run a plan's statements (inside the caller's transaction); the Template, with its
    `section_rows` set."""
    template, statements = plan
    for statement in statements:
        execute(statement)
    return template
