"""Events of contract §8, written as rows in the transaction of the change they report.

Nothing is sent from here: a delivery worker reads `Event.payload`, the full envelope,
later. Writing the row with the change means an event exists exactly when the change
committed. The INSERT is prepared before the transaction (`prepare`) and only run in it
(`record`), so no SQL is compiled while the write lock is held.
"""
from ..db import execute
from ..db import prepare as prepare_query
from ..ids import format_timestamp, new_id
from ..models import Event, Member
from .elements import ordered
from .outbox import prepare_deliveries

RUN_CREATED = "process_run.created"
RUN_COMPLETED = "process_run.completed"
STEP_COMPLETED = "process_step.completed"


def person(member, user_id=None):
    """{user_id, email, is_guest} for a member; "api" (no member) has nulls.

    `user_id` alone (a member since deleted) keeps the id with a null email.
    """
    if member is not None:
        return {"user_id": member.id, "email": member.email, "is_guest": False}
    return {"user_id": user_id, "email": None, "is_guest": False}


def starter_of(run):
    """The run's `started_by` as a person, looked up only when it is a member."""
    if run.started_by in (None, "api"):
        return person(None)
    member = Member.get_or_none((Member.id == run.started_by) & (Member.team == run.team_id))
    return person(member, run.started_by)


def envelope(event, data, now):
    return {"id": "evt_" + new_id(), "event": event, "timestamp": format_timestamp(now),
            "test": False, "data": data}


def run_created(run, started_by, task_count, now):
    return envelope(RUN_CREATED, {
        "instance_id": run.id, "template_id": run.template_id, "title": run.title,
        "started_by": started_by, "started_at": format_timestamp(run.created_at),
        "due_date": format_timestamp(run.due_date), "is_shared": run.is_shared,
        "task_count": task_count}, now)


def run_completed(run, started_by, now):
    return envelope(RUN_COMPLETED, {
        "instance_id": run.id, "template_id": run.template_id, "title": run.title,
        "started_by": started_by, "started_at": format_timestamp(run.created_at),
        "completed_at": format_timestamp(run.completed_at)}, now)


def step_completed(task, completed_by, now):
    return envelope(STEP_COMPLETED, {
        "task_id": task.id, "instance_id": task.run_id, "title": task.title,
        "completed_at": format_timestamp(task.completed_at), "completed_by": completed_by,
        "custom_elements": [ordered(element) for element in task.custom_elements]}, now)


def prepare(team_id, envelopes, now):
    """The INSERT of the events (one statement) and of their webhook deliveries (the
    outbox, services/outbox.py), or None when there are no events."""
    if not envelopes:
        return None
    return [prepare_query(Event.insert_many([
        {"id": e["id"], "team": team_id, "event": e["event"], "payload": e, "created_at": now}
        for e in envelopes])), *prepare_deliveries(team_id, envelopes, now)]


def record(statements):
    """Run the prepared event and delivery INSERTs; the caller's transaction makes them
    stick or not, together with the change they report."""
    for statement in statements or ():
        execute(statement)
