"""PATCH of a run task: read and plan outside the transaction, only write inside it.

A PATCH reads the task with its run (one query), the members it names and, when it may
change the task's state, the run's other tasks; `plan` turns those rows into what will
change, checking every rule before anything is written. The transaction then runs
prepared statements only, the first a compare-and-set on the run's `revision`: every
write to a run or its tasks bumps it, so no row matched means another PATCH of the run
committed after our read. Then, and only then, the PATCH reads and plans again inside
the transaction, where nothing can change the run any more (SQLite: the write lock is
ours; PostgreSQL: the re-read locks the run's row), and writes. Blocked checks and run
completion stay exact on both, a run completes exactly once, and in the common case no
lock is held while Python plans (on 2 cores and 32 threads that Python work, waiting for
the GIL, is what kept SQLite's write lock held for long).
"""
from dataclasses import dataclass, field

from ..db import is_sqlite, transaction
from ..errors import conflict, not_found, validation_error
from ..ids import format_timestamp, utcnow
from ..models import Member, Run, RunTask
from ..statements import PreparedQuery, PreparedUpdate, execute
from . import events
from .due_dates import resolve_rule, waits_on
from .elements import (
    NOT_MEMBER,
    by_element_id,
    missing_required,
    pair_items,
    pair_refs,
    set_values,
)
from .members import actor_of, lookup_members, member_named
from .runs import RUN_NOT_FOUND, TASK_NOT_FOUND, run_or_none

STATE_FIELDS = ("completed", "skipped", "approval")
KEEP = object()
# (requested move) -> (completed, skipped) after it; KEEP leaves that flag as it was.
# Moves apply in the order completed, skipped; on an approval task the decision alone
# sets the state.
TRANSITIONS = {
    ("completed", True): (True, False),
    ("completed", False): (False, KEEP),
    ("skipped", True): (False, True),
    ("skipped", False): (KEEP, False),
    ("approval", "approved"): (True, False),
    ("approval", "rejected"): (False, False),
}


@dataclass(frozen=True)
class Change:
    """What a PATCH changes. `task` is the task as it will be (what the answer shows);
    `values` its columns that change, `updated_at` included (empty: nothing changes)."""

    task: RunTask
    values: dict
    actor: Member | None = None
    due_dates: dict = field(default_factory=dict)  # {other task id: due} counted from now
    completes_run: bool = False
    step_completed: bool = False  # a webhook-enabled task completes


@dataclass(frozen=True)
class Reading:
    """The rows a plan is made from; `run.revision` is what the write checks."""

    run: Run
    task: RunTask
    others: list
    members: dict


def _task_with_run(task_id, run_id, team_id):
    return (RunTask.select(RunTask, Run).join(Run)
            .where((RunTask.id == task_id) & (RunTask.run == run_id) & (Run.team == team_id))
            .limit(1))


TASK_WITH_RUN = PreparedQuery(_task_with_run, arity=3)
TASK_WITH_RUN_LOCKED = PreparedQuery(  # PostgreSQL, inside the transaction: the run's row
    lambda *ids: _task_with_run(*ids).for_update(of=Run), arity=3)


def update_task(team, run_id, task_id, changes, render=None, precondition=None):
    """Apply `changes` (loaded by RunTaskPatchSchema); returns `render(task)` for the task
    as it now is (the RunTask by default), produced before anything is committed.

    `precondition(task)` (If-Match) sees the task as read, and again as re-read when the
    compare-and-set is lost, so a change committed in between is never overwritten."""
    render = render or _itself
    check = precondition or _itself
    reading = read(team, run_id, task_id, changes)
    check(reading.task)
    now = utcnow()
    change = plan(reading, changes, now)
    answer = render(change.task)
    if not change.values:
        return answer
    statements = _statements(reading.run, change, now)
    with transaction():
        if _run(statements):
            return answer
        # Lost the race: re-read (the run's row locked) and re-plan once, in here.
        reading = read(team, run_id, task_id, changes, lock=True)
        check(reading.task)
        now = utcnow()
        change = plan(reading, changes, now)
        answer = render(change.task)
        if change.values and not _run(_statements(reading.run, change, now)):
            raise RuntimeError(f"run {run_id} changed while it was locked")
    return answer


def read(team, run_id, task_id, changes, lock=False):
    """The task and its run, the members `changes` names, and the run's other tasks when
    the task's state may change; 404 or 409 (run completed) as the contract orders them.

    `lock` (inside a transaction) locks the run's row on PostgreSQL, and only that row:
    every writer takes the run's row first, so they cannot deadlock.
    """
    task = (TASK_WITH_RUN_LOCKED if lock and not is_sqlite() else TASK_WITH_RUN).first(
        task_id, run_id, team.id)
    if task is None:
        if run_or_none(team, run_id) is None:
            raise not_found(RUN_NOT_FOUND)
        raise not_found(TASK_NOT_FOUND)
    run = task.run
    if run.status == "completed":
        raise conflict("run_completed", "The process run is completed; its tasks cannot change")
    by_id = {element["id"]: element for element in task.custom_elements}
    pairs, _errors = pair_items(changes.get("custom_elements"), by_element_id(by_id))
    refs = [changes.get("actor_email"), changes.get("assignee"), *pair_refs(pairs)]
    others = _other_tasks(task) if any(name in changes for name in STATE_FIELDS) else []
    return Reading(run, task, others, lookup_members(team, refs))


def plan(reading, changes, now):
    """What the PATCH will change, from the rows read (no query, nothing mutated); 422
    with every broken rule at once, or 409 when the task is blocked."""
    task, others, members = reading.task, reading.others, reading.members
    if not changes:
        return Change(task, {})
    actor, actor_errors = actor_of(members, changes.get("actor_email"))
    assignee, assignee_errors = _assignee(members, changes, task)
    elements, element_errors = element_values(task, changes.get("custom_elements") or [],
                                              members)
    completed, skipped = target_state(task, changes)
    errors = {**actor_errors, **assignee_errors, **element_errors, **_refusals(task, changes)}
    if completed and (completed != task.completed or elements != task.custom_elements):
        errors.update(missing_required(elements))
    if errors:
        raise validation_error("The request body is not valid", errors)
    values = {}
    if "assignee" in changes and assignee != task.assignee:
        values["assignee"] = assignee
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
    if not values:
        return Change(task, {})
    values["updated_at"] = now
    completing = values.get("completed") is True
    if completing:
        _check_not_blocked(task, others)
    finishing = ("completed" in values or "skipped" in values) and (completed or skipped)
    return Change(
        # __no_default__, as Peewee's own row reader: no new id or timestamps made and dropped
        task=RunTask(__no_default__=True, **{**task.__data__, **values}), values=values,
        actor=actor,
        due_dates={other.id: resolve_rule(other.due_rule, now, reading.run.timezone)
                   for other in others if completing and waits_on(other.due_rule, task.id)},
        completes_run=bool(finishing and all(o.completed or o.skipped for o in others)),
        step_completed=completing and task.webhook_enabled)


def element_values(task, items, members):
    """(the task's elements with each item's value set, as a new list; per-item errors).
    Each element dict is copied, not deep-copied: set_values only replaces its "value"."""
    elements = [dict(element) for element in task.custom_elements]
    pairs, errors = pair_items(items, by_element_id({e["id"]: e for e in elements}))
    errors.update(set_values(pairs, members))
    return elements, errors


def target_state(task, changes):
    """(completed, skipped) after the PATCH, by TRANSITIONS."""
    completed, skipped = task.completed, task.skipped
    for move in _moves(task, changes):
        new_completed, new_skipped = TRANSITIONS[move]
        completed = completed if new_completed is KEEP else new_completed
        skipped = skipped if new_skipped is KEEP else new_skipped
    return completed, skipped


def _moves(task, changes):
    approval = changes.get("approval")
    if approval is not None and task.type == "approval":
        return [("approval", approval["status"])]
    return [(name, changes[name]) for name in ("completed", "skipped") if name in changes]


def _refusals(task, changes):
    """Moves the task's type or essentiality forbids, as validation details."""
    errors = {}
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
    return errors


def _assignee(members, changes, task):
    """(the assignee's user id after the PATCH, None unassigned; errors)."""
    if "assignee" not in changes:
        return task.assignee, {}
    member = member_named(members, changes["assignee"])
    if changes["assignee"] is not None and member is None:
        return task.assignee, {"assignee": [NOT_MEMBER]}
    return (member.id if member else None), {}


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
        raise conflict("task_blocked",
                       "This task depends on tasks that are neither completed nor skipped",
                       {"depends_on": [f'Task {o.id} ("{o.title}") is not done.' for o in waiting]})


# The PATCH's UPDATEs, compiled once per set of columns (statements.PreparedUpdate).
CLAIM = PreparedUpdate(Run, lambda run_id, revision: (
    (Run.id == run_id) & (Run.revision == revision) & (Run.status == "active")),
    arity=2, fixed={Run.revision: Run.revision + 1})
TASK_UPDATE = PreparedUpdate(RunTask, lambda task_id: RunTask.id == task_id, arity=1)


def _statements(run, change, now):
    """The change's statements, prepared: the revision claim, then the writes."""
    run_values = {Run.updated_at: now}
    if change.completes_run:
        run_values.update({Run.status: "completed", Run.completed_at: now})
    claim = CLAIM.statement(run_values, run.id, run.revision)
    writes = [TASK_UPDATE.statement(change.values, change.task.id)]
    writes += [TASK_UPDATE.statement({"due_date": due, "updated_at": now}, other)
               for other, due in change.due_dates.items()]
    return claim, writes, events.prepare(run.team_id, _envelopes(run, change, now), now)


def _run(statements):
    """Run prepared statements in the caller's transaction; False, with nothing written,
    when the run's revision is no longer the one the plan read."""
    claim, writes, created = statements
    if execute(claim) != 1:
        return False
    for statement in writes:
        execute(statement)
    events.record(created)
    return True


def _envelopes(run, change, now):
    pending = []
    if change.step_completed:
        pending.append(events.step_completed(change.task, events.person(change.actor), now))
    if change.completes_run:
        completed = Run(**{**run.__data__, "status": "completed", "completed_at": now,
                           "updated_at": now})
        pending.append(events.run_completed(completed, events.starter_of(run), now))
    return pending


def _itself(value):
    return value
