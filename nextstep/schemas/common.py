"""Fields every output schema shares."""
from marshmallow import RAISE, Schema, fields

from ..ids import format_timestamp


class Timestamp(fields.DateTime):
    """ISO 8601 UTC with milliseconds and a Z; None stays null. A DateTime, so the
    OpenAPI document says `string`, `date-time`."""

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


def message_paths(messages, top_level="_schema", prefix=""):
    """Marshmallow's nested messages as (dotted path, message) pairs, in its order:
    {"tasks": {2: {"type": [...]}}} gives ("tasks.2.type", ...). A schema-level message
    (`_schema`) belongs to the path of its schema, `top_level` at the root."""
    pairs = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            pairs.extend(message_paths(value, top_level, path))
    elif isinstance(messages, list):
        for message in messages:
            pairs.extend(message_paths(message, top_level, prefix))
    else:
        pairs.append((prefix or top_level, str(messages)))
    return pairs


class PaginationSchema(OutputSchema):
    """The `pagination` object of every list (services/pagination.py)."""

    next_cursor = fields.String(allow_none=True, metadata={
        "description": "The id of the last item on the page; pass it as `cursor` for the "
                       "next page. Null only when the page is empty."})
    has_more = fields.Boolean(metadata={"description": "Whether more items follow."})


class ErrorSchema(OutputSchema):
    """The `error` object of every failure (api/errors.py)."""

    code = fields.String(metadata={"description": "Stable, machine-readable code."})
    message = fields.String(metadata={"description": "One sentence for a person."})
    details = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "Present on some errors: for a validation error, each field path "
                       "with its list of messages; for a scope refusal, "
                       "`required_scope`."})


class HealthSchema(OutputSchema):
    """GET /health."""

    status = fields.String(metadata={"enum": ["ok", "degraded"]})
    database = fields.String(metadata={"enum": ["ok"]})
    rate_limit_storage = fields.String(metadata={"enum": ["ok", "unavailable"]})
