"""One line per request to the API on the `nextstep.access` logger (INFO):

    method=GET path=/api/v1/process-runs status=200 duration_ms=4.1 client=203.0.113.7
    request_id=9f2c0e... key_id=lBcMnxRMt5J76gkkucBO key_prefix=nxs_live_be10

`nextstep serve` shows it on stderr; an app that embeds NextStep gets it wherever its own
logging sends `nextstep.access`, and pays one level check per request while that logger
is off. The key's id and display prefix appear once the key has authenticated (not on a
401, nor on a 429 or 413 refused before the key was looked up); never the key or its
digest. Values with spaces, quotes or control characters are written as JSON strings, so
a path cannot forge a line. The clock starts with Flask's `request_started` signal, sent
for our app only, so the rate limiter's check (which runs before our hooks) is counted.
"""
import json
import logging
import re
import time

from flask import g, request, request_started

from .. import ratelimit
from .request_id import request_id

access_log = logging.getLogger("nextstep.access")
BARE_VALUE = re.compile(r"[\x21\x23-\x7e]+")  # visible ASCII but the double quote


def register_access_log(blueprint):
    """The clock; the line is written by log_request, one of the API's after-view steps."""
    blueprint.record_once(lambda state: request_started.connect(start_clock, state.app))


def start_clock(_app, **_extra):
    if access_log.isEnabledFor(logging.INFO):
        g.nextstep_started = time.perf_counter()


def log_request(response):
    if not access_log.isEnabledFor(logging.INFO):
        return response
    started = g.get("nextstep_started")
    path = request.path
    if request.query_string:
        path += "?" + request.query_string.decode("utf-8", "replace")
    fields = [("method", request.method), ("path", path), ("status", response.status_code),
              ("duration_ms", "-" if started is None
               else f"{(time.perf_counter() - started) * 1000:.1f}"),
              ("client", ratelimit.client_address()), ("request_id", request_id())]
    key = g.get("nextstep_key")
    if key is not None:
        fields += [("key_id", key.id), ("key_prefix", key.prefix)]
    access_log.info(" ".join(f"{name}={quoted(value)}" for name, value in fields))
    return response


def quoted(value):
    text = str(value)
    return text if BARE_VALUE.fullmatch(text) else json.dumps(text)
