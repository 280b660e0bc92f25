"""Errors the service layer raises; the API turns them into the one error envelope."""


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and what to do."""


class APIError(Exception):
    """A broken rule, answered as {"error": {"code", "message", "details"?}}."""

    def __init__(self, status, code, message, details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def not_found(message="Resource not found"):
    return APIError(404, "not_found", message)


def bad_request(message, details=None):
    return APIError(400, "bad_request", message, details)


def validation_error(message, details=None):
    return APIError(422, "validation_error", message, details)


def conflict(code, message, details=None, headers=None):
    return APIError(409, code, message, details, headers)


def unprocessable(code, message):
    """422 with a code of its own (a body that breaks a rule is `validation_error`)."""
    return APIError(422, code, message)


def precondition_failed(message):
    return APIError(412, "precondition_failed", message)


def unauthorized(message):
    return APIError(401, "unauthorized", message)


def forbidden(message, details=None):
    return APIError(403, "forbidden", message, details)


def unsupported_media_type(message):
    return APIError(415, "unsupported_media_type", message)


def rate_limited(message, retry_after):
    """429 with the whole seconds until a request is accepted again (at least 1)."""
    return APIError(429, "rate_limited", message,
                    headers={"Retry-After": str(max(1, retry_after))})


def unavailable(message, retry_after=None):
    """503: nothing was done; the same request may be retried (after `retry_after` s)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return APIError(503, "unavailable", message, headers=headers)


DATABASE_DOWN = "The database is not answering"
