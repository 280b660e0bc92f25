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


def conflict(code, message):
    return APIError(409, code, message)
