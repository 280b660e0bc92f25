"""`make run`'s commands: init-db, bootstrap-demo and its sample file, serve (waitress)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import nextstep
from nextstep import wsgi_server
from nextstep.cli import COMMANDS, main
from nextstep.cli import serve as serving
from nextstep.cli.helpers import command_path
from nextstep.db import drop_tables
from nextstep.models import (
    ApiKey,
    CustomElement,
    Member,
    Section,
    Team,
    Template,
    TemplateTask,
    TemplateVersion,
)
from nextstep.services import demo
from servers import loggers_restored, request, serving_in_thread

# The hint names the script as it can be run from here (test_operator.py tests how).
HINT = ("Teams already exist, so no demo data was created. To make another key:\n"
        f"  {command_path()} create-api-key --team demo --by owner@example.com --name NAME\n")


def counts():
    return [model.select().count() for model in (Team, Member, ApiKey, Template, TemplateTask)]


def test_first_run_creates_a_demo_whose_curl_line_works(runner, client):
    result = runner.invoke(args=["bootstrap-demo"])
    assert result.exit_code == 0, result.output
    key = result.stdout.splitlines()[-1]
    assert result.stdout.splitlines() == [
        'Created team "demo", owner owner@example.com and published template '
        '"Employee onboarding".',
        "Your API key is on the last line; it is shown only this once. Try:",
        f'  curl -H "Authorization: Bearer {key}" http://127.0.0.1:8080/api/v1/process-templates',
        key]
    assert counts() == [1, 1, 1, 1, 8]
    owner = Member.get()
    assert (owner.email, owner.role, owner.team.subdomain) == ("owner@example.com", "owner", "demo")
    template = Template.get()
    assert (template.version, template.is_published) == (1, True)
    response = client.get("/api/v1/process-templates", headers={"Authorization": "Bearer " + key})
    assert response.status_code == 200
    assert [t["title"] for t in response.json["data"]] == ["Employee onboarding"]


def test_a_second_run_creates_nothing_and_says_how_to_make_a_key(runner):
    runner.invoke(args=["bootstrap-demo"])
    result = runner.invoke(args=["bootstrap-demo"])
    assert (result.exit_code, result.stdout) == (0, HINT)
    assert counts() == [1, 1, 1, 1, 8]


def test_with_other_teams_and_no_demo_the_hint_is_generic(runner, make_team):
    make_team(subdomain="acme")
    result = runner.invoke(args=["bootstrap-demo"])
    assert result.stdout.splitlines()[-1] == (
        f"  {command_path()} create-api-key --team SUBDOMAIN --by OWNER_EMAIL --name NAME")
    assert counts() == [1, 0, 0, 0, 0]


@pytest.mark.parametrize("host, url", [
    ("0.0.0.0", "http://127.0.0.1:9000/api/v1"), ("::", "http://[::1]:9000/api/v1"),
    ("::1", "http://[::1]:9000/api/v1"), ("example.org", "http://example.org:9000/api/v1")])
def test_the_curl_line_names_a_reachable_address(runner, host, url):
    result = runner.invoke(args=["bootstrap-demo", "--host", host, "--port", "9000"])
    assert result.stdout.splitlines()[-2].endswith(f" {url}/process-templates")


def test_a_bad_sample_file_creates_nothing(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"title": "x", "tasks": [{"title": "a", "depends_on": ["b"]}]}')
    result = runner.invoke(args=["bootstrap-demo", "--file", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        'Import failed: tasks.0.depends_on.0: Unknown task key "b".')
    assert counts() == [0, 0, 0, 0, 0]


def test_another_file_can_be_the_demo_template(runner, tmp_path):
    path = tmp_path / "small.json"
    path.write_text('{"title": "Small", "tasks": [{"title": "Only"}]}')
    result = runner.invoke(args=["bootstrap-demo", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert Template.get().title == "Small"


def test_without_a_sample_file_it_says_to_pass_one(runner, monkeypatch):
    monkeypatch.setattr(serving, "find_sample", lambda: None)
    result = runner.invoke(args=["bootstrap-demo"])
    assert (result.exit_code, result.stderr) == (1, (
        "Error: The sample template nextstep/examples/onboarding.json is not installed; pass "
        "--file with a template file (see docs/import-format.md).\n"))
    assert counts() == [0, 0, 0, 0, 0]


def test_a_team_made_meanwhile_by_another_process_is_reported(runner, monkeypatch):
    monkeypatch.setattr(serving, "bootstrap_demo", lambda data, timezone: None)
    result = runner.invoke(args=["bootstrap-demo"])
    assert (result.exit_code, result.stderr) == (1, (
        "Error: Another process created a team at the same moment; run bootstrap-demo again "
        "to see how to make a key.\n"))


def test_bootstrap_demo_rechecks_for_teams_inside_its_transaction(make_team):
    make_team()
    assert demo.bootstrap_demo({"title": "T", "tasks": [{"title": "A"}]}, "UTC") is None
    assert counts() == [1, 0, 0, 0, 0]


def test_the_sample_ships_in_the_package_and_docs_shows_the_same_file():
    package = Path(nextstep.__file__).resolve().parent
    assert demo.find_sample() == package / "examples" / "onboarding.json"
    docs_copy = package.parent / "docs" / "examples" / "onboarding.json"
    assert docs_copy.resolve() == demo.find_sample()


def test_missing_tables_say_to_run_init_db(runner):
    drop_tables()
    create_team = ["create-team", "--name", "T", "--subdomain", "acme"]
    result = runner.invoke(args=create_team)
    assert result.exit_code == 1 and result.stderr.startswith("Error: Database error: ")
    assert result.stderr.endswith("\nCheck NEXTSTEP_DATABASE_URL, and run `nextstep init-db` "
                                  "if the tables are missing.\n")
    assert runner.invoke(args=["init-db"]).stdout == "Database ready.\n"
    assert runner.invoke(args=create_team).exit_code == 0


def test_the_sample_file_imports_cleanly_and_covers_the_format(runner, team):
    sample = str(demo.find_sample())
    result = runner.invoke(args=["import-template", "--team", "acme", sample, "--publish"])
    tpl = Template.get()
    assert result.stdout == (f'Imported template "Employee onboarding": published as '
                             f"version 1.\n{tpl.id}\n")
    assert (tpl.version, tpl.is_published, tpl.visibility) == (1, True, "team")
    assert [model.select().count() for model in (Section, TemplateTask, CustomElement,
                                                 TemplateVersion)] == [3, 8, 16, 1]
    assert {"shortText", "email", "date", "dropdown", "checkbox", "member", "text",
            "heading", "multiSelect"} <= {e.type for e in CustomElement.select()}
    tasks = list(TemplateTask.select())
    assert {t.type for t in tasks} == {"task", "approval"}
    assert any(not t.is_essential for t in tasks) and any(t.depends_on for t in tasks)
    rules = [t.due_date for t in tasks if t.due_date]
    assert any(r["from"] == "run_start" for r in rules)
    assert any(r["from"].startswith("task:") and r["business_days"] for r in rules)


class FakeServer:
    def __init__(self, app, options):
        self.app, self.options, self.ran = app, options, False

    def run(self):
        self.ran = True


@pytest.fixture
def served(monkeypatch):
    """The servers `serve` would have run, and with what."""
    calls = []

    def create_server(app, **options):
        calls.append(FakeServer(app, options))
        return calls[-1]
    monkeypatch.setattr(wsgi_server, "create_server", create_server)
    with loggers_restored("", "nextstep", "nextstep.access", "waitress"):
        yield calls


SERVE_DEFAULTS = {"host": "127.0.0.1", "port": 8080, "threads": 8,
                  "max_request_body_size": 17 * 1024 * 1024, "connection_limit": 1000,
                  "asyncore_use_poll": True, "request_timeout": 30, "channel_timeout": 30,
                  "cleanup_interval": 1, "clear_untrusted_proxy_headers": True}


def test_serve_runs_waitress_on_this_app_with_safe_defaults(app, runner, served):
    result = runner.invoke(args=["serve"])
    assert (result.exit_code, result.stdout) == (0, (
        "Serving NextStep on http://127.0.0.1:8080/api/v1 with 8 threads; Ctrl+C stops it.\n"))
    [server] = served
    assert server.app is app and server.ran
    assert server.options == SERVE_DEFAULTS


def test_serve_takes_host_port_and_threads(app, runner, served):
    app.config["NEXTSTEP_MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    result = runner.invoke(args=["serve", "--host", "0.0.0.0", "--port", "9000",
                                 "--threads", "3"])
    assert result.exit_code == 0, result.output
    assert served[0].options == dict(SERVE_DEFAULTS, host="0.0.0.0", port=9000, threads=3,
                                     max_request_body_size=64 * 1024 * 1024)


def test_serve_passes_the_connection_settings_on(app, runner, served):
    app.config.update(NEXTSTEP_CONNECTION_LIMIT=300, NEXTSTEP_REQUEST_TIMEOUT=5,
                      NEXTSTEP_PROXY_COUNT=1)
    assert runner.invoke(args=["serve"]).exit_code == 0
    assert served[0].options == dict(SERVE_DEFAULTS, connection_limit=300, request_timeout=5,
                                     channel_timeout=5, clear_untrusted_proxy_headers=False)


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "65536"], ["--threads", "0"],
                                  ["--port", "http"]])
def test_serve_refuses_bad_numbers_as_usage_errors(runner, served, args):
    result = runner.invoke(args=["serve", *args])
    assert result.exit_code == 2 and "Invalid value" in result.stderr
    assert served == []


def test_an_oversized_body_gets_our_json_413_through_waitress(app):
    app.config["NEXTSTEP_MAX_CONTENT_LENGTH"] = 1000
    options = wsgi_server.server_options(app.config, "127.0.0.1", 0, 1)
    with serving_in_thread(app, wsgi_server.create_server, **options) as server:
        status, _headers, body = request(server.effective_port, "POST",
                                         "/api/v1/process-templates", body=b"x" * 50_000,
                                         headers={"Content-Type": "application/json"})
    assert status == 413
    assert json.loads(body) == {"error": {"code": "payload_too_large",
                                          "message": "The request body is larger than 1000 bytes"}}


def test_the_console_script_lists_every_command(tmp_path):
    script = Path(sys.executable).parent / "nextstep"
    if not script.exists():
        pytest.skip("the nextstep console script is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
    env["NEXTSTEP_INSTANCE_PATH"] = str(tmp_path / "instance")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command.name in result.stdout


def test_the_console_script_reports_a_bad_setting_without_a_traceback(tmp_path):
    env = {"NEXTSTEP_INSTANCE_PATH": str(tmp_path), "NEXTSTEP_DEFAULT_TIMEZONE": "Mars/Base"}
    result = CliRunner().invoke(main, ["create-team", "--name", "A", "--subdomain", "a"], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: NEXTSTEP_DEFAULT_TIMEZONE='Mars/Base' is not valid")


def test_help_with_a_bad_setting_says_so_in_one_sentence(tmp_path):
    env = {"NEXTSTEP_INSTANCE_PATH": str(tmp_path), "NEXTSTEP_PROXY_COUNT": "many"}
    result = CliRunner().invoke(main, ["--help"], env=env)
    assert result.exit_code == 0
    assert result.stderr == ("Error: NEXTSTEP_PROXY_COUNT='many' in the environment is not "
                             "valid: expected a whole number.\n\n")
    assert "Traceback" not in result.output
