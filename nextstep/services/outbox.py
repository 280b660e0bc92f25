"""The outbox: a delivery row per (event, matching webhook), in the event's transaction.

Which webhooks match is read before the transaction (one indexed query per write that
has events, none without); each delivery INSERT is then an INSERT ... SELECT from the
webhook row itself, so a webhook deleted or disabled in between simply gets no row
instead of breaking the change it reports.
"""
from datetime import timedelta

from peewee import Value

from ..ids import new_id
from ..models import Delivery, Run, Webhook
from ..statements import PreparedQuery, prepare

DELIVERY_COLUMNS = [Delivery.id, Delivery.webhook, Delivery.team, Delivery.event,
                    Delivery.event_name, Delivery.status, Delivery.attempts,
                    Delivery.next_attempt_at, Delivery.created_at]


class Schedule:
    """The retry delays in force (NEXTSTEP_WEBHOOK_RETRY_DELAYS), set by init_app as the
    database handle is: services read it without Flask."""

    delays = [0, 300, 1800, 7200]


schedule = Schedule()


# Read by every write that records an event: prepared once (statements.PreparedQuery).
ENABLED_WEBHOOKS = PreparedQuery(lambda team_id: (
    Webhook.select(Webhook.id, Webhook.events, Webhook.template_id)
    .where((Webhook.team == team_id) & (Webhook.enabled == True))), arity=1)  # noqa: E712


def prepare_deliveries(team_id, envelopes, now):
    """Prepared INSERTs of the deliveries `envelopes` make (an empty list without a match)."""
    hooks = ENABLED_WEBHOOKS.rows(team_id)
    if not hooks:
        return []
    statements = []
    templates = {}
    for envelope in envelopes:
        template_id = _template_of(envelope, templates)
        for hook in hooks:
            if envelope["event"] in hook.events and hook.template_id in (None, template_id):
                statements.append(delivery_insert(hook.id, team_id, envelope, now))
    return statements


def delivery_insert(webhook_id, team_id, envelope, now, due=None):
    """One delivery of `envelope` to `webhook_id`, written only if the webhook is still
    there and enabled when the statement runs."""
    due = due or now + timedelta(seconds=schedule.delays[0])
    values = [Value(new_id()), Webhook.id, Value(team_id), Value(envelope["id"]),
              Value(envelope["event"]), Value("pending"), Value(0), Value(due), Value(now)]
    source = Webhook.select(*values).where(
        (Webhook.id == webhook_id) & (Webhook.enabled == True))  # noqa: E712
    return prepare(Delivery.insert_from(source, DELIVERY_COLUMNS))


def _template_of(envelope, cache):
    """The template of the run an event is about (step events name only the run)."""
    data = envelope["data"]
    if "template_id" in data:
        return data["template_id"]
    run_id = data["instance_id"]
    if run_id not in cache:
        run = Run.select(Run.template).where(Run.id == run_id).first()
        cache[run_id] = run.template_id if run else None
    return cache[run_id]
