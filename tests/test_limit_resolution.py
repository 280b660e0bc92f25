"""limit_resolution: Flask-Limiter's answer for an endpoint, kept, and still the library's
answer when its registries change or a limit is a callable."""
from flask import Blueprint, Flask
from flask_limiter import ExemptionScope, Limiter

from nextstep.limit_resolution import remember_resolution


def build(limit="2 per minute"):
    app = Flask(__name__)
    parent, child, other = Blueprint("parent", __name__), Blueprint("child", __name__), \
        Blueprint("other", __name__)
    child.add_url_rule("/thing", "thing", lambda: "ok")
    other.add_url_rule("/other", "other", lambda: "ok")
    parent.register_blueprint(child)
    parent.register_blueprint(other)
    limiter = Limiter(key_func=lambda: "everyone", storage_uri="memory://",
                      default_limits=[], application_limits=[])
    limiter.shared_limit(limit, scope="all")(parent)
    app.register_blueprint(parent)
    limiter.init_app(app)
    remember_resolution(limiter)
    return app, limiter, other


def statuses(app, path, times):
    client = app.test_client()
    return [client.get(path).status_code for _ in range(times)]


def test_the_limit_applies_as_the_library_resolves_it():
    app, _limiter, _other = build()
    assert statuses(app, "/thing", 3) == [200, 200, 429]
    assert statuses(app, "/other", 1) == [429]  # one shared allowance


def test_an_exemption_registered_after_requests_takes_effect():
    app, limiter, other = build()
    assert statuses(app, "/thing", 2) == [200, 200]
    assert statuses(app, "/other", 1) == [429]
    limiter.exempt(other, flags=ExemptionScope.ANCESTORS | ExemptionScope.DEFAULT
                   | ExemptionScope.APPLICATION)
    assert statuses(app, "/other", 3) == [200, 200, 200]
    assert statuses(app, "/thing", 1) == [429]


def test_a_callable_limit_is_read_on_every_request():
    allowance = {"value": "1 per minute"}
    app, _limiter, _other = build(lambda: allowance["value"])
    assert statuses(app, "/thing", 2) == [200, 429]
    allowance["value"] = "5 per minute"
    assert statuses(app, "/thing", 2) == [200, 200]


def test_remembered_answers_equal_the_librarys():
    app, limiter, _other = build()
    manager = limiter.limit_manager
    resolve = manager.resolve_limits.__wrapped__
    with app.test_request_context("/thing"):
        for args in (("child.thing", "parent.child", None, True, False),
                     ("other.other", "parent.other", None, False, False), (None, None)):
            for _twice in (1, 2):
                ours, theirs = manager.resolve_limits(app, *args), resolve(app, *args)
                assert [[(r.limit, r.scope) for r in part] for part in ours] == \
                    [[(r.limit, r.scope) for r in part] for part in theirs]
            assert manager.exemption_scope(app, args[0], args[1]) == \
                manager.exemption_scope.__wrapped__(app, args[0], args[1])
