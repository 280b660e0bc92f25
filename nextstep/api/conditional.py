"""ETags (contract §12): every single-resource answer carries one; `If-None-Match` on a
GET answers 304, `If-Match` on a PATCH refuses a stale write with 412.

The ETag is a hash of the answer's body bytes, which `single()` has in hand: no query,
no column to keep in step, and exact for every resource (a run's `revision` moves on
task changes that leave the run's own representation as it was). It is a strong ETag:
equal tags mean byte-identical bodies. The choices are in docs/http.md.
"""
import hashlib

import orjson
from flask import request

from ..errors import precondition_failed

CONDITIONAL_METHODS = ("GET", "HEAD")


def etag_of(body):
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def tag_answer(response):
    """Called by responses.single for its 200 and 201 answers."""
    response.set_etag(etag_of(response.get_data()))
    return response


def answer_not_modified(response):
    """After the view: a GET whose ETag the client already has is 304, with no body.
    `If-None-Match` compares weakly (RFC 9110 §13.1.2): W/"x" matches "x"."""
    if request.method not in CONDITIONAL_METHODS or response.status_code != 200:
        return response
    tag, _weak = response.get_etag()
    if tag is None or not request.if_none_match:
        return response
    if not request.if_none_match.contains_weak(tag):
        return response
    response.status_code = 304
    response.set_data(b"")
    for name in ("Content-Type", "Content-Length"):
        response.headers.pop(name, None)
    return response


def if_match_check(render_body):
    """For a PATCH view: None without `If-Match`, else a check for its service to call
    with the resource as it is now (read in the request's own reading, so no extra
    query). `render_body(resource)` is the body a GET of it would answer. A strong
    comparison (RFC 9110 §13.1.1): a weak tag never matches; `*` matches any resource."""
    wanted = request.if_match
    if not wanted:
        return None

    def check(resource):
        if wanted.star_tag:
            return
        if not wanted.contains(etag_of(render_body(resource))):
            raise precondition_failed(
                "The resource has changed since the ETag in If-Match was read; nothing "
                "was changed. GET it again for its current ETag")
    return check


def enveloped(data):
    """The body `single(data)` answers, as bytes (what its ETag is computed from)."""
    return orjson.dumps({"data": data})
