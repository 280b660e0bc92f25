"""Fields every output schema shares."""
from marshmallow import Schema, fields

from ..ids import format_timestamp


class Timestamp(fields.Field):
    """ISO 8601 UTC with milliseconds and a Z; None stays null."""

    def _serialize(self, value, attr, obj, **kwargs):
        return format_timestamp(value)


class OutputSchema(Schema):
    """Dump-only schemas: every field present, nulls included."""

    class Meta:
        ordered = True
