"""NextStep mounted inside a host Flask app: both work, neither changes the other."""
import pytest
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from conftest import fresh_tables
from nextstep import NextStep
from nextstep.models import Member, Team
from nextstep.ratelimit import HOST_EXEMPTION
from nextstep.services.keys import create_api_key

PREFIX = "/nextstep/api/v1"


@pytest.fixture
def host(database_url, tmp_path):
    app = Flask("host_app", instance_path=str(tmp_path / "host-instance"))
    app.config.update(TESTING=True, NEXTSTEP_DATABASE_URL=database_url,
                      NEXTSTEP_RATE_LIMIT="3 per minute")
    host_limiter = Limiter(get_remote_address, app=app, storage_uri="memory://",
                           default_limits=[])

    @app.route("/")
    @host_limiter.limit("2 per minute")
    def home():
        return "host home"

    @app.errorhandler(404)
    def host_not_found(error):
        return "<h1>Host page not found</h1>", 404

    @app.errorhandler(429)
    def host_too_many(error):
        return "<h1>Host says slow down</h1>", 429

    NextStep().init_app(app, url_prefix=PREFIX)
    with fresh_tables():
        yield app


@pytest.fixture
def key(host):
    team = Team.create(name="Acme", subdomain="acme")
    owner = Member.create(team=team, email="o@example.com", name="O", role="owner")
    return create_api_key(team, owner, "k")[1]


def test_both_serve_their_own_routes(host, key):
    client = host.test_client()
    assert client.get("/").data == b"host home"
    response = client.get(PREFIX + "/process-templates", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.json["data"] == []
    assert client.get("/api/v1/process-templates").status_code == 404


def test_the_hosts_404_page_stays_the_hosts(host, key):
    client = host.test_client()
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.data == b"<h1>Host page not found</h1>"
    ours = client.get(PREFIX + "/missing", headers={"Authorization": f"Bearer {key}"})
    assert ours.json == {"error": {"code": "not_found", "message": "Resource not found"}}


def test_our_limit_does_not_touch_the_hosts_routes(host, key):
    client = host.test_client()
    auth = {"Authorization": f"Bearer {key}"}
    assert [client.get(PREFIX + "/process-templates", headers=auth).status_code
            for _ in range(4)] == [200, 200, 200, 429]
    ours = client.get(PREFIX + "/process-templates", headers=auth)
    assert ours.json["error"]["code"] == "rate_limited"
    host_statuses = [client.get("/").status_code for _ in range(3)]
    assert host_statuses == [200, 200, 429]
    host_response = client.get("/")
    assert host_response.data == b"<h1>Host says slow down</h1>"
    assert "X-RateLimit-Limit" not in host_response.headers
    assert host_response.mimetype == "text/html"


def test_the_hosts_limit_does_not_touch_ours(host, key):
    client = host.test_client()
    for _ in range(3):
        client.get("/")
    response = client.get(PREFIX + "/process-templates", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "3"


def test_our_hooks_do_not_run_on_host_routes(host):
    client = host.test_client()
    response = client.get("/")
    assert "X-Request-Id" not in response.headers
    assert response.status_code == 200


def test_nextstep_app_takes_the_extension_the_short_way(database_url, tmp_path):
    app = Flask("other_host", instance_path=str(tmp_path / "other"))
    app.config.update(NEXTSTEP_DATABASE_URL=database_url)
    NextStep(app)
    assert app.extensions["nextstep"].url_prefix == "/api/v1"
    assert app.test_client().get("/api/v1/health").status_code == 200


def _host_with_default_limits(database_url, tmp_path, limiter_first):
    app = Flask("limited_host", instance_path=str(tmp_path / "limited-host"))
    app.config.update(TESTING=True, NEXTSTEP_DATABASE_URL=database_url)

    @app.route("/")
    def home():
        return "host home"

    def host_limiter():
        return Limiter(get_remote_address, app=app, storage_uri="memory://",
                       default_limits=["3 per minute"])
    if limiter_first:
        host_limiter()
        NextStep().init_app(app, url_prefix=PREFIX)
    else:
        NextStep().init_app(app, url_prefix=PREFIX)
        limiter = host_limiter()
        limiter.exempt(app.blueprints["nextstep"], flags=HOST_EXEMPTION)  # docs: embedding
    return app


@pytest.mark.parametrize("limiter_first", [True, False], ids=["host-limiter-first",
                                                               "host-limiter-after"])
def test_a_host_limiters_default_limits_leave_our_blueprint_alone(database_url, tmp_path,
                                                                   limiter_first):
    app = _host_with_default_limits(database_url, tmp_path, limiter_first)
    with fresh_tables():
        team = Team.create(name="Acme", subdomain="acme")
        owner = Member.create(team=team, email="o@example.com", name="O", role="owner")
        auth = {"Authorization": f"Bearer {create_api_key(team, owner, 'k')[1]}"}
        client = app.test_client()
        ours = [client.get(PREFIX + "/process-templates", headers=auth) for _ in range(5)]
        assert [r.status_code for r in ours] == [200] * 5
        assert ours[-1].headers["X-RateLimit-Limit"] == "100"
        assert [client.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]
