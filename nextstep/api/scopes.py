"""Which key scope a view needs (contract §9): `read` for GET and HEAD, `write` for the
other methods, unless the view says otherwise with `@requires("admin")` (authoring,
webhooks). Views declare it; the blueprint's hooks enforce it after authentication.
"""
from flask import current_app, g, request

from ..errors import APIError
from ..models.team import KEY_SCOPES as SCOPES
from .routing import CATCH_ALL_ENDPOINT

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def requires(scope):
    """Mark a view as needing `scope` (one of SCOPES) whatever its method."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def mark(view):
        view.required_scope = scope
        return view
    return mark


def required_scope(view, method):
    """The scope a request with `method` to `view` needs."""
    declared = getattr(view, "required_scope", None)
    if declared is not None:
        return declared
    return "read" if method in READ_METHODS else "write"


def allows(key_scope, needed):
    """Each scope includes the ones before it in SCOPES: admin > write > read."""
    return SCOPES.index(key_scope) >= SCOPES.index(needed)


def enforce_scope():
    """403 when the authenticated key's scope is short of what the matched view needs.

    Runs after authentication and the subscription check, before the view's own checks;
    unknown paths and wrong methods (the catch-all) answer 404/405 whatever the scope.
    """
    if request.endpoint is None or request.endpoint.endswith("." + CATCH_ALL_ENDPOINT):
        return
    needed = required_scope(current_app.view_functions[request.endpoint], request.method)
    if not allows(g.nextstep_key.scope, needed):
        raise APIError(403, "forbidden",
                       f"This request needs an API key with the {needed} scope; this key's "
                       f"scope is {g.nextstep_key.scope}",
                       details={"required_scope": needed})
