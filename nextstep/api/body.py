"""Reading a request body: JSON objects only, within the size limit, at most 64 levels
deep, with no string the database or our answers cannot hold.

Parsed with orjson (client_input.loads_body), not `request.get_json`: that goes through
the host app's JSON provider and the standard library's recursive parser, which a body of
100,000 nested arrays turns into a RecursionError.
"""
from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..client_input import MAX_DEPTH, NotJSON, TooDeep, loads_body
from ..errors import bad_request, unsupported_media_type, validation_error

MAX_REPORTED = 20  # refused strings named in one answer; a body may hold thousands


def json_body():
    """The body as a dict, or 413 / 415 / 400 / 422 in the envelope."""
    if request.mimetype != "application/json":
        raise unsupported_media_type(
            "The request body must be JSON sent as Content-Type: application/json")
    # Werkzeug stops a chunked body at max_content_length without a word, and a cut body
    # could still parse; reading one byte past our limit tells "too large" from "complete".
    data = request.get_data(cache=True)
    if len(data) > current_app.config["NEXTSTEP_MAX_CONTENT_LENGTH"]:
        raise RequestEntityTooLarge()
    try:
        body, faults = loads_body(data)
    except NotJSON:
        raise bad_request("The request body is not valid JSON") from None
    except TooDeep:
        raise bad_request(f"The request body is nested deeper than {MAX_DEPTH} levels") \
            from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    if faults:
        details = {}
        for path, message in faults[:MAX_REPORTED]:
            messages = details.setdefault(path, [])
            if message not in messages:  # a bad key and its bad value share a path
                messages.append(message)
        raise validation_error("The request body is not valid", details)
    return body
