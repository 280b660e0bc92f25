"""A new operator's first hour: start-up faults in one sentence, hints that can be pasted,
the listing commands, and a team that always keeps an active owner."""
import importlib.metadata
import os
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from conftest import POSTGRES_URL
from nextstep.cli import helpers as cli_helpers
from nextstep.cli import main
from nextstep.config import SETTINGS
from nextstep.db import describe_connection_error
from nextstep.models import Member, Team, database
from nextstep.services import teams
from servers import console_script

LAST_OWNER = ('Error: own@example.com is the last active owner of team "acme"; add another '
              "owner or make a member owner first.\n")


def run(runner, *args):
    return runner.invoke(args=[str(arg) for arg in args])


def start(env, *args):
    """The `nextstep` entry point with only these NEXTSTEP_* settings, as an operator runs it."""
    clean = {key: None for key in [*SETTINGS, "NEXTSTEP_INSTANCE_PATH"]}
    return CliRunner().invoke(main, list(args or ["list-teams"]), env={**clean, **env})


def refused(result, sentence):
    assert "Traceback" not in result.output
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {sentence}\n")


# --- start-up faults: one sentence on stderr, exit status 1 -------------------------------

def test_a_relative_instance_path_is_refused_with_the_absolute_one_to_use():
    refused(start({"NEXTSTEP_INSTANCE_PATH": "var/instance"}),
            f"NEXTSTEP_INSTANCE_PATH='var/instance' is not valid: it must be an absolute "
            f"path, such as '{os.path.abspath('var/instance')}'.")


def test_an_instance_folder_that_cannot_be_created_is_named(tmp_path):
    (tmp_path / "a-file").write_text("")
    path = tmp_path / "a-file" / "instance"
    refused(start({"NEXTSTEP_INSTANCE_PATH": str(path)}),
            f"The instance folder {path} cannot be created (Not a directory); create it "
            f"yourself, or set NEXTSTEP_INSTANCE_PATH to a folder NextStep may write to.")


@pytest.mark.parametrize("text, fault", [
    ('NEXTSTEP_RATE_LIMIT = "10 per minute"\nNEXTSTEP_PROXY_COUNT = (\n',
     "has a syntax error on line 2: '(' was never closed"),
    ("import os\nNEXTSTEP_PROXY_COUNT = int(os.environ['NO_SUCH_VARIABLE'])\n",
     "failed with KeyError: 'NO_SUCH_VARIABLE'"),
    ("NEXTSTEP_PROXY_COUNT = 1 / 0\n", "failed with ZeroDivisionError: division by zero"),
])
def test_a_broken_settings_file_is_named_with_its_fault(tmp_path, text, fault):
    (tmp_path / "config.py").write_text(text)
    refused(start({"NEXTSTEP_INSTANCE_PATH": str(tmp_path)}),
            f"The settings file {tmp_path / 'config.py'} {fault}; fix it, or move it away to "
            f"use the defaults.")


def test_a_sqlite_file_in_a_missing_folder_names_the_folder(tmp_path):
    folder = tmp_path / "no" / "such"
    for command in (["init-db"], ["serve", "--port", "1"]):
        refused(start({"NEXTSTEP_INSTANCE_PATH": str(tmp_path),
                       "NEXTSTEP_DATABASE_URL": f"sqlite:///{folder}/nextstep.sqlite3"}, *command),
                f"NEXTSTEP_DATABASE_URL names the SQLite file {folder}/nextstep.sqlite3, but its "
                f"folder {folder} does not exist; create it (mkdir -p {folder}), or fix the URL.")
    assert not folder.exists()


@pytest.mark.parametrize("key", ["NEXTSTEP_RATE_LIMIT", "NEXTSTEP_AUTH_FAILURE_LIMIT"])
@pytest.mark.parametrize("value", ["0 per minute", "0/second", "10 per second; 0 per hour"])
def test_a_rate_limit_of_zero_is_refused_at_start_up(tmp_path, key, value):
    meaning = SETTINGS[key][3]
    refused(start({"NEXTSTEP_INSTANCE_PATH": str(tmp_path), key: value}),
            f'{key}={value!r} is not valid: must allow at least 1 request, such as "100 per '
            f'minute" (0 would refuse every request). ({meaning})')


def test_a_rate_limit_of_one_is_fine(tmp_path):
    result = start({"NEXTSTEP_INSTANCE_PATH": str(tmp_path), "NEXTSTEP_RATE_LIMIT": "1/hour"},
                   "init-db")
    assert (result.exit_code, result.stdout) == (0, "Database ready.\n")


def test_a_postgresql_url_without_the_driver_names_the_extra(tmp_path):
    """The real console script, with psycopg2 made unimportable the way a missing one is."""
    script = console_script()
    if not script.exists():
        pytest.skip("the nextstep console script is not installed next to this Python")
    fake = tmp_path / "fake" / "psycopg2"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named psycopg2')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
    env.update(PYTHONPATH=str(tmp_path / "fake"), NEXTSTEP_INSTANCE_PATH=str(tmp_path),
               NEXTSTEP_DATABASE_URL="postgresql://nextstep@127.0.0.1:5432/nextstep")
    result = subprocess.run([str(script), "init-db"], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", (
        "Error: NEXTSTEP_DATABASE_URL is a PostgreSQL URL, but no PostgreSQL driver is "
        "installed; install it with: pip install 'nextstep[postgresql]'\n"))


@pytest.mark.skipif(not POSTGRES_URL, reason="NEXTSTEP_TEST_DATABASE_URL is not set")
def test_a_missing_postgresql_database_says_to_create_it(tmp_path):
    server, _, _name = POSTGRES_URL.rpartition("/")
    url = f"{server}/nextstep_no_such_database"
    host = url.split("@")[-1].split("/")[0]
    refused(start({"NEXTSTEP_INSTANCE_PATH": str(tmp_path), "NEXTSTEP_DATABASE_URL": url},
                  "init-db"),
            f'The PostgreSQL server at {host} has no database "nextstep_no_such_database"; '
            f"create it (e.g. `createdb nextstep_no_such_database`), then run `nextstep init-db`.")


@pytest.mark.parametrize("url, message, sentence", [
    ("postgresql://u@db.example:6543/acme",
     'connection to server at "db.example", port 6543 failed: FATAL:  database "acme" does '
     "not exist\n",
     'The PostgreSQL server at db.example:6543 has no database "acme"; create it (e.g. '
     "`createdb acme`), then run `nextstep init-db`."),
    ("postgresql://u@127.0.0.1/acme",
     'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n\tIs the '
     "server running on that host and accepting TCP/IP connections?\n",
     "Cannot reach the PostgreSQL server at 127.0.0.1:5432; start it, or fix "
     "NEXTSTEP_DATABASE_URL."),
    ("postgresql://bob@127.0.0.1/acme",
     'connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "bob" does not exist',
     'The PostgreSQL server at 127.0.0.1:5432 has no role "bob"; create it (e.g. `createuser '
     'bob`), or fix NEXTSTEP_DATABASE_URL.'),
    ("sqlite:////srv/x.sqlite3", "unable to open database file",
     "Cannot open the SQLite database /srv/x.sqlite3: check that its folder is writable by "
     "this user, or fix NEXTSTEP_DATABASE_URL."),
    ("sqlite:////srv/x.sqlite3", "no such table: team", None),
])
def test_connection_errors_are_told_as_what_to_do(url, message, sentence):
    assert describe_connection_error(url, Exception(message)) == sentence


# --- the hint names a script that runs ----------------------------------------------------

@pytest.fixture
def fake_script(tmp_path, monkeypatch):
    script = tmp_path / "srv" / ".venv" / "bin" / "nextstep"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script), "bootstrap-demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    return script


def test_the_script_inside_the_current_directory_is_named_relative_to_it(fake_script,
                                                                         monkeypatch):
    monkeypatch.chdir(fake_script.parents[2])
    assert cli_helpers.command_path() == ".venv/bin/nextstep"


def test_the_script_elsewhere_is_named_by_its_absolute_path(fake_script, monkeypatch, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert cli_helpers.command_path() == str(fake_script)


def test_the_script_on_the_path_is_named_plainly(fake_script, monkeypatch):
    monkeypatch.chdir(fake_script.parents[2])
    monkeypatch.setenv("PATH", f"{fake_script.parent}:/usr/bin:/bin")
    assert cli_helpers.command_path() == "nextstep"


def test_a_second_make_run_prints_a_key_command_that_works(tmp_path, database_url, app):
    """`make run` twice, from the folder holding .venv: the hint, pasted, makes a key."""
    script = console_script()
    if not script.exists():
        pytest.skip("the nextstep console script is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXTSTEP_")}
    env.update(NEXTSTEP_INSTANCE_PATH=str(tmp_path / "i"), NEXTSTEP_DATABASE_URL=database_url,
               PATH="/usr/bin:/bin")
    home = script.parents[2]
    relative = os.path.relpath(script, home)

    def nextstep(*args):
        return subprocess.run([relative, *args], cwd=home, env=env, capture_output=True,
                              text=True, timeout=60, check=False)
    assert nextstep("bootstrap-demo").returncode == 0
    second = nextstep("bootstrap-demo")
    hint = second.stdout.splitlines()[-1].strip()
    assert hint == f"{relative} create-api-key --team demo --by owner@example.com --name NAME"
    made = subprocess.run(["bash", "-c", hint.replace("NAME", "second")], cwd=home, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[-1].startswith("nxs_live_")


# --- --version and the listing commands ---------------------------------------------------

def test_version_prints_the_installed_version():
    result = CliRunner().invoke(main, ["--version"])
    assert (result.exit_code, result.stdout) == (
        0, f"nextstep {importlib.metadata.version('nextstep')}\n")


def test_list_teams_prints_a_table_by_subdomain(runner, make_team):
    assert run(runner, "list-teams").stdout == (
        "There are no teams yet; make one with `nextstep create-team`.\n")
    zeta = make_team(name="Zeta GmbH", subdomain="zeta", timezone="Europe/Berlin")
    acme = make_team(name="Acme", subdomain="acme", subscription_status="past_due")
    result = run(runner, "list-teams")
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["SUBDOMAIN", "ID", "NAME", "TIMEZONE", "SUBSCRIPTION", "CREATED"]
    assert [line.split()[:4] for line in lines] == [["acme", acme.id, "Acme", "UTC"],
                                                    ["zeta", zeta.id, "Zeta", "GmbH"]]
    assert lines[1].index("Europe/Berlin") == header.index("TIMEZONE")
    assert lines[0].index("past_due") == header.index("SUBSCRIPTION")


def test_list_members_shows_roles_and_who_is_active(runner, team, make_member):
    assert run(runner, "list-members", "--team", "acme").stdout == (
        "Team acme has no members; add one with `nextstep add-member`.\n")
    ann = make_member(team, email="ann@example.com", name="Ann Lee", role="owner")
    bob = make_member(team, email="bob@example.com", name="Bob", role="member", is_active=False)
    header, *lines = run(runner, "list-members", "--team", "acme").stdout.splitlines()
    assert header.split() == ["EMAIL", "USER", "ID", "NAME", "ROLE", "ACTIVE", "CREATED"]
    # Oldest first, ties (same millisecond, as here) by id: compare as a set of rows.
    rows = sorted(line.split()[:6] for line in lines)
    assert rows == [["ann@example.com", ann.id, "Ann", "Lee", "owner", "yes"],
                    ["bob@example.com", bob.id, "Bob", "member", "no", rows[1][5]]]


def test_list_templates_shows_drafts_and_versions(runner, team, make_template):
    assert run(runner, "list-templates", "--team", "acme").stdout == (
        "Team acme has no templates; add one with `nextstep import-template`.\n")
    draft = make_template(team, title="Draft", publish=False)
    live = make_template(team, title="Live")
    header, *lines = run(runner, "list-templates", "--team", "acme").stdout.splitlines()
    assert header.split() == ["ID", "TITLE", "VERSION", "PUBLISHED", "UPDATED"]
    assert sorted(line.split()[:4] for line in lines) == sorted(
        [[draft.id, "Draft", "-", "no"], [live.id, "Live", "1", "yes"]])


@pytest.mark.parametrize("args", [["list-members"], ["list-templates"],
                                  ["reactivate-member", "--email", "a@example.com"],
                                  ["set-role", "--email", "a@example.com", "owner"]])
def test_the_new_team_commands_name_an_unknown_team(runner, team, args):
    result = run(runner, args[0], "--team", "nope", *args[1:])
    assert (result.exit_code, result.stderr) == (
        1, 'Error: No team with subdomain "nope"; check the spelling, or create the team '
           'first.\n')


# --- a team keeps an active owner ---------------------------------------------------------

def get(client, key):
    return client.get("/api/v1/process-templates", headers={"Authorization": "Bearer " + key})


def state():
    return sorted((m.email, m.role, m.is_active) for m in Member.select())


def test_the_last_active_owner_cannot_be_deactivated(runner, client, team, make_member,
                                                     make_key):
    owner = make_member(team, email="own@example.com", role="owner")
    make_member(team, email="adm@example.com", role="admin")
    make_member(team, email="old@example.com", role="owner", is_active=False)
    key, _row = make_key(team, owner)
    before = state()
    result = run(runner, "deactivate-member", "--team", "acme", "--email", "own@example.com")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", LAST_OWNER)
    assert state() == before
    assert get(client, key).status_code == 200


def test_with_a_second_owner_the_first_can_go_and_come_back(runner, client, team, make_member,
                                                            make_key):
    owner = make_member(team, email="own@example.com", role="owner")
    key, _row = make_key(team, owner)
    assert run(runner, "add-member", "--team", "acme", "--email", "two@example.com", "--name",
               "Two", "--role", "owner").exit_code == 0
    assert run(runner, "deactivate-member", "--team", "acme", "--email",
               "own@example.com").exit_code == 0
    assert get(client, key).status_code == 401
    result = run(runner, "reactivate-member", "--team", "acme", "--email", "OWN@example.com")
    assert (result.exit_code, result.stdout) == (
        0, "Reactivated own@example.com; API keys they created work again unless revoked.\n")
    assert get(client, key).status_code == 200
    again = run(runner, "reactivate-member", "--team", "acme", "--email", "own@example.com")
    assert (again.exit_code, again.stdout) == (0, "own@example.com is already active; nothing "
                                                  "changed.\n")
    refused_again = run(runner, "deactivate-member", "--team", "acme", "--email",
                        "two@example.com")
    assert refused_again.exit_code == 0  # own@ is an owner again, so two@ may go
    assert run(runner, "deactivate-member", "--team", "acme", "--email",
               "own@example.com").stderr == LAST_OWNER


def test_a_revoked_key_stays_revoked_when_its_creator_comes_back(runner, client, team,
                                                                 make_member, make_key):
    make_member(team, role="owner")
    member = make_member(team, email="adm@example.com", role="admin")
    key, row = make_key(team, member)
    run(runner, "revoke-api-key", "--team", "acme", row.id)
    run(runner, "deactivate-member", "--team", "acme", "--email", "adm@example.com")
    assert run(runner, "reactivate-member", "--team", "acme", "--email",
               "adm@example.com").exit_code == 0
    assert get(client, key).status_code == 401


def test_set_role_promotes_and_refuses_to_demote_the_last_owner(runner, team, make_member):
    make_member(team, email="own@example.com", role="owner")
    make_member(team, email="adm@example.com", role="admin")
    result = run(runner, "set-role", "--team", "acme", "--email", "own@example.com", "admin")
    assert (result.exit_code, result.stderr) == (1, LAST_OWNER)
    assert run(runner, "set-role", "--team", "acme", "--email", "adm@example.com",
               "owner").stdout == "adm@example.com is now owner of team acme.\n"
    assert run(runner, "set-role", "--team", "acme", "--email", "own@example.com",
               "member").stdout == "own@example.com is now member of team acme.\n"
    assert run(runner, "set-role", "--team", "acme", "--email", "own@example.com",
               "member").stdout == "own@example.com is already member; nothing changed.\n"
    assert state() == [("adm@example.com", "owner", True), ("own@example.com", "member", True)]
    bad = run(runner, "set-role", "--team", "acme", "--email", "own@example.com", "boss")
    assert bad.exit_code == 2 and "'boss' is not one of 'owner', 'admin', 'member'" in bad.stderr


def test_a_deactivated_owner_may_be_demoted(runner, team, make_member):
    make_member(team, email="own@example.com", role="owner")
    make_member(team, email="old@example.com", role="owner", is_active=False)
    assert run(runner, "set-role", "--team", "acme", "--email", "old@example.com",
               "member").exit_code == 0


def test_two_owners_leaving_at_once_leave_one_behind(team, make_member):
    """Each deactivation waits after its check for the other; with the team locked the
    second cannot even reach its check until the first commits, and is then refused."""
    first = make_member(team, email="a@example.com", role="owner")
    second = make_member(team, email="b@example.com", role="owner")
    barrier, results = threading.Barrier(2), {}
    real_check = teams._keep_an_owner

    def check_then_wait(member):
        real_check(member)
        try:
            barrier.wait(timeout=3)  # only reached by both when nothing serialises them
        except threading.BrokenBarrierError:
            pass

    def leave(member):
        try:
            with database.connection_context():
                results[member.email] = teams.deactivate_member(member)[1]
        except Exception as error:  # the assertions below report it
            results[member.email] = error

    teams._keep_an_owner = check_then_wait
    try:
        threads = [threading.Thread(target=leave, args=(m,)) for m in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        teams._keep_an_owner = real_check
    outcomes = sorted(str(value) for value in results.values())
    assert len(outcomes) == 2 and outcomes[0] == "True", results
    assert "is the last active owner" in outcomes[1]
    assert Member.select().where(Member.is_active).count() == 1
    assert Team.select().count() == 1


def test_the_sample_demo_owner_is_protected_too(runner):
    assert run(runner, "bootstrap-demo").exit_code == 0
    result = run(runner, "deactivate-member", "--team", "demo", "--email", "owner@example.com")
    assert result.stderr == ('Error: owner@example.com is the last active owner of team "demo"; '
                             "add another owner or make a member owner first.\n")


def test_help_lists_the_new_commands(tmp_path):
    result = start({"NEXTSTEP_INSTANCE_PATH": str(tmp_path)}, "--help")
    for name in ("list-teams", "list-members", "list-templates", "reactivate-member",
                 "set-role", "backup"):
        assert name in result.stdout
