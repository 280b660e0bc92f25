"""`Idempotency-Key` on every POST and PATCH of our blueprint (contract §12), in its
request hooks: a route added later gets it by being a POST or PATCH route. What a client
sees is in docs/http.md; the storage rules in services/idempotency.py.

An answer is kept in the transaction of the request's own writes when it has one
(db.commit_with_first_write, fed the answer the view rendered before its commit); an
answer whose request wrote nothing (an error) is kept afterwards; a 5xx frees the key.
"""
import logging
import re

from flask import current_app, g, request

from ..db import commit_with_first_write
from ..errors import bad_request, conflict, unprocessable
from ..ids import utcnow
from ..services import idempotency
from ..statements import execute
from .routing import CATCH_ALL_ENDPOINT

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # 1-255 visible ASCII characters
METHODS = ("POST", "PATCH")
log = logging.getLogger("nextstep")


class PendingClaim:
    def __init__(self, row_id):
        self.row_id = row_id
        self.kept = None  # the answer kept in a write transaction, once one ran
        self.finished = False
        self.token = None


def claim_idempotency_key():
    """Before the view, after authentication (keys are per API key) and the URL guard."""
    if request.method not in METHODS or HEADER not in request.headers:
        return None
    if request.endpoint is None or request.endpoint.endswith("." + CATCH_ALL_ENDPOINT):
        return None  # no such route: 404/405 as without the header
    sent = request.headers[HEADER]
    if not VALID_KEY.fullmatch(sent):
        raise bad_request(f"{HEADER} must be 1 to 255 visible ASCII characters",
                          {HEADER: ["Must be 1 to 255 visible ASCII characters (no spaces)."]})
    key_id = g.nextstep_key.id
    path = request.path
    if request.query_string:
        path += "?" + request.query_string.decode("latin-1")
    now = utcnow()
    prune_now_and_then(now)
    print_ = idempotency.fingerprint(key_id, request.method, path, request.get_data(cache=True))
    try:
        outcome = idempotency.claim(key_id, sent, print_, now)
    except idempotency.KeyReused:
        raise unprocessable("idempotency_key_reused",
                            f"This {HEADER} was already used with a different request "
                            f"(method, path or body); send a new key for a new request") from None
    except idempotency.KeyInUse:
        raise conflict("idempotency_key_in_use",
                       f"A request with this {HEADER} is still being processed; retry once "
                       f"it has finished", headers={"Retry-After": "1"}) from None
    if isinstance(outcome, idempotency.Replay):
        g.nextstep_replayed = True
        response = current_app.response_class(outcome.body, status=outcome.status,
                                              headers=outcome.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    pending = PendingClaim(outcome.row_id)
    g.nextstep_idempotency = pending
    g.nextstep_rendered = None
    pending.token = commit_with_first_write.set(lambda: keep_with_the_writes(pending))
    return None


def keep_with_the_writes(pending):
    """Inside the request's write transaction, just before COMMIT."""
    rendered = g.get("nextstep_rendered")
    if rendered is None:  # the view renders after committing: kept by keep_the_answer
        return
    execute(idempotency.keep_answer_statement(pending.row_id, rendered.status_code,
                                              rendered.headers, rendered.get_data()))
    pending.kept = rendered


def keep_the_answer(response):
    """Unless the answer going out is the one kept with the writes: keep it (or, for a
    5xx, free the key). Both only touch a row still in progress, so when the writes and
    their answer did commit and something failed after, the kept answer stands."""
    pending = g.get("nextstep_idempotency")
    if pending is None or pending.finished:
        return response
    pending.finished = True
    commit_with_first_write.set(None)
    if pending.kept is response:
        return response
    try:
        if response.status_code >= 500:
            idempotency.release(pending.row_id)
        else:
            idempotency.keep_answer(pending.row_id, response.status_code, response.headers,
                                    response.get_data())
    except Exception:  # the answer stands; the claim lapses after its lease
        log.warning("could not keep the answer of an idempotent request", exc_info=True)
    return response


def finish_claim(_exc):
    pending = g.pop("nextstep_idempotency", None)
    if pending is None:
        return
    if pending.token is not None:
        commit_with_first_write.reset(pending.token)
    if not pending.finished:  # no answer went through keep_the_answer
        try:
            idempotency.release(pending.row_id)
        except Exception:
            log.warning("could not free an idempotency key", exc_info=True)


def prune_now_and_then(now):
    """Expired keys are deleted by the requests that use keys, at most once a minute per
    app, so no worker or timer is needed; an expired row is never replayed meanwhile."""
    state = current_app.extensions["nextstep"]
    last = state.idempotency_pruned_at
    if last is not None and now - last < idempotency.PRUNE_EVERY:
        return
    state.idempotency_pruned_at = now
    idempotency.prune(now)
