"""Process templates: the checklists runs are started from."""
from peewee import (
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ..ids import utcnow
from .base import BaseModel, IdField, JsonField, TimestampField
from .team import Member, Team

TASK_TYPES = ("task", "approval")
VALUE_ELEMENT_TYPES = ("shortText", "longText", "email", "url", "number", "date",
                       "checkbox", "dropdown", "multiSelect", "member")
DISPLAY_ELEMENT_TYPES = ("text", "heading", "image", "video")
ELEMENT_TYPES = VALUE_ELEMENT_TYPES + DISPLAY_ELEMENT_TYPES
OPTION_ELEMENT_TYPES = ("dropdown", "multiSelect")


class Template(BaseModel):
    id = IdField()
    team = ForeignKeyField(Team, backref="templates", on_delete="CASCADE", index=False)
    title = CharField(max_length=255)
    description = TextField(null=True)
    cover_image = TextField(null=True)
    icon = CharField(null=True)
    icon_type = CharField(null=True)
    visibility = CharField(default="private")
    is_published = BooleanField(default=False)
    version = IntegerField(default=0)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)
    # Authoring (migration 5): set by every accepted edit, cleared by publishing.
    has_unpublished_changes = BooleanField(default=True)
    archived_at = TimestampField(null=True)

    class Meta:
        indexes = (
            (("team", "created_at", "id"), False),
            (("team", "is_published", "created_at", "id"), False),
        )


class Section(BaseModel):
    id = IdField()
    template = ForeignKeyField(Template, backref="sections", on_delete="CASCADE", index=False)
    title = CharField(max_length=255)
    description = TextField(null=True)
    position = IntegerField()
    color = CharField(max_length=7, null=True)

    class Meta:
        indexes = ((("template", "position"), False),)


class TemplateTask(BaseModel):
    """`due_date` holds the rule dict of the contract; `depends_on` a list of task ids."""

    id = IdField()
    template = ForeignKeyField(Template, backref="tasks", on_delete="CASCADE", index=False)
    section = ForeignKeyField(Section, null=True, backref="tasks", on_delete="SET NULL")
    title = CharField(max_length=255)
    description = TextField(null=True)
    position = IntegerField()
    type = CharField(default="task")
    is_essential = BooleanField(default=True)
    webhook_enabled = BooleanField(default=False)
    assignee = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    due_date = JsonField(null=True)
    depends_on = JsonField(default=list)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)

    class Meta:
        indexes = ((("template", "position", "id"), False),)


class CustomElement(BaseModel):
    id = IdField()
    task = ForeignKeyField(TemplateTask, backref="custom_elements", on_delete="CASCADE",
                           index=False)
    type = CharField()
    label = CharField(max_length=255)
    required = BooleanField(default=False)
    options = JsonField(null=True)
    position = IntegerField()

    class Meta:
        indexes = ((("task", "position"), False),)


class TemplateVersion(BaseModel):
    """A published snapshot: runs start from the latest one, never from the draft."""

    template = ForeignKeyField(Template, backref="versions", on_delete="CASCADE", index=False)
    version = IntegerField()
    snapshot = JsonField()
    created_at = TimestampField(default=utcnow)
    task_count = IntegerField(default=0)  # migration 5: the versions list reads no snapshot

    class Meta:
        indexes = ((("template", "version"), True),)
