"""Starting runs from a template's latest published snapshot, and reading them back.

Starting is written for throughput: a handful of queries whatever the size of the
template (template, the snapshot on a version's first start only, one member lookup when
needed, then run, tasks in one bulk insert, event), and the answer is built from the rows
in memory, never re-read. Every row and statement is prepared before the write
transaction begins.
"""
from peewee import IntegrityError, chunked

from ..db import transaction
from ..errors import APIError, conflict, not_found, validation_error
from ..ids import new_id, utcnow
from ..models import Run, RunTask
from ..statements import PreparedQuery, execute, insert_statement
from . import events
from .due_dates import initial_due
from .elements import NO_ELEMENT, Unmatched, pair_items, pair_refs, run_element, set_values
from .members import actor_of, lookup_members
from .pagination import BY_POSITION, NEWEST_FIRST, Pager
from .publishing import published_snapshot
from .templates import get_template

INSERT_BATCH = 500  # rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter caps
RUN_NOT_FOUND = "Process run not found"
TASK_NOT_FOUND = "Process run task not found"
NO_TASK = "No task with this id in the template's published version."


def start_run(team, data, render=None):
    """Start a run from `data` (loaded by RunStartSchema); returns `render(run)` (the Run
    itself by default), produced before the transaction commits."""
    template = get_template(team, data["template_id"])
    if template.archived_at is not None:
        raise conflict("template_archived",
                       "The process template is archived; unarchive it to start runs")
    snapshot = published_snapshot(template)
    if snapshot is None:
        raise conflict("template_not_published",
                       "The process template is not published; publish it to start runs")
    elements = {task.id: {e["id"]: run_element(e) for e in task.elements}
                for task in snapshot.tasks}
    prefills, errors = pair_items(data.get("custom_elements"), _in_snapshot(elements))
    actor_email = data.get("actor_email")
    members = lookup_members(team, pair_refs(prefills) + [actor_email])
    actor, actor_errors = actor_of(members, actor_email)
    errors.update(actor_errors)
    errors.update(set_values(prefills, members))
    if errors:
        raise validation_error("The request body is not valid", errors)
    return _write_run(team, template, snapshot, elements, data, actor,
                      render or _itself)


def _in_snapshot(elements):
    """A `find` for pair_items: pre-fills name a task of the snapshot, then its element.
    `elements` holds the run's own copies, {template task id: {element id: element}}."""
    def find(item):
        task_elements = elements.get(item["task_id"])
        if task_elements is None:
            raise Unmatched("task_id", NO_TASK)
        element = task_elements.get(item["element_id"])
        if element is None:
            raise Unmatched("element_id", NO_ELEMENT)
        return (item["task_id"], item["element_id"]), element
    return find


def _write_run(team, template, snapshot, elements, data, actor, render):
    """Run, tasks and the created event in one transaction, which only runs statements
    prepared before it; the answer is rendered before it too, so an answer that cannot
    be produced leaves nothing written."""
    now = utcnow()
    run = Run(id=new_id(), team=team, template=template,
              template_version=snapshot.version,
              title=data.get("title") or snapshot.title, status="active",
              started_by=actor.id if actor else "api", timezone=team.timezone,
              due_date=data.get("due_date"), is_shared=False,
              sections=_run_sections(snapshot), created_at=now, updated_at=now,
              completed_at=None, revision=0)
    tasks = snapshot.tasks
    task_ids = {task.id: new_id() for task in tasks}
    rows = [_task_row(run, task, task_ids, list(elements[task.id].values()), now)
            for task in tasks]
    answer = render(run)
    statements = [insert_statement(Run, [run.__data__])]
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


def _run_sections(snapshot):
    """The sections as a run stores them (Run.sections): {id, title, description, order,
    color} each, by position."""
    return [{"id": s.id, "title": s.title, "description": s.description,
             "order": s.position, "color": s.color} for s in snapshot.sections]


def _task_row(run, task, task_ids, elements, now):
    """The run task row of snapshot task `task` (a SnapshotTask)."""
    due_date, due_rule = initial_due(task.due_date, now, run.timezone, task_ids)
    return {"id": task_ids[task.id], "run": run.id, "template_task_id": task.id,
            "title": task.title, "description": task.description,
            "position": task.position, "section_id": task.section_id,
            "type": task.type, "is_essential": task.is_essential,
            "webhook_enabled": task.webhook_enabled, "assignee": task.assignee_id,
            "due_date": due_date, "due_rule": due_rule,
            "depends_on": [task_ids[t] for t in task.depends_on if t in task_ids],
            "completed": False, "completed_at": None, "completed_by": None, "skipped": False,
            "approval": None, "custom_elements": elements,
            "created_at": now, "updated_at": now}


def get_run(team, run_id):
    run = run_or_none(team, run_id)
    if run is None:
        raise not_found(RUN_NOT_FOUND)
    return run


RUN_OF_TEAM = PreparedQuery(lambda run_id, team_id: (
    Run.select().where((Run.id == run_id) & (Run.team == team_id)).limit(1).offset(0)),
    arity=2)


def run_or_none(team, run_id):
    return RUN_OF_TEAM.first(run_id, team.id)


RUNS = Pager(lambda team_id: Run.select().where(Run.team == team_id), NEWEST_FIRST,
             filters={"template_id": lambda template_id: Run.template == template_id,
                      "status": lambda status: Run.status == status})
RUN_TASKS = Pager(lambda team_id, run_id: run_tasks_query(team_id, run_id).dicts(),
                  BY_POSITION)  # rows as dicts: a third cheaper than models


def runs_page(team, limit, cursor, template_id=None, status=None):
    """A page of the team's runs, newest first, optionally of one template and/or one
    status; a cursor is any of the team's runs, whatever the filters."""
    return RUNS.page([team.id], cursor, limit, template_id=template_id, status=status)


def run_tasks_page(team, run_id, limit, cursor):
    """A page of a run's tasks by position, as dicts.

    404 when the run is not the team's, 400 for a cursor that is no task of this run. The
    run itself is read only when the answer may be a 404: the page's query checks the
    team by a join, so only a foreign cursor or an empty page needs to know whether the
    run is there.
    """
    try:
        page = RUN_TASKS.page([team.id, run_id], cursor, limit)
    except APIError:
        get_run(team, run_id)
        raise
    if not page.items:
        get_run(team, run_id)
    return page


def run_tasks_query(team, run_id):
    """Tasks of the team's run `run_id`, the team checked by a join: no separate run read
    (`team` a Team or its id)."""
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
