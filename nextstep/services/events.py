"""Events of contract §8, written as rows in the transaction of the change they report.

The payloads' shapes are schemas/events.py's; here they get an id and a row.

Nothing is sent from here: a delivery worker reads `Event.payload`, the full envelope,
later. Writing the row with the change means an event exists exactly when the change
committed. The INSERT is prepared before the transaction (`prepare`) and only run in it
(`record`), so no SQL is compiled while the write lock is held.
"""
from ..ids import new_id
from ..models import Event, Member
from ..schemas.events import (
    RUN_COMPLETED,
    RUN_CREATED,
    STEP_COMPLETED,
    envelope_shape,
    person_shape,
    run_completed_data,
    run_created_data,
    step_completed_data,
)
from ..statements import execute, insert_statement
from .outbox import prepare_deliveries

__all__ = ["RUN_COMPLETED", "RUN_CREATED", "STEP_COMPLETED", "person", "prepare", "record",
           "run_completed", "run_created", "starter_of", "step_completed"]
person = person_shape


def starter_of(run):
    """The run's `started_by` as a person, looked up only when it is a member."""
    if run.started_by in (None, "api"):
        return person(None)
    member = Member.get_or_none((Member.id == run.started_by) & (Member.team == run.team_id))
    return person(member, run.started_by)


def run_created(run, started_by, task_count, now):
    return envelope_shape("evt_" + new_id(), RUN_CREATED, now,
                          run_created_data(run, started_by, task_count))


def run_completed(run, started_by, now):
    return envelope_shape("evt_" + new_id(), RUN_COMPLETED, now,
                          run_completed_data(run, started_by))


def step_completed(task, completed_by, now):
    return envelope_shape("evt_" + new_id(), STEP_COMPLETED, now,
                          step_completed_data(task, completed_by))


def prepare(team_id, envelopes, now):
    """The INSERT of the events (one statement) and of their webhook deliveries (the
    outbox, services/outbox.py), or None when there are no events."""
    if not envelopes:
        return None
    return [insert_statement(Event, [
        {"id": e["id"], "team": team_id, "event": e["event"], "payload": e, "created_at": now}
        for e in envelopes]), *prepare_deliveries(team_id, envelopes, now)]


def record(statements):
    """Run the prepared event and delivery INSERTs; the caller's transaction makes them
    stick or not, together with the change they report."""
    for statement in statements or ():
        execute(statement)
