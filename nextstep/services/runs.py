"""Starting runs from a template's latest published snapshot, and reading them back.

Starting is written for throughput: a handful of queries whatever the size of the
template (template, snapshot, one member lookup when needed, then run, tasks in one bulk
insert, event), and the answer is built from the rows in memory, never re-read. Every row
and statement is prepared before the write transaction begins.
"""
from peewee import IntegrityError, chunked

from ..db import execute, insert_statement, prepare, transaction
from ..errors import conflict, not_found, validation_error
from ..ids import new_id, utcnow
from ..models import Run, RunTask
from . import events
from .due_dates import initial_due
from .elements import (
    NO_ACTOR,
    NO_ELEMENT,
    SET_TWICE,
    clean_value,
    find_member,
    lookup_members,
    member_refs,
    run_element,
)
from .publishing import latest_snapshot
from .templates import get_template

INSERT_BATCH = 500  # rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter caps
RUN_NOT_FOUND = "Process run not found"
TASK_NOT_FOUND = "Process run task not found"


def start_run(team, data, render=None):
    """Start a run from `data` (loaded by RunStartSchema); returns `render(run)` (the Run
    itself by default), produced before the transaction commits."""
    template = get_template(team, data["template_id"])
    if template.archived_at is not None:
        raise conflict("template_archived",
                       "The process template is archived; unarchive it to start runs")
    snapshot = latest_snapshot(template) if template.is_published else None
    if snapshot is None:
        raise conflict("template_not_published",
                       "The process template is not published; publish it to start runs")
    elements, prefills, refs, errors = _match_prefills(snapshot["tasks"],
                                                       data.get("custom_elements"))
    actor_email = data.get("actor_email")
    members = lookup_members(team, refs + [actor_email])
    actor = None
    if actor_email is not None:
        actor = find_member(members, actor_email)
        if actor is None:
            errors["actor_email"] = [NO_ACTOR]
    for index, (element, value) in prefills.items():
        try:
            element["value"] = clean_value(element, value, members)
        except ValueError as error:
            errors[f"custom_elements.{index}.value"] = [str(error)]
    if errors:
        raise validation_error("The request body is not valid", errors)
    return _write_run(team, template, snapshot, elements, data, actor,
                      render or _itself)


def _match_prefills(snapshot_tasks, items):
    """Copy the snapshot's elements per template task and pair each pre-fill with its copy.

    Returns ({template task id: {element id: element dict}}, {index: (element dict, raw
    value)}, member refs, errors); a second pre-fill of one element is an error, not a
    silent overwrite.
    """
    elements = {task["id"]: {e["id"]: run_element(e) for e in task["custom_elements"]}
                for task in snapshot_tasks}
    matched, refs, errors, seen = {}, [], {}, set()
    for index, item in enumerate(items or []):
        task_elements = elements.get(item["task_id"])
        if task_elements is None:
            errors[f"custom_elements.{index}.task_id"] = [
                "No task with this id in the template's published version."]
            continue
        element = task_elements.get(item["element_id"])
        if element is None:
            errors[f"custom_elements.{index}.element_id"] = [NO_ELEMENT]
        elif (item["task_id"], item["element_id"]) in seen:
            errors[f"custom_elements.{index}.element_id"] = [SET_TWICE]
        else:
            seen.add((item["task_id"], item["element_id"]))
            matched[index] = (element, item["value"])
            refs += member_refs(element, item["value"])
    return elements, matched, refs, errors


def _write_run(team, template, snapshot, elements, data, actor, render):
    """Run, tasks and the created event in one transaction, which only runs statements
    prepared before it; the answer is rendered before it too, so an answer that cannot
    be produced leaves nothing written."""
    now = utcnow()
    run = Run(id=new_id(), team=team, template=template,
              template_version=snapshot["template"]["version"],
              title=data.get("title") or snapshot["template"]["title"], status="active",
              started_by=actor.id if actor else "api", timezone=team.timezone,
              due_date=data.get("due_date"), is_shared=False,
              sections=snapshot["template"]["sections"], created_at=now, updated_at=now,
              completed_at=None, revision=0)
    tasks = snapshot["tasks"]
    task_ids = {task["id"]: new_id() for task in tasks}
    rows = [_task_row(run, task, task_ids, list(elements[task["id"]].values()), now)
            for task in tasks]
    answer = render(run)
    statements = [prepare(Run.insert(run.__data__))]
    statements += [insert_statement(RunTask, batch) for batch in chunked(rows, INSERT_BATCH)]
    created = events.prepare(team.id, [events.run_created(run, events.person(actor),
                                                          len(rows), now)], now)
    try:
        with transaction():
            for statement in statements:
                execute(statement)
            events.record(created)
    except IntegrityError:
        # The template was deleted (DELETE /process-templates/:id) after it was read: the
        # run's foreign key finds no row. As if the request had come a moment later.
        raise not_found("Process template not found") from None
    return answer


def _itself(value):
    return value


def _task_row(run, task, task_ids, elements, now):
    due_date, due_rule = initial_due(task.get("due_date"), now, run.timezone, task_ids)
    return {"id": task_ids[task["id"]], "run": run.id, "template_task_id": task["id"],
            "title": task["title"], "description": task.get("description"),
            "position": task["order"], "section_id": task.get("section_id"),
            "type": task["type"], "is_essential": task["is_essential"],
            "webhook_enabled": task["webhook_enabled"], "assignee": task.get("assignee"),
            "due_date": due_date, "due_rule": due_rule,
            "depends_on": [task_ids[t] for t in task.get("depends_on") or [] if t in task_ids],
            "completed": False, "completed_at": None, "completed_by": None, "skipped": False,
            "approval": None, "custom_elements": elements,
            "created_at": now, "updated_at": now}


def get_run(team, run_id):
    run = run_or_none(team, run_id)
    if run is None:
        raise not_found(RUN_NOT_FOUND)
    return run


def run_or_none(team, run_id):
    return Run.get_or_none((Run.id == run_id) & (Run.team == team))


def runs_query(team, template_id=None, status=None):
    """The team's runs, optionally of one template and/or one status (order: the pager's)."""
    query = Run.select().where(Run.team == team)
    if template_id is not None:
        query = query.where(Run.template == template_id)
    if status is not None:
        query = query.where(Run.status == status)
    return query


def run_tasks_query(team, run_id):
    """Tasks of the team's run `run_id`, the team checked by a join: no separate run read."""
    return RunTask.select().join(Run).where((RunTask.run == run_id) & (Run.team == team))


def task_or_none(team, run_id, task_id):
    return run_tasks_query(team, run_id).where(RunTask.id == task_id).first()


def get_run_task(team, run_id, task_id):
    """One task of one of the team's runs, in one query (a second only to word a 404)."""
    task = task_or_none(team, run_id, task_id)
    if task is None:
        get_run(team, run_id)
        raise not_found(TASK_NOT_FOUND)
    return task
