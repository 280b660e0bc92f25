"""Routing under our prefix: whatever the path or method, the answer is our envelope.

Routing errors never reach blueprint handlers, so the parent blueprint owns a catch-all
rule for every path below the prefix and *every* method (TRACE, PROPFIND, ...: a werkzeug
Rule without a method list, which Flask's `add_url_rule` cannot make). It tells 404 from
405 by matching the path against our real rules only, and answers OPTIONS itself so that
`Allow` names only the methods that path has. Our rules neither merge slashes nor add a
trailing one: werkzeug answers both with an HTML 308 redirect.
"""
import re

from flask import Blueprint, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, Rule

from .errors import handle_http_exception
from .request_id import request_id

CATCH_ALL_ENDPOINT = "unmatched"
ANY_PATH_CONVERTER = "nextstep_any_path"


class AnyPath(BaseConverter):
    """Any rest of a path, empty or starting with a slash (`//x`); werkzeug's `path`
    converter needs a first character that is not a slash."""

    regex = "[\\s\\S]*"
    part_isolating = False


class ApiBlueprint(Blueprint):
    """A blueprint whose rules never redirect, and leave OPTIONS to the catch-all."""

    def add_url_rule(self, rule, endpoint=None, view_func=None,
                     provide_automatic_options=None, **options):
        options.setdefault("merge_slashes", False)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options=False,
                             **options)


def _own_routes(app, blueprint_name):
    """Our real rules alone, bound once per app, to ask which methods a path has."""
    state = app.extensions["nextstep"]
    if state.routes is None:
        own = [rule for rule in app.url_map.iter_rules()
               if rule.endpoint.startswith(blueprint_name + ".")
               and not rule.endpoint.endswith("." + CATCH_ALL_ENDPOINT)]
        state.routes = Map([Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
                            for rule in own], merge_slashes=False).bind("localhost")
    return state.routes


def allowed_methods(path):
    """The methods our rules serve at `path` (OPTIONS included), or an empty list."""
    allowed = _own_routes(current_app, request.blueprints[-1]).allowed_methods(path)
    return sorted({*allowed, "OPTIONS"}) if allowed else []


def unmatched(subpath=""):
    allowed = allowed_methods(request.path)
    if not allowed:
        raise NotFound()
    if request.method == "OPTIONS":
        response = current_app.response_class(status=204, headers={"Allow": ", ".join(allowed)})
        del response.headers["Content-Type"]  # no body, so no type
        return response
    raise MethodNotAllowed(valid_methods=allowed)


def add_catch_all(blueprint):
    blueprint.record(_register_catch_all)


def _register_catch_all(state):
    """Added to the app's map directly: a Rule made here may have no method list."""
    app = state.app
    app.url_map.converters.setdefault(ANY_PATH_CONVERTER, AnyPath)
    endpoint = f"{state.name_prefix}.{state.name}.{CATCH_ALL_ENDPOINT}".lstrip(".")
    prefix = (state.url_prefix or "").rstrip("/")
    app.url_map.add(Rule(prefix + "/", endpoint=endpoint, strict_slashes=False,
                         merge_slashes=False))
    app.url_map.add(Rule(f"{prefix}/<{ANY_PATH_CONVERTER}:subpath>", endpoint=endpoint,
                         merge_slashes=False))
    app.view_functions[endpoint] = unmatched


def answer_stray_paths(app, url_prefix):
    """For `create_app` only, which owns the whole app: a path that reaches our prefix only
    once its slashes are merged (`//api/v1/x`) fails routing before our blueprint is
    chosen, so the app's own 404/405 would answer it in HTML."""
    def handle(error):
        merged = re.sub("/{2,}", "/", request.path)
        if merged != url_prefix and not merged.startswith(url_prefix + "/"):
            return error
        response = handle_http_exception(error)
        response.headers["X-Request-Id"] = request_id()
        return response

    for status in (404, 405):
        app.register_error_handler(status, handle)
