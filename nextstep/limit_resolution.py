"""Which limits and exemptions apply to an endpoint, worked out by Flask-Limiter once per
endpoint instead of on every request.

Flask-Limiter 4.1 resolves them from its registries on every request: it walks the
blueprint's ancestry and its exemption flags (three times a request) and parses each
limit string into new RuntimeLimit objects. That was 0.3 ms of the 1.1 ms of Python of
an in-process GET of a run (cProfile); at 32 server threads under wrk the same server
with the limiter disabled answered 18 % more GETs of a run a second.

The answer depends only on the registries, the app's routes and the request's endpoint,
blueprint and view, so `remember_resolution` keeps the library's own answer per (app,
arguments), and forgets every answer whenever the registries change: the library changes
them only through its LimitManager's add_* and set_* methods (a limit or exemption
registered late, a hint learnt during a request), which are wrapped to say so. Nothing
is kept while a limit is given as a callable (NextStep's are strings; a callable can
change between requests). What happens at request time (exempt_when, deduct_when, the
storage's counting, the headers) is still the library's, on every request.
"""
from functools import wraps

REGISTERING = ("set_application_limits", "set_default_limits", "add_decorated_limit",
               "add_blueprint_limit", "add_route_exemption", "add_blueprint_exemption",
               "add_endpoint_hint")


def remember_resolution(limiter):
    RememberedResolution(limiter.limit_manager)


class RememberedResolution:
    def __init__(self, manager):
        self.manager, self.answers, self.keeping = manager, {}, False
        for name in REGISTERING:
            setattr(manager, name, self._forgetting(getattr(manager, name)))
        manager.resolve_limits = self._remembered(manager.resolve_limits)
        manager.exemption_scope = self._remembered(manager.exemption_scope)
        self.forget()

    def forget(self):
        """The registries changed: drop every answer. Flask-Limiter's private registries
        are read here only."""
        manager = self.manager
        groups = [*manager._application_limits, *manager._default_limits,
                  *(group for groups in manager._decorated_limits.values() for group in groups),
                  *(group for groups in manager._blueprint_limits.values() for group in groups)]
        self.answers = {}
        self.keeping = not any(callable(group.limit_provider) for group in groups)

    def _forgetting(self, register):
        @wraps(register)
        def registering(*args, **kwargs):
            try:
                return register(*args, **kwargs)
            finally:
                self.forget()
        return registering

    def _remembered(self, resolve):
        @wraps(resolve)
        def remembered(app, *args, **kwargs):
            if not self.keeping:
                return resolve(app, *args, **kwargs)
            key = (id(app), resolve.__name__, args, tuple(sorted(kwargs.items())))
            answers = self.answers
            answer = answers.get(key)
            if answer is None:
                answer = answers[key] = resolve(app, *args, **kwargs)
            return tuple(list(part) for part in answer) if isinstance(answer, tuple) else answer
        return remembered
