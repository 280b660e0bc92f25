"""The request id on every answer: the client's own `X-Request-Id` when it is a sane one
(1 to 200 visible ASCII characters), else a new random one.

Made on first use rather than in a before_request hook, so that an answer produced before
our hooks run (a 429 from the limiter, a 503 from the connection hook) carries one too.
"""
import re
import uuid

from flask import g, request

CLIENT_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,200}$")


def request_id():
    current = g.get("nextstep_request_id")
    if current is None:
        sent = request.headers.get("X-Request-Id", "")
        current = sent if CLIENT_REQUEST_ID.match(sent) else uuid.uuid4().hex
        g.nextstep_request_id = current
    return current
