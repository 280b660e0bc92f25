"""Every JSON answer of the API leaves through here, in one of the contract's envelopes.

orjson writes the body: on a page of 100 run tasks Flask's json.dumps (keys sorted) was a
fifth of the request (bench/). Building the Response here keeps the host app's own JSON
provider untouched. Keys keep the order the schemas give them.
"""
import orjson
from flask import current_app, g

from .conditional import tag_answer

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_response(body, status=200, headers=None):
    response = current_app.response_class(orjson.dumps(body), status=status,
                                          content_type=JSON_CONTENT_TYPE)
    if headers:
        response.headers.update(headers)
    g.nextstep_rendered = response  # the answer an idempotency key keeps (api/idempotency.py)
    return response


def single(data, status=200, headers=None):
    """One resource; a 200 or 201 carries the ETag of its body (api/conditional.py)."""
    response = json_response({"data": data}, status, headers)
    return tag_answer(response) if status in (200, 201) else response


def listing(data, pagination):
    return json_response({"data": data, "pagination": pagination})
