"""The delivery worker: claim due deliveries, POST them, record each attempt, prune the log.

A claim is a short write transaction that marks rows `delivering` under a random token
with a lease (the whole timeout plus a margin). On PostgreSQL the due rows are picked
`FOR UPDATE SKIP LOCKED`, so workers never wait on each other nor pick the same row; on
SQLite the IMMEDIATE transaction alone keeps claims apart. A worker that dies after its
claim leaves rows whose lease runs out, and any worker claims them again: delivery is at
least once, never zero. Recording an attempt checks the token and the attempt count, so
a worker whose lease was taken over cannot record over the one that took it.
"""
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from peewee import Tuple, fn

from ..db import is_sqlite, transaction
from ..ids import new_id, utcnow
from ..models import Attempt, Delivery, Event, Webhook, database
from .delivery import Rules, headers_for, parse_delays, post
from .webhooks import signing_secrets

log = logging.getLogger("nextstep")

LEASE_MARGIN_SECONDS = 30
DISABLE_AFTER_FAILURES = 10
KEPT_PER_TEAM = 50
KEPT_DAYS = 30
PRUNE_EVERY_SECONDS = 60
FINISHED = ("delivered", "failed")


@dataclass(frozen=True)
class WorkerSettings:
    delays: tuple = (0, 300, 1800, 7200)
    timeout: float = 10
    rules: Rules = Rules()
    concurrency: int = 4
    poll_seconds: float = 0.5

    @property
    def lease(self):
        return timedelta(seconds=self.timeout + LEASE_MARGIN_SECONDS)

    @classmethod
    def from_config(cls, config):
        return cls(delays=tuple(parse_delays(config["NEXTSTEP_WEBHOOK_RETRY_DELAYS"])),
                   timeout=config["NEXTSTEP_WEBHOOK_TIMEOUT"],
                   rules=Rules(allow_http=config["NEXTSTEP_WEBHOOK_ALLOW_HTTP"],
                               allow_private=config["NEXTSTEP_WEBHOOK_ALLOW_PRIVATE"]),
                   concurrency=config["NEXTSTEP_WEBHOOK_CONCURRENCY"],
                   poll_seconds=config["NEXTSTEP_WEBHOOK_POLL_MS"] / 1000)


def _due(now):
    """Pending and due, or claimed by a worker whose lease ran out."""
    return (((Delivery.status == "pending") & (Delivery.next_attempt_at <= now))
            | ((Delivery.status == "delivering") & (Delivery.lease_expires_at <= now)))


def claim(settings, limit, now=None):
    """Mark up to `limit` due deliveries of enabled webhooks as ours; returns them (with
    `claim_token` set) in the order they fell due."""
    now = now or utcnow()
    token = new_id()
    enabled = Webhook.select(Webhook.id).where(Webhook.enabled == True)  # noqa: E712
    pick = (Delivery.select(Delivery.id).where(_due(now) & Delivery.webhook.in_(enabled))
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
    if not pick.exists():  # an idle poll reads only: no write lock taken
        return []
    with transaction():
        if not is_sqlite():
            pick = pick.for_update("FOR UPDATE SKIP LOCKED")
        ids = [row.id for row in pick]
        if not ids:
            return []
        Delivery.update(status="delivering", lease_expires_at=now + settings.lease,
                        claim_token=token).where(Delivery.id.in_(ids) & _due(now)).execute()
    return list(Delivery.select().where(Delivery.id.in_(ids) & (Delivery.claim_token == token))
                .order_by(Delivery.next_attempt_at, Delivery.id))


def release(delivery):
    """Give back a claimed delivery unsent (a stopping worker): due again at once."""
    with transaction():
        Delivery.update(status="pending", lease_expires_at=None, claim_token=None).where(
            (Delivery.id == delivery.id) & (Delivery.claim_token == delivery.claim_token)
            & (Delivery.status == "delivering")).execute()


def body_of(payload):
    """The bytes POSTed and signed: the stored envelope as compact JSON, keys in order."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def attempt(settings, delivery, clock=utcnow, poster=post):
    """POST a claimed delivery once and record what happened; returns the Outcome, or
    None when the webhook or event is gone."""
    webhook = Webhook.get_or_none(Webhook.id == delivery.webhook_id)
    event = Event.get_or_none(Event.id == delivery.event_id)
    if webhook is None or event is None:
        return None
    started, began = clock(), time.monotonic()
    body = body_of(event.payload)
    headers = headers_for(event.payload, body, signing_secrets(webhook, started), time.time())
    outcome = poster(webhook.url, body, headers, settings.timeout, settings.rules)
    duration_ms = int((time.monotonic() - began) * 1000)
    record(settings, delivery, outcome, started, duration_ms, clock())
    return outcome


def record(settings, delivery, outcome, started, duration_ms, now):
    """Write the attempt and what follows from it, if the claim is still ours."""
    number = delivery.attempts + 1
    values = {Delivery.attempts: number, Delivery.last_attempt_at: started,
              Delivery.response_status: outcome.status, Delivery.response_body: outcome.body,
              Delivery.error: outcome.error, Delivery.lease_expires_at: None,
              Delivery.claim_token: None}
    if outcome.succeeded:
        values.update({Delivery.status: "delivered", Delivery.next_attempt_at: None})
    elif number < len(settings.delays) and outcome.status != 410:
        values.update({Delivery.status: "pending",
                       Delivery.next_attempt_at: now + timedelta(seconds=settings.delays[number])})
    else:
        values.update({Delivery.status: "failed", Delivery.next_attempt_at: None})
    ours = ((Delivery.id == delivery.id) & (Delivery.claim_token == delivery.claim_token)
            & (Delivery.attempts == delivery.attempts) & (Delivery.status == "delivering"))
    with transaction():
        if Delivery.update(values).where(ours).execute() != 1:
            log.warning("webhook delivery %s: claim lost before its attempt was recorded",
                        delivery.id)
            return
        Attempt.insert(id=new_id(), delivery=delivery.id, number=number, started_at=started,
                       duration_ms=duration_ms, response_status=outcome.status,
                       response_body=outcome.body, error=outcome.error).execute()
        hook = Webhook.id == delivery.webhook_id
        if outcome.status == 410:
            Webhook.delete().where(hook).execute()  # REST hooks: the receiver unsubscribed
        elif outcome.succeeded:
            Webhook.update(consecutive_failures=0).where(
                hook & (Webhook.consecutive_failures != 0)).execute()
        elif values[Delivery.status] == "failed":
            Webhook.update(consecutive_failures=Webhook.consecutive_failures + 1).where(
                hook).execute()
            Webhook.update(enabled=False, disabled_reason="failures", updated_at=now).where(
                hook & Webhook.enabled
                & (Webhook.consecutive_failures >= DISABLE_AFTER_FAILURES)).execute()


def prune(now=None):
    """Drop deliveries older than 30 days (not one being sent), and finished ones beyond
    each team's 50 newest. Returns how many went."""
    now = now or utcnow()
    gone = 0
    with transaction():
        gone += Delivery.delete().where(
            (Delivery.created_at < now - timedelta(days=KEPT_DAYS))
            & (Delivery.status != "delivering")).execute()
    crowded = (Delivery.select(Delivery.team).group_by(Delivery.team)
               .having(fn.COUNT(Delivery.id) > KEPT_PER_TEAM))
    for row in list(crowded):
        last_kept = (Delivery.select(Delivery.created_at, Delivery.id)
                     .where(Delivery.team == row.team_id)
                     .order_by(Delivery.created_at.desc(), Delivery.id.desc())
                     .offset(KEPT_PER_TEAM - 1).limit(1).first())
        with transaction():
            gone += Delivery.delete().where(
                (Delivery.team == row.team_id) & Delivery.status.in_(FINISHED)
                & (Tuple(Delivery.created_at, Delivery.id)
                   < Tuple(last_kept.created_at, last_kept.id))).execute()
    return gone


class Worker:
    """Runs until `stop()`: claims up to `concurrency` deliveries, sends them at once,
    records each, and sleeps `poll_seconds` when nothing is due. `stop()` lets the POSTs
    under way finish (each is bounded by the timeout) and gives back what is claimed but
    not begun."""

    def __init__(self, settings, clock=utcnow, poster=post):
        self.settings = settings
        self.clock = clock
        self.poster = poster
        self.stopping = threading.Event()
        self.thread = None
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="webhook")
        self._last_prune = None

    def run_once(self):
        """One claim and its sends; how many deliveries were attempted."""
        with database.connection_context():
            claimed = claim(self.settings, self.settings.concurrency, self.clock())
        if not claimed:
            return 0
        return sum(1 for done in self._pool.map(self._send, claimed) if done)

    def _send(self, delivery):
        with database.connection_context():
            if self.stopping.is_set():
                release(delivery)
                return False
            attempt(self.settings, delivery, self.clock, self.poster)
            return True

    def drain(self):
        """Attempt until nothing is due (tests, benchmarks); how many were attempted."""
        total = 0
        while (done := self.run_once()):
            total += done
        return total

    def maybe_prune(self):
        now = time.monotonic()
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            with database.connection_context():
                prune(self.clock())

    def run(self):
        log.debug("webhook worker started")
        while not self.stopping.is_set():
            try:
                self.maybe_prune()
                if self.run_once() == 0:
                    self.stopping.wait(self.settings.poll_seconds)
            except Exception:  # a database outage must not end the worker; it retries
                log.exception("webhook worker: an iteration failed; retrying shortly")
                self.stopping.wait(max(1.0, self.settings.poll_seconds))
        self._pool.shutdown(wait=True)
        log.debug("webhook worker stopped")

    def start(self):
        """Run in a daemon thread (inside `nextstep serve`)."""
        self.thread = threading.Thread(target=self.run, name="webhook-worker", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout=None):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
