"""Webhooks and their deliveries (contract §11): the bodies of POST and PATCH, the answers.

Schemas check shapes only; whether a URL may be reached and a template exists are the
service's rules (services/webhooks.py). Event names are §8's.
"""
from marshmallow import ValidationError, fields, validate

from ..models.webhook import DELIVERY_STATUSES, DISABLED_REASONS
from .common import InputSchema, OutputSchema, StrictBoolean, Timestamp
from .events import RUN_COMPLETED, RUN_CREATED, STEP_COMPLETED

EVENT_NAMES = (RUN_CREATED, RUN_COMPLETED, STEP_COMPLETED)


def _distinct_events(value):
    if len(set(value)) != len(value):
        raise ValidationError("Each event may be named once.")


class WebhookInputSchema(InputSchema):
    """POST /webhooks; PATCH loads it with partial=True (only the keys present change)."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_NAMES)), required=True,
                         validate=[validate.Length(min=1), _distinct_events])
    template_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=20))
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    enabled = StrictBoolean()


class WebhookSchema(OutputSchema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    template_id = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True,
                                    metadata={"enum": [*DISABLED_REASONS, None]})
    consecutive_failures = fields.Integer()
    created_at = Timestamp()
    updated_at = Timestamp()


class WebhookWithSecretSchema(WebhookSchema):
    """Only the answers of create and rotate-secret carry the secret."""

    secret = fields.String()


class DeliverySchema(OutputSchema):
    id = fields.String()
    webhook_id = fields.String()
    event_id = fields.String()
    event = fields.String(attribute="event_name")
    status = fields.String(metadata={"enum": list(DELIVERY_STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = Timestamp(allow_none=True)
    last_attempt_at = Timestamp(allow_none=True)
    response_status = fields.Integer(allow_none=True)
    response_body = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    payload = fields.Function(lambda delivery: delivery.event.payload)
    created_at = Timestamp()


class AttemptSchema(OutputSchema):
    number = fields.Integer()
    started_at = Timestamp()
    duration_ms = fields.Integer()
    response_status = fields.Integer(allow_none=True)
    response_body = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class DeliveryWithAttemptsSchema(DeliverySchema):
    """GET of one delivery: `attempt_log` lists each POST, oldest first (set by the view)."""

    attempt_log = fields.Function(lambda delivery: attempt_list_schema.dump(delivery.attempt_log))


attempt_list_schema = AttemptSchema(many=True)
