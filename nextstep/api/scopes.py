"""Which key scope a view needs (contract §9): `read` for GET and HEAD, `write` for the
other methods, unless the view says otherwise with `@requires("admin")` (authoring,
webhooks). Views declare it; the blueprint's hooks enforce it after authentication.
"""
SCOPES = ("read", "write", "admin")
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
