"""Webhook subscriptions (contract §11): the rules of creating, changing, rotating,
testing and redelivering. Sending is services/worker.py's job; here rows are only written.
"""
from datetime import timedelta

from ..db import is_sqlite, transaction
from ..errors import conflict, not_found, validation_error
from ..ids import format_timestamp, new_id, utcnow
from ..models import Attempt, Delivery, Event, Team, Webhook
from ..schemas.events import envelope_shape
from ..statements import execute, prepare
from . import events
from .delivery import RefusedURL, check_url, new_secret
from .outbox import delivery_insert
from .pagination import NEWEST_FIRST, Pager
from .templates import template_or_none

MAX_WEBHOOKS = 20
ROTATION_OVERLAP = timedelta(hours=24)
WEBHOOK_NOT_FOUND = "Webhook not found"
DELIVERY_NOT_FOUND = "Webhook delivery not found"
EVENT_NAMES = (events.RUN_CREATED, events.RUN_COMPLETED, events.STEP_COMPLETED)


def webhook_or_none(team, webhook_id):
    return Webhook.get_or_none((Webhook.id == webhook_id) & (Webhook.team == team))


def get_webhook(team, webhook_id):
    webhook = webhook_or_none(team, webhook_id)
    if webhook is None:
        raise not_found(WEBHOOK_NOT_FOUND)
    return webhook


def webhooks_query(team):
    """The team's webhooks (`team` a Team or its id)."""
    return Webhook.select().where(Webhook.team == team)


def delivery_query(webhook_id):
    """A webhook's deliveries with their event's payload."""
    return (Delivery.select(Delivery, Event.id, Event.payload).join(Event)
            .where(Delivery.webhook == webhook_id))


WEBHOOKS = Pager(webhooks_query, NEWEST_FIRST)
DELIVERIES = Pager(delivery_query, NEWEST_FIRST)


def webhooks_page(team, limit, cursor):
    """The team's webhooks, newest first."""
    return WEBHOOKS.page([team.id], cursor, limit)


def deliveries_page(team, webhook_id, limit, cursor):
    """A webhook's deliveries with their event's payload, newest first; 404 for a
    webhook that is not the team's."""
    return DELIVERIES.page([get_webhook(team, webhook_id).id], cursor, limit)


def _check(team, data, rules):
    """422 with `details` for a refused URL or a template the team does not have."""
    errors = {}
    if "url" in data:
        try:
            check_url(data["url"], rules)
        except RefusedURL as refused:
            errors["url"] = [str(refused)]
    if data.get("template_id") is not None and template_or_none(team, data["template_id"]) is None:
        errors["template_id"] = ["No process template with this id in this team."]
    if errors:
        raise validation_error("The request body is not valid", errors)


def create_webhook(team, data, rules, render):
    """A new webhook with a new secret; `render(webhook)` runs before the commit. The
    count and the insert share the transaction (the team's row locked on PostgreSQL), so
    two requests at once cannot make a 21st."""
    _check(team, data, rules)
    now = utcnow()
    webhook = Webhook(id=new_id(), team=team, url=data["url"], events=data["events"],
                      template_id=data.get("template_id"), description=data.get("description"),
                      enabled=data.get("enabled", True), consecutive_failures=0,
                      disabled_reason=None if data.get("enabled", True) else "manual",
                      secret=new_secret(), previous_secret=None,
                      previous_secret_expires_at=None, created_at=now, updated_at=now)
    answer = render(webhook)
    insert = prepare(Webhook.insert(webhook.__data__))
    with transaction():
        if not is_sqlite():
            Team.select(Team.id).where(Team.id == team.id).for_update().execute()
        if webhooks_query(team).count() >= MAX_WEBHOOKS:
            raise conflict("webhook_limit_reached",
                           f"A team may have at most {MAX_WEBHOOKS} webhooks; delete one first")
        execute(insert)
    return answer


def update_webhook(team, webhook_id, changes, rules, render):
    """Only the keys present change. `enabled: true` clears `disabled_reason` and the
    failure count (whatever the webhook was); `enabled: false` is a manual disable."""
    webhook = get_webhook(team, webhook_id)
    _check(team, changes, rules)
    for key, value in changes.items():
        setattr(webhook, key, value)
    if changes.get("enabled") is True:
        webhook.disabled_reason, webhook.consecutive_failures = None, 0
    elif changes.get("enabled") is False and webhook.disabled_reason is None:
        webhook.disabled_reason = "manual"
    webhook.updated_at = utcnow()
    return _save(webhook, render)


def rotate_secret(team, webhook_id, render):
    """A new secret; the one it replaces keeps signing for 24 hours beside it."""
    webhook = get_webhook(team, webhook_id)
    now = utcnow()
    webhook.previous_secret, webhook.previous_secret_expires_at = (
        webhook.secret, now + ROTATION_OVERLAP)
    webhook.secret, webhook.updated_at = new_secret(), now
    return _save(webhook, render)


def _save(webhook, render):
    answer = render(webhook)
    values = {k: v for k, v in webhook.__data__.items() if k not in ("id", "team", "created_at")}
    update = prepare(Webhook.update(values).where(Webhook.id == webhook.id))
    with transaction():
        if execute(update) != 1:
            raise not_found(WEBHOOK_NOT_FOUND)  # deleted meanwhile
    return answer


def delete_webhook(team, webhook_id):
    """Its deliveries (pending ones included) and their attempts go with it (cascade)."""
    with transaction():
        if Webhook.delete().where((Webhook.id == webhook_id) & (Webhook.team == team)) \
                .execute() != 1:
            raise not_found(WEBHOOK_NOT_FOUND)


def signing_secrets(webhook, now):
    """The secrets that sign a delivery now: the current one, and the one before it for
    24 hours after a rotation."""
    secrets_ = [webhook.secret]
    if webhook.previous_secret and webhook.previous_secret_expires_at \
            and webhook.previous_secret_expires_at > now:
        secrets_.append(webhook.previous_secret)
    return secrets_


def sample_run_created(now):
    """A `test: true` process_run.created envelope with sample data (ids are made up)."""
    envelope = envelope_shape("evt_" + new_id(), events.RUN_CREATED, now, {
        "instance_id": new_id(), "template_id": new_id(), "title": "Sample process run",
        "started_by": events.person(None), "started_at": format_timestamp(now),
        "due_date": None, "is_shared": False, "task_count": 3})
    envelope["test"] = True
    return envelope


def send_test(team, webhook_id, render):
    """A test event and its delivery to this webhook alone, due at once."""
    webhook = _enabled(team, webhook_id)
    now = utcnow()
    envelope = sample_run_created(now)
    statements = [prepare(Event.insert(id=envelope["id"], team=team.id, event=envelope["event"],
                                       payload=envelope, created_at=now)),
                  delivery_insert(webhook.id, team.id, envelope, now, due=now)]
    return _write_delivery(webhook, envelope["id"], statements, render)


def redeliver(team, webhook_id, delivery_id, render):
    """A new delivery of the same event (same event id), due at once."""
    webhook = _enabled(team, webhook_id)
    original = get_delivery(webhook, delivery_id)
    now = utcnow()
    envelope = {"id": original.event_id, "event": original.event_name}
    statement = delivery_insert(webhook.id, team.id, envelope, now, due=now)
    return _write_delivery(webhook, original.event_id, [statement], render)


def _write_delivery(webhook, event_id, statements, render):
    with transaction():
        for statement in statements:
            execute(statement)
        delivery = (delivery_query(webhook.id).where(Delivery.event == event_id)
                    .order_by(Delivery.created_at.desc(), Delivery.id.desc()).first())
        if delivery is None:  # disabled (or deleted) between the read and the write
            raise _disabled()
        return render(delivery)


def _enabled(team, webhook_id):
    webhook = get_webhook(team, webhook_id)
    if not webhook.enabled:
        raise _disabled()
    return webhook


def _disabled():
    return conflict("webhook_disabled",
                    "The webhook is disabled; enable it first (PATCH enabled: true)")


def get_delivery(webhook, delivery_id):
    delivery = delivery_query(webhook.id).where(Delivery.id == delivery_id).first()
    if delivery is None:
        raise not_found(DELIVERY_NOT_FOUND)
    return delivery


def delivery_with_attempts(webhook, delivery_id):
    """One delivery with `attempt_log`, its attempts oldest first."""
    delivery = get_delivery(webhook, delivery_id)
    delivery.attempt_log = list(Attempt.select().where(Attempt.delivery == delivery.id)
                                .order_by(Attempt.number))
    return delivery

