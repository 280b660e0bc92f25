"""Tables as a migration created them, frozen: the models in models/ move on, and a
migration must keep meaning what it meant. Migration 6 made the webhook tables, 7 the
idempotency keys; each class here is one table at that version and nothing else reads it.
"""
from peewee import (
    AutoField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    JSONField,
    TextField,
)

from .models import ApiKey, BaseModel, Event, Team
from .models.base import IdField, TimestampField


class WebhookAtVersion6(BaseModel):
    id = IdField()
    team = ForeignKeyField(Team, on_delete="CASCADE", index=False)
    url = CharField(max_length=2048)
    events = JSONField()
    template_id = CharField(max_length=20, null=True)
    description = CharField(max_length=500, null=True)
    enabled = BooleanField(default=True)
    disabled_reason = CharField(max_length=16, null=True)
    consecutive_failures = IntegerField(default=0)
    secret = CharField(max_length=64)
    previous_secret = CharField(max_length=64, null=True)
    previous_secret_expires_at = TimestampField(null=True)
    created_at = TimestampField()
    updated_at = TimestampField()

    class Meta:
        table_name = "webhook"
        indexes = ((("team", "created_at", "id"), False),)


class DeliveryAtVersion6(BaseModel):
    id = IdField()
    webhook = ForeignKeyField(WebhookAtVersion6, on_delete="CASCADE", index=False)
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
    created_at = TimestampField()

    class Meta:
        table_name = "webhook_delivery"
        indexes = (
            (("webhook", "created_at", "id"), False),
            (("team", "created_at", "id"), False),
            (("status", "next_attempt_at"), False),
            (("status", "lease_expires_at"), False),
        )


class AttemptAtVersion6(BaseModel):
    id = IdField()
    delivery = ForeignKeyField(DeliveryAtVersion6, on_delete="CASCADE", index=False)
    number = IntegerField()
    started_at = TimestampField()
    duration_ms = IntegerField()
    response_status = IntegerField(null=True)
    response_body = TextField(null=True)
    error = TextField(null=True)

    class Meta:
        table_name = "webhook_attempt"
        indexes = ((("delivery", "number"), True),)


WEBHOOK_TABLES_AT_VERSION_6 = [WebhookAtVersion6, DeliveryAtVersion6, AttemptAtVersion6]


class IdempotencyKeyAtVersion7(BaseModel):
    id = AutoField()
    api_key = ForeignKeyField(ApiKey, on_delete="CASCADE", index=False)
    key = CharField(max_length=255)
    fingerprint = CharField(max_length=64)
    status = IntegerField(null=True)
    headers = TextField(null=True)
    body = TextField(null=True)
    created_at = TimestampField()

    class Meta:
        table_name = "idempotency_key"
        indexes = ((("api_key", "key"), True), (("created_at",), False))
