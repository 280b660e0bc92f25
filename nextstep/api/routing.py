"""Unknown paths and wrong methods under our prefix, answered in our envelope.

Routing errors never reach blueprint handlers, so the parent blueprint owns catch-all
rules; to tell 404 from 405 they match the path against our real rules only.
"""
from flask import current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

CATCH_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CATCH_ALL_ENDPOINT = "unmatched"


def _own_rules_map(app, blueprint_name):
    state = app.extensions["nextstep"]
    if state.routes is None:
        own = [rule for rule in app.url_map.iter_rules()
               if rule.endpoint.startswith(blueprint_name + ".")
               and not rule.endpoint.endswith("." + CATCH_ALL_ENDPOINT)]
        state.routes = Map([Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
                            for rule in own]).bind("localhost")
    return state.routes


def unmatched(subpath=""):
    routes = _own_rules_map(current_app, request.blueprints[-1])
    allowed = routes.allowed_methods(request.path)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound()


def add_catch_all(blueprint):
    blueprint.add_url_rule("/", CATCH_ALL_ENDPOINT, unmatched, methods=CATCH_ALL_METHODS,
                           provide_automatic_options=False)
    blueprint.add_url_rule("/<path:subpath>", CATCH_ALL_ENDPOINT, unmatched,
                           methods=CATCH_ALL_METHODS, provide_automatic_options=False)
