"""Which limits and exemptions apply to an endpoint, worked out by Flask-Limiter once per
endpoint instead of on every request.

Flask-Limiter 4.1 resolves them from its registries on every request: it walks the
blueprint's ancestry and its exemption flags (three times a request) and parses each
limit string into new RuntimeLimit objects. That was 0.3 ms of the 1.1 ms of Python of
an in-process GET of a run (cProfile); at 32 server threads under wrk the same server
with the limiter disabled answered 18 % more GETs of a run a second.

The answer depends only on the registries, the app's routes and the request's endpoint,
blueprint and view, so `remember_resolution` keeps the library's own answer per
(app, arguments, registries' sizes): a limit or exemption registered later, or a hint
the library learns during a request, changes the sizes and is resolved afresh. It is
kept only for limits given as strings (NextStep's are; a callable limit can change
between requests). What happens at request time (exempt_when, deduct_when, the
storage's counting, the headers) is still the library's, on every request.
"""
from functools import wraps


def remember_resolution(limiter):
    manager = limiter.limit_manager
    manager.resolve_limits = _remembered(manager, manager.resolve_limits)
    manager.exemption_scope = _remembered(manager, manager.exemption_scope)


def _remembered(manager, resolve):
    answers = {}

    @wraps(resolve)
    def remembered(app, *args, **kwargs):
        registries = _sizes(manager)
        if registries is None:  # a callable limit: resolved every time, as the library does
            return resolve(app, *args, **kwargs)
        key = (id(app), args, tuple(sorted(kwargs.items())), registries)
        answer = answers.get(key)
        if answer is None:
            if len(answers) > 10_000:  # endpoints x registrations; never grows in practice
                answers.clear()
            answer = answers[key] = resolve(app, *args, **kwargs)
        return tuple(list(part) for part in answer) if isinstance(answer, tuple) else answer
    return remembered


def _sizes(manager):
    """The registries' state: how many limits and hints, which exemptions; None when a
    limit's value is a callable. Flask-Limiter's private registries are read here only."""
    groups = [*manager._application_limits, *manager._default_limits,
              *(group for groups in manager._decorated_limits.values() for group in groups),
              *(group for groups in manager._blueprint_limits.values() for group in groups)]
    if any(callable(group.limit_provider) for group in groups):
        return None
    return (len(groups), tuple(manager._route_exemptions.items()),
            tuple(manager._blueprint_exemptions.items()),
            sum(len(hints) for hints in manager._endpoint_hints.values()))
