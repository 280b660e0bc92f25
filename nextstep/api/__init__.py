"""The API blueprint: per-request connection, auth, errors, and one child per resource."""
import logging

from flask import current_app, request
from peewee import PeeweeException
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import DATABASE_DOWN, unavailable
from ..models import database
from .access_log import log_request, register_access_log
from .auth import authenticate
from .authoring import authoring
from .conditional import answer_not_modified
from .errors import register_error_handlers
from .guards import refuse_hostile_url
from .health import health
from .idempotency import claim_idempotency_key, finish_claim, keep_the_answer
from .reference import reference
from .request_id import request_id
from .routing import ApiBlueprint, add_catch_all
from .runs import runs
from .scopes import enforce_scope
from .template_export import template_export
from .templates import templates
from .webhooks import webhooks

PUBLIC_ENDPOINTS = {"health.check_health", "reference.openapi_document",
                    "reference.reference_page"}
log = logging.getLogger("nextstep")


def build_blueprint():
    """A fresh parent blueprint per app, so hooks and limits never leak between apps."""
    api = ApiBlueprint("nextstep", __name__)
    api.register_blueprint(health)
    api.register_blueprint(reference)
    api.register_blueprint(templates)
    api.register_blueprint(template_export)
    api.register_blueprint(runs)
    api.register_blueprint(authoring)
    api.register_blueprint(webhooks)
    add_catch_all(api)
    register_error_handlers(api)
    api.before_request(begin_request)
    api.after_request(finish_request)
    api.teardown_request(end_request)
    register_access_log(api)
    return api


# What every request to the API goes through, in order, as one hook each for before, after
# and teardown: Flask's dispatch of a hook costs about as much as our shorter steps (a
# coroutine check each), and the order reads here rather than from registration order
# (Flask runs after_request hooks last-registered first).
def begin_request():
    """The first step that answers ends the request there, as a before_request hook would."""
    for step in (open_connection, start_request, refuse_hostile_url, claim_idempotency_key):
        answer = step()
        if answer is not None:
            return answer
    return None


def finish_request(response):
    """A GET the client has is 304 before anything reads the status; the request log sees
    the answer as sent; an idempotent request's answer is kept; the request id goes last
    (a replayed answer gets the id of the request that replays it)."""
    response = answer_not_modified(response)
    response = log_request(response)
    response = keep_the_answer(response)
    return finish_response(response)


def end_request(exc):
    try:
        finish_claim(exc)
    finally:
        close_connection(exc)


def open_connection():
    """A database that cannot be reached is an outage (503), not a bug (500)."""
    try:
        database.connect(reuse_if_open=True)
    except PeeweeException:
        log.exception("cannot connect to the database")
        raise unavailable(DATABASE_DOWN) from None


def close_connection(_exc):
    if not database.is_closed():
        database.close()


def start_request():
    # A declared Content-Length over the limit is refused up front, before any key is
    # looked up; a chunked body is measured as json_body reads it.
    limit = current_app.config["NEXTSTEP_MAX_CONTENT_LENGTH"]
    request.max_content_length = limit + 1  # one byte over is what json_body can detect
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.endpoint is not None and request.endpoint.split(".", 1)[1] in PUBLIC_ENDPOINTS:
        return
    authenticate()
    enforce_scope()


def finish_response(response):
    response.headers["X-Request-Id"] = request_id()
    return response
