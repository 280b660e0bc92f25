"""Fields every output schema shares."""
from marshmallow import RAISE, Schema, fields

from ..ids import format_timestamp


class Timestamp(fields.Field):
    """ISO 8601 UTC with milliseconds and a Z; None stays null."""

    def _serialize(self, value, attr, obj, **kwargs):
        return format_timestamp(value)


class OutputSchema(Schema):
    """Dump-only schemas: every field present, nulls included."""

    class Meta:
        ordered = True


class InputSchema(Schema):
    """Request and file shapes: an unknown field is an error, never silently dropped."""

    class Meta:
        unknown = RAISE


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "true" are a client's typo, not a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value
