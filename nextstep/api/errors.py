"""Every failure under our prefix leaves as {"error": {...}} with a stable code."""
import logging

from flask import current_app
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from ..errors import APIError
from ..schemas.common import message_paths
from .request_id import request_id
from .responses import json_response

log = logging.getLogger("nextstep")

HTTP_CODES = {
    400: ("bad_request", "The request could not be understood"),
    401: ("unauthorized", "A valid API key is required"),
    403: ("forbidden", "This key may not do that"),
    404: ("not_found", "Resource not found"),
    405: ("method_not_allowed", "Method not allowed on this path"),
    413: ("payload_too_large", "The request body is too large"),
    415: ("unsupported_media_type", "The request body must be application/json"),
    422: ("validation_error", "The request body is not valid"),
    429: ("rate_limited", "Too many requests; retry after the time in Retry-After"),
}


def error_response(status, code, message, details=None, headers=None):
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return json_response({"error": body}, status, headers)


def handle_api_error(error):
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def handle_validation_error(error):
    return error_response(422, "validation_error", "The request body is not valid",
                          flatten_messages(error.messages))


def handle_http_exception(error):
    code, message = HTTP_CODES.get(error.code, ("internal_error", "Internal server error"))
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if error.code >= 500:
        return handle_unexpected(error)
    if error.code == 413:
        message = (f"The request body is larger than "
                   f"{current_app.config['NEXTSTEP_MAX_CONTENT_LENGTH']} bytes")
    return error_response(error.code, code, message, headers=headers)


def handle_unexpected(error):
    current = request_id()
    log.error("unhandled error (request %s)", current, exc_info=error)
    return error_response(500, "internal_error",
                          f"Internal server error (request id {current})")


def flatten_messages(messages):
    """Marshmallow's nested messages as {"custom_elements.0.value": ["..."]}."""
    flat = {}
    for path, message in message_paths(messages):
        flat.setdefault(path, []).append(message)
    return flat


def register_error_handlers(blueprint):
    blueprint.register_error_handler(APIError, handle_api_error)
    blueprint.register_error_handler(ValidationError, handle_validation_error)
    blueprint.register_error_handler(HTTPException, handle_http_exception)
    # Flask looks up handlers by status code before class, app-wide before falling back
    # to class: name each code so a host app's own 404 or 429 page never answers for us.
    for status in (*HTTP_CODES, 500):
        blueprint.register_error_handler(status, handle_http_exception)
    blueprint.register_error_handler(Exception, handle_unexpected)
