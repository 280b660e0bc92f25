"""Process runs: frozen copies of a published template, worked task by task."""
from peewee import (
    SQL,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ..ids import utcnow
from .base import BaseModel, IdField, JsonField, TimestampField
from .team import Team
from .template import Template

RUN_STATUSES = ("active", "completed")
# The keys of an element dict in RunTask.custom_elements: the template element's, plus the
# value the run holds for it.
ELEMENT_KEYS = ("id", "type", "label", "required", "display_only", "options", "value")


class Run(BaseModel):
    """`sections` is the frozen list of section dicts; `started_by` is "api" or a user id.

    `revision` goes up by one with every write to the run or its tasks: a PATCH plans
    from what it read and commits only if the revision is still the one it read
    (services/run_tasks.py). The database default lets writers that predate the column
    (and migration 2) insert runs without naming it.
    """

    id = IdField()
    team = ForeignKeyField(Team, backref="runs", on_delete="CASCADE", index=False)
    template = ForeignKeyField(Template, backref="runs", on_delete="CASCADE")
    template_version = IntegerField()
    title = CharField(max_length=255)
    status = CharField(default="active")
    started_by = CharField(max_length=20, default="api")
    timezone = CharField()
    due_date = TimestampField(null=True)
    is_shared = BooleanField(default=False)
    sections = JsonField(default=list)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)
    completed_at = TimestampField(null=True)
    revision = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    class Meta:
        indexes = (
            (("team", "created_at", "id"), False),
            (("team", "template", "created_at", "id"), False),
            (("team", "status", "created_at", "id"), False),
            (("team", "template", "status", "created_at", "id"), False),
        )


class RunTask(BaseModel):
    """One task of a run. `custom_elements` holds the frozen elements with their values;
    `due_rule` keeps a rule relative to another task until that task completes."""

    id = IdField()
    run = ForeignKeyField(Run, backref="tasks", on_delete="CASCADE", index=False)
    template_task_id = CharField(max_length=20)
    title = CharField(max_length=255)
    description = TextField(null=True)
    position = IntegerField()
    section_id = CharField(max_length=20, null=True)
    type = CharField(default="task")
    is_essential = BooleanField(default=True)
    webhook_enabled = BooleanField(default=False)
    assignee = CharField(max_length=20, null=True)
    due_date = TimestampField(null=True)
    due_rule = JsonField(null=True)
    depends_on = JsonField(default=list)
    completed = BooleanField(default=False)
    completed_at = TimestampField(null=True)
    completed_by = CharField(max_length=20, null=True)
    skipped = BooleanField(default=False)
    approval = JsonField(null=True)
    custom_elements = JsonField(default=list)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)

    class Meta:
        indexes = (
            (("run", "position", "id"), False),
            (("run", "template_task_id"), False),
        )


class Event(BaseModel):
    """An event to deliver to webhooks, written in the transaction of the change it reports."""

    id = CharField(max_length=32, primary_key=True)
    team = ForeignKeyField(Team, backref="events", on_delete="CASCADE", index=False)
    event = CharField(max_length=64)
    payload = JsonField()
    created_at = TimestampField(default=utcnow)

    class Meta:
        indexes = ((("team", "created_at"), False),)
