"""NextStep mounted inside a host Flask app: both work, neither changes the other."""
import os
import subprocess
import sys
from pathlib import Path

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


# --- the CLI: one `nextstep` group on a host, top level on our own app ---------------------

def test_on_a_host_our_commands_sit_under_one_nextstep_group(host):
    @host.cli.command("init-db")
    def host_init_db():
        print("host init-db")

    runner = host.test_cli_runner()
    assert runner.invoke(args=["init-db"]).output == "host init-db\n"
    assert runner.invoke(args=["nextstep", "init-db"]).output == "Database ready.\n"
    created = runner.invoke(args=["nextstep", "create-team", "--name", "Acme", "--subdomain",
                                  "acme"])
    assert created.exit_code == 0, created.output
    assert Team.get().subdomain == "acme"
    ours = set(host.cli.commands["nextstep"].commands)
    assert {"init-db", "create-team", "serve", "backup", "list-teams"} <= ours
    assert set(host.cli.commands) <= {"init-db", "nextstep", "limiter"}


@pytest.mark.parametrize("cli_group, top", [(None, True), ("ns", False)])
def test_the_group_is_the_extensions_choice(database_url, tmp_path, cli_group, top):
    app = Flask("grouped", instance_path=str(tmp_path / "grouped"))
    app.config.update(NEXTSTEP_DATABASE_URL=database_url)
    NextStep(app, cli_group=cli_group)
    assert ("init-db" in app.cli.commands) is top
    assert ("ns" in app.cli.commands) is not top
    other = Flask("init_app_way", instance_path=str(tmp_path / "other"))
    other.config.update(NEXTSTEP_DATABASE_URL=database_url)
    NextStep().init_app(other, cli_group=cli_group)
    assert ("init-db" in other.cli.commands) is top


def test_create_app_keeps_the_commands_top_level(app):
    assert "init-db" in app.cli.commands and "nextstep" not in app.cli.commands


def test_flask_cli_on_a_host_module_runs_our_group(tmp_path, database_url):
    """What the README says: `flask --app yourapp nextstep init-db`."""
    flask = Path(sys.executable).parent / "flask"
    if not flask.exists():
        pytest.skip("the flask command is not installed next to this Python")
    (tmp_path / "yourapp.py").write_text(
        "from flask import Flask\nfrom nextstep import NextStep\n\n"
        "app = Flask(__name__)\n"
        f"app.config['NEXTSTEP_DATABASE_URL'] = {database_url!r}\n"
        "NextStep(app)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
    with fresh_tables():
        def flask_cli(*args):
            return subprocess.run([str(flask), "--app", "yourapp", *args], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=60, check=False)
        result = flask_cli("nextstep", "init-db")
        assert (result.returncode, result.stdout) == (0, "Database ready.\n"), result.stderr
        listed = flask_cli("nextstep", "list-teams")
        assert listed.stdout == "There are no teams yet; make one with `nextstep create-team`.\n"
        top = flask_cli("init-db")
        assert top.returncode == 2 and "No such command 'init-db'" in top.stderr
