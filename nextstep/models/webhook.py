"""Webhook subscriptions (contract §11) and their outbox: one delivery per (event, webhook).

Foreign keys that lead a composite index declare index=False (see migrations 3 and 6).

A delivery row is written in the transaction of the event it carries (services/outbox.py),
so a crash can lose nothing; the worker (services/worker.py) claims due rows with a lease
and records every attempt.
"""
from peewee import BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from ..ids import utcnow
from .base import BaseModel, IdField, JsonField, TimestampField
from .run import Event
from .team import Team

DISABLED_REASONS = ("failures", "manual")
DELIVERY_STATUSES = ("pending", "delivering", "delivered", "failed")


class Webhook(BaseModel):
    """`secret` signs every delivery; after a rotation `previous_secret` signs too until
    `previous_secret_expires_at`. `template_id` is not a foreign key: a filter naming a
    template that is later deleted simply matches nothing."""

    id = IdField()
    team = ForeignKeyField(Team, backref="webhooks", on_delete="CASCADE", index=False)
    url = CharField(max_length=2048)
    events = JsonField()
    template_id = CharField(max_length=20, null=True)
    description = CharField(max_length=500, null=True)
    enabled = BooleanField(default=True)
    disabled_reason = CharField(max_length=16, null=True)
    consecutive_failures = IntegerField(default=0)
    secret = CharField(max_length=64)
    previous_secret = CharField(max_length=64, null=True)
    previous_secret_expires_at = TimestampField(null=True)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)

    class Meta:
        indexes = ((("team", "created_at", "id"), False),)


class Delivery(BaseModel):
    """One event to one webhook. `status` is pending (due at `next_attempt_at`),
    delivering (claimed by a worker until `lease_expires_at`, under `claim_token`),
    delivered or failed."""

    id = IdField()
    webhook = ForeignKeyField(Webhook, backref="deliveries", on_delete="CASCADE", index=False)
    team = ForeignKeyField(Team, on_delete="CASCADE", index=False)
    event = ForeignKeyField(Event, on_delete="CASCADE")
    event_name = CharField(max_length=64)
    status = CharField(max_length=16, default="pending")
    attempts = IntegerField(default=0)
    next_attempt_at = TimestampField(null=True)
    last_attempt_at = TimestampField(null=True)
    lease_expires_at = TimestampField(null=True)
    claim_token = CharField(max_length=20, null=True)
    response_status = IntegerField(null=True)
    response_body = TextField(null=True)
    error = TextField(null=True)
    created_at = TimestampField(default=utcnow)

    class Meta:
        table_name = "webhook_delivery"
        indexes = (
            (("webhook", "created_at", "id"), False),
            (("team", "created_at", "id"), False),
            (("status", "next_attempt_at"), False),
            (("status", "lease_expires_at"), False),
        )


class Attempt(BaseModel):
    """One POST of a delivery and what came back."""

    id = IdField()
    delivery = ForeignKeyField(Delivery, backref="attempt_rows", on_delete="CASCADE",
                               index=False)
    number = IntegerField()
    started_at = TimestampField()
    duration_ms = IntegerField()
    response_status = IntegerField(null=True)
    response_body = TextField(null=True)
    error = TextField(null=True)

    class Meta:
        table_name = "webhook_attempt"
        indexes = ((("delivery", "number"), True),)
