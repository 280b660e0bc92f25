"""The event shapes of contract §8: the envelope and the data of each event.

An event's payload is stored whole in `Event.payload` when the change it reports commits,
and a delivery worker sends it as stored. POST /process-runs and PATCH build one on every
request that emits an event, so the payloads are written by hand (a dict literal each, a
few µs, where a marshmallow dump of the envelope was ~30 µs); each function has a schema
below that describes the same shape (the OpenAPI document is generated from those), and
tests/test_shapes.py proves both give the same output.
"""
from marshmallow import fields

from ..ids import format_timestamp
from .common import OutputSchema, Timestamp
from .run_task import RunElementSchema, run_element_shape

RUN_CREATED = "process_run.created"
RUN_COMPLETED = "process_run.completed"
STEP_COMPLETED = "process_step.completed"


def person_shape(member, user_id=None):
    """{user_id, email, is_guest} for a member; "api" (no member) has nulls.

    `user_id` alone (a member since deleted) keeps the id with a null email.
    """
    if member is not None:
        return {"user_id": member.id, "email": member.email, "is_guest": False}
    return {"user_id": user_id, "email": None, "is_guest": False}


def envelope_shape(event_id, event, now, data):
    return {"id": event_id, "event": event, "timestamp": format_timestamp(now),
            "test": False, "data": data}


def run_created_data(run, started_by, task_count):
    """`started_by` is a person_shape."""
    return {"instance_id": run.id, "template_id": run.template_id, "title": run.title,
            "started_by": started_by, "started_at": format_timestamp(run.created_at),
            "due_date": format_timestamp(run.due_date), "is_shared": run.is_shared,
            "task_count": task_count}


def run_completed_data(run, started_by):
    return {"instance_id": run.id, "template_id": run.template_id, "title": run.title,
            "started_by": started_by, "started_at": format_timestamp(run.created_at),
            "completed_at": format_timestamp(run.completed_at)}


def step_completed_data(task, completed_by):
    """`task` is the RunTask as it is once completed; `completed_by` a person_shape."""
    return {"task_id": task.id, "instance_id": task.run_id, "title": task.title,
            "completed_at": format_timestamp(task.completed_at), "completed_by": completed_by,
            "custom_elements": [run_element_shape(e) for e in task.custom_elements]}


class PersonSchema(OutputSchema):
    """Dumps {"user_id", "email"} (either may be null): who started or completed."""

    user_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    is_guest = fields.Function(lambda person: False)


class RunEventDataSchema(OutputSchema):
    """What both run events say of their run: dumps {"run": Run, "started_by": person}."""

    instance_id = fields.String(attribute="run.id")
    template_id = fields.String(attribute="run.template_id")
    title = fields.String(attribute="run.title")
    started_by = fields.Nested(PersonSchema)
    started_at = Timestamp(attribute="run.created_at")


class RunCreatedDataSchema(RunEventDataSchema):
    """Dumps {"run": Run, "started_by": person, "task_count": n}."""

    due_date = Timestamp(attribute="run.due_date", dump_default=None)
    is_shared = fields.Boolean(attribute="run.is_shared")
    task_count = fields.Integer()


class RunCompletedDataSchema(RunEventDataSchema):
    """Dumps {"run": Run, "started_by": person}."""

    completed_at = Timestamp(attribute="run.completed_at")


class StepCompletedDataSchema(OutputSchema):
    """Dumps {"task": RunTask, "completed_by": person}."""

    task_id = fields.String(attribute="task.id")
    instance_id = fields.String(attribute="task.run_id")
    title = fields.String(attribute="task.title")
    completed_at = Timestamp(attribute="task.completed_at")
    completed_by = fields.Nested(PersonSchema)
    custom_elements = fields.List(fields.Nested(RunElementSchema),
                                  attribute="task.custom_elements")


class EventSchema(OutputSchema):
    """The envelope every event is sent in; `data` is the event's own shape."""

    id = fields.String()
    event = fields.String()
    timestamp = Timestamp()
    test = fields.Boolean()


class RunCreatedEventSchema(EventSchema):
    data = fields.Nested(RunCreatedDataSchema)


class RunCompletedEventSchema(EventSchema):
    data = fields.Nested(RunCompletedDataSchema)


class StepCompletedEventSchema(EventSchema):
    data = fields.Nested(StepCompletedDataSchema)


EVENT_SCHEMAS = {RUN_CREATED: RunCreatedEventSchema, RUN_COMPLETED: RunCompletedEventSchema,
                 STEP_COMPLETED: StepCompletedEventSchema}
