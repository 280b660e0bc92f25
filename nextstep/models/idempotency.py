"""Idempotency keys (contract §12): the first answer to a POST or PATCH sent with an
`Idempotency-Key`, kept per API key so that a retry gets it again instead of a second
effect. A row with `status` NULL is a request still being processed."""
from peewee import AutoField, CharField, ForeignKeyField, IntegerField, TextField

from ..ids import utcnow
from .base import BaseModel, TimestampField
from .team import ApiKey


class IdempotencyKey(BaseModel):
    id = AutoField()
    api_key = ForeignKeyField(ApiKey, on_delete="CASCADE", index=False)
    key = CharField(max_length=255)
    fingerprint = CharField(max_length=64)  # SHA-256 of owner, method, path and body
    status = IntegerField(null=True)
    headers = TextField(null=True)  # JSON object of the answer headers replayed
    body = TextField(null=True)
    created_at = TimestampField(default=utcnow)

    class Meta:
        table_name = "idempotency_key"
        indexes = ((("api_key", "key"), True), (("created_at",), False))
