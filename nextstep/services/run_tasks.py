"""PATCH of a run task: every rule checked before anything is written, one transaction.

The run row is re-read inside the transaction (and locked with FOR UPDATE where the
database has it; SQLite's BEGIN IMMEDIATE already serialises writers), so two PATCHes on
one run see each other's work: blocked checks and run completion stay exact.
"""
import copy

from ..db import is_sqlite, transaction
from ..errors import APIError, conflict, not_found, validation_error
from ..ids import format_timestamp, utcnow
from ..models import Run, RunTask
from . import events
from .due_dates import resolve_rule, waits_on
from .elements import (
    NO_ACTOR,
    NO_ELEMENT,
    NOT_MEMBER,
    SET_TWICE,
    clean_value,
    find_member,
    lookup_members,
    member_refs,
    missing_required,
)
from .runs import RUN_NOT_FOUND, TASK_NOT_FOUND


def update_task(team, run_id, task_id, changes):
    """Apply `changes` (loaded by RunTaskPatchSchema); returns the task as it now is."""
    with transaction():
        query = Run.select().where((Run.id == run_id) & (Run.team == team))
        run = (query if is_sqlite() else query.for_update()).first()
        if run is None:
            raise not_found(RUN_NOT_FOUND)
        task = RunTask.get_or_none((RunTask.id == task_id) & (RunTask.run == run.id))
        if task is None:
            raise not_found(TASK_NOT_FOUND)
        if run.status == "completed":
            raise conflict("run_completed", "The process run is completed; its tasks cannot change")
        if not changes:
            return task
        now = utcnow()
        actor, values = _plan(team, task, changes, now)
        if not values:
            return task
        completing = values.get("completed") is True
        finishing = (("completed" in values or "skipped" in values)
                     and (values.get("completed", task.completed)
                          or values.get("skipped", task.skipped)))
        others = _other_tasks(task) if finishing else []
        if completing:
            _check_not_blocked(task, others)
        values["updated_at"] = now
        RunTask.update(**values).where(RunTask.id == task.id).execute()
        for name, value in values.items():
            setattr(task, name, value)
        pending = []
        if completing:
            _resolve_waiting(task, others, run.timezone, now)
            if task.webhook_enabled:
                pending.append(events.step_completed(task, events.person(actor), now))
        if finishing and all(other.completed or other.skipped for other in others):
            if _complete_run(run, now):
                pending.append(events.run_completed(run, events.starter_of(run), now))
        else:
            Run.update(updated_at=now).where(Run.id == run.id).execute()
        events.record(events.prepare(team.id, pending, now))
    return task


def _plan(team, task, changes, now):
    """(actor, {field: new value}) with only the fields that really change; or 422."""
    elements = copy.deepcopy(task.custom_elements)
    by_id = {element["id"]: element for element in elements}
    items = changes.get("custom_elements") or []
    refs = [changes.get("actor_email"), changes.get("assignee")]
    for item in items:
        if item["element_id"] in by_id:
            refs += member_refs(by_id[item["element_id"]], item["value"])
    members = lookup_members(team, refs)
    errors, values, actor = {}, {}, None
    if changes.get("actor_email") is not None:
        actor = find_member(members, changes["actor_email"])
        if actor is None:
            errors["actor_email"] = [NO_ACTOR]
    if "assignee" in changes:
        assignee = changes["assignee"]
        member = find_member(members, assignee)
        if assignee is not None and member is None:
            errors["assignee"] = [NOT_MEMBER]
        elif (member.id if member else None) != task.assignee:
            values["assignee"] = member.id if member else None
    _apply_elements(items, by_id, members, errors)
    completed, skipped = _target_state(task, changes, errors)
    if completed and (completed != task.completed or elements != task.custom_elements):
        errors.update(missing_required(elements))
    if errors:
        raise validation_error("The request body is not valid", errors)
    if elements != task.custom_elements:
        values["custom_elements"] = elements
    if skipped != task.skipped:
        values["skipped"] = skipped
    if completed != task.completed:
        values.update(completed=completed, completed_at=now if completed else None,
                      completed_by=(actor.id if actor else "api") if completed else None)
    if changes.get("approval") is not None:
        values["approval"] = {"status": changes["approval"]["status"],
                              "comment": changes["approval"].get("comment"),
                              "by": actor.id if actor else "api", "at": format_timestamp(now)}
    return actor, values


def _apply_elements(items, by_id, members, errors):
    """Set each item's value on the task's element copies, collecting per-item errors."""
    seen = set()
    for index, item in enumerate(items):
        element = by_id.get(item["element_id"])
        if element is None:
            errors[f"custom_elements.{index}.element_id"] = [NO_ELEMENT]
            continue
        if item["element_id"] in seen:
            errors[f"custom_elements.{index}.element_id"] = [SET_TWICE]
            continue
        seen.add(item["element_id"])
        try:
            element["value"] = clean_value(element, item["value"], members)
        except ValueError as error:
            errors[f"custom_elements.{index}.value"] = [str(error)]


def _target_state(task, changes, errors):
    """(completed, skipped) after the PATCH; completed and skipped exclude each other."""
    completed, skipped = changes.get("completed"), changes.get("skipped")
    approval = changes.get("approval")
    if approval is not None:
        if task.type != "approval":
            errors["approval"] = ["Only approval tasks take an approval."]
        else:
            approved = approval["status"] == "approved"
            if completed is not None and completed != approved:
                errors["completed"] = [f"Contradicts the approval status {approval['status']}."]
            if skipped:
                errors["skipped"] = ["An approval cannot be given while skipping the task."]
            completed, skipped = approved, False  # the decision, not a skip, sets the state
    elif completed is not None and task.type == "approval":
        errors["completed"] = ["An approval task is completed by approving it and reopened by "
                               "rejecting it: send approval instead."]
    if completed and skipped:
        errors["skipped"] = ["A task cannot be completed and skipped at once."]
    if skipped and task.is_essential:
        errors["skipped"] = ["An essential task cannot be skipped."]
    state_completed, state_skipped = task.completed, task.skipped
    if completed is not None:
        state_completed = completed
        state_skipped = False if completed else state_skipped
    if skipped is not None:
        state_skipped = skipped
        state_completed = False if skipped else state_completed
    return state_completed, state_skipped


def _other_tasks(task):
    """The run's other tasks, only the columns the completion rules read (one query)."""
    return list(RunTask.select(RunTask.id, RunTask.title, RunTask.completed, RunTask.skipped,
                               RunTask.due_rule)
                .where((RunTask.run == task.run_id) & (RunTask.id != task.id)))


def _check_not_blocked(task, others):
    by_id = {other.id: other for other in others}
    waiting = [by_id[ref] for ref in task.depends_on or []
               if ref in by_id and not (by_id[ref].completed or by_id[ref].skipped)]
    if waiting:
        raise APIError(409, "task_blocked",
                       "This task depends on tasks that are neither completed nor skipped",
                       {"depends_on": [f'Task {o.id} ("{o.title}") is not done.' for o in waiting]})


def _resolve_waiting(task, others, timezone_name, now):
    """Due dates counted from this task's completion resolve now (again after a reopen)."""
    for other in others:
        if waits_on(other.due_rule, task.id):
            due = resolve_rule(other.due_rule, now, timezone_name)
            RunTask.update(due_date=due, updated_at=now).where(RunTask.id == other.id).execute()


def _complete_run(run, now):
    """Mark the run completed exactly once (guarded by status); True when this call did."""
    updated = (Run.update(status="completed", completed_at=now, updated_at=now)
               .where((Run.id == run.id) & (Run.status == "active")).execute())
    if updated:
        run.status, run.completed_at, run.updated_at = "completed", now, now
    return updated == 1
