"""The request id on every answer and every log line of a request.

The client's own `X-Request-Id` is echoed when it is a sane one (1 to 200 visible ASCII
characters, 0x21-0x7E); anything else (empty, longer, spaces, control or non-ASCII
characters) is dropped without an error and a new random id (32 hex characters) is used,
so a tracing header can never break a request or forge a log line.

Made on first use rather than in a before_request hook, so that an answer produced before
our hooks run (a 429 from the limiter, a 503 from the connection hook) carries one too.
`RequestIdFilter` gives every log record the id of the request it was written during.
"""
import logging
import re
import secrets

from flask import g, has_request_context, request

CLIENT_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
NO_REQUEST = "-"


def request_id():
    current = g.get("nextstep_request_id")
    if current is None:
        sent = request.headers.get("X-Request-Id", "")
        current = sent if CLIENT_REQUEST_ID.match(sent) else secrets.token_hex(16)
        g.nextstep_request_id = current
    return current


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id`: the id of the request being served by the thread that
    writes the record, or "-" outside a request. Put it on a handler (`nextstep serve`
    puts it on its own) and `%(request_id)s` in the handler's format: then the record of
    any logger, ours or a library's, names its request. It never drops a record."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id() if has_request_context() else NO_REQUEST
        return True
