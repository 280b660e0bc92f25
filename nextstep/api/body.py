"""Reading a request body: JSON objects only, within the size limit."""
from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import APIError, bad_request


def json_body():
    """The body as a dict, or 413 / 415 / 400 in the envelope."""
    if request.mimetype != "application/json":
        raise APIError(415, "unsupported_media_type",
                       "The request body must be JSON sent as Content-Type: application/json")
    # Werkzeug stops a chunked body at max_content_length without a word, and a cut body
    # could still parse; reading one byte past our limit tells "too large" from "complete".
    if len(request.get_data(cache=True)) > current_app.config["NEXTSTEP_MAX_CONTENT_LENGTH"]:
        raise RequestEntityTooLarge()
    body = request.get_json(silent=True)
    if body is None:
        raise bad_request("The request body is not valid JSON")
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return body
