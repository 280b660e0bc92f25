"""Reading a request body: JSON objects only, within the size limit."""
from flask import request

from ..errors import APIError, bad_request


def json_body():
    """The body as a dict, or 413 / 415 / 400 in the envelope."""
    if request.mimetype != "application/json":
        raise APIError(415, "unsupported_media_type",
                       "The request body must be JSON sent as Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise bad_request("The request body is not valid JSON")
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return body
