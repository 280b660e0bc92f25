"""Operator commands for teams, members, keys and subscriptions (docs/cli.md)."""
import pytest

from nextstep.errors import APIError
from nextstep.models import ApiKey, Member, Team
from nextstep.services import teams
from nextstep.services.keys import KEY_PATTERN, digest_of

URL = "/api/v1/process-templates"
RESERVED = "(reserved: admin, api, app, help, mail, static, www)"
NO_TEAM = 'Error: No team with subdomain "nope"; check the spelling, or create the team first.\n'


def run(runner, *args):
    return runner.invoke(args=[str(arg) for arg in args])


def counts():
    return (Team.select().count(), Member.select().count(), ApiKey.select().count())


def get(client, key):
    return client.get(URL, headers={"Authorization": "Bearer " + key})


def test_create_team_prints_the_id_last_and_uses_the_default_timezone(app, runner):
    app.config["NEXTSTEP_DEFAULT_TIMEZONE"] = "Asia/Tokyo"
    result = run(runner, "create-team", "--name", "Acme Inc", "--subdomain", "acme")
    team = Team.get()
    assert (result.exit_code, result.stderr, result.stdout.splitlines()) == (0, "", [
        'Created team "Acme Inc" (subdomain acme, timezone Asia/Tokyo).', team.id])
    assert (team.name, team.subdomain, team.timezone, team.subscription_status) == (
        "Acme Inc", "acme", "Asia/Tokyo", "active")


@pytest.mark.parametrize("subdomain", ["a", "a-b", "0team", "x" * 63])
def test_create_team_accepts_every_valid_subdomain(runner, subdomain):
    result = run(runner, "create-team", "--name", "T", "--subdomain", subdomain,
                 "--timezone", "Europe/Paris")
    assert result.exit_code == 0, result.output
    assert Team.get(Team.subdomain == subdomain).timezone == "Europe/Paris"


@pytest.mark.parametrize("subdomain, message", [
    *[(name, f'Subdomain "{name}" is reserved; choose another {RESERVED}.')
      for name in ("app", "www", "help", "api", "admin", "mail", "static")],
    ("-acme", 'Subdomain "-acme" is not valid: it must not start or end with a hyphen.'),
    ("acme-", 'Subdomain "acme-" is not valid: it must not start or end with a hyphen.'),
    ("x" * 64, f'Subdomain "{"x" * 64}" is not valid: use 1 to 63 characters.'),
    ("", 'Subdomain "" is not valid: use 1 to 63 characters.'),
    ("Acme", 'Subdomain "Acme" is not valid: use only lowercase letters, digits and hyphens.'),
    ("ac_me", 'Subdomain "ac_me" is not valid: use only lowercase letters, digits and hyphens.'),
    ("ac.me", 'Subdomain "ac.me" is not valid: use only lowercase letters, digits and hyphens.'),
])
def test_create_team_refuses_bad_subdomains(runner, subdomain, message):
    result = run(runner, "create-team", "--name", "T", "--subdomain", subdomain)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("args, message", [
    (["--subdomain", "acme"], 'Subdomain "acme" is already taken; choose another.'),
    (["--subdomain", "new", "--timezone", "Mars/Base"],
     'Unknown timezone "Mars/Base"; use an IANA name such as "Europe/Paris" or "UTC".'),
    (["--subdomain", "new", "--timezone", "../etc/passwd"],
     'Unknown timezone "../etc/passwd"; use an IANA name such as "Europe/Paris" or "UTC".'),
    (["--subdomain", "new", "--name", " "], "Team name must not be empty."),
])
def test_create_team_refuses_taken_names_bad_timezones_and_blanks(runner, make_team, args,
                                                                   message):
    make_team(subdomain="acme")
    result = run(runner, "create-team", "--name", "T", *args)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")
    assert counts() == (1, 0, 0)


def test_add_member_lowercases_the_email_and_prints_the_user_id(runner, team, make_team):
    result = run(runner, "add-member", "--team", "acme", "--email", " Ann@Example.COM ",
                 "--name", "Ann", "--role", "admin")
    assert result.exit_code == 0, result.output
    member = Member.get()
    assert result.stdout.splitlines() == ["Added admin Ann <ann@example.com> to team acme.",
                                          member.id]
    assert (member.team_id, member.email, member.role, member.is_active) == (
        team.id, "ann@example.com", "admin", True)
    other = make_team()
    assert run(runner, "add-member", "--team", other.subdomain, "--email", "ann@example.com",
               "--name", "Ann", "--role", "member").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["--email", "ANN@example.com"],
     'Team "acme" already has a member with email "ann@example.com"; use another email.'),
    (["--email", "not-an-email"], '"not-an-email" is not a valid email address.'),
    (["--email", "b@example.com", "--name", " "], "Member name must not be empty."),
])
def test_add_member_failures_change_nothing(runner, team, make_member, args, message):
    make_member(team, email="ann@example.com")
    result = run(runner, "add-member", "--team", "acme", "--name", "B", "--role", "member", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")
    assert counts() == (1, 1, 0)


def test_add_member_refuses_an_unknown_role_as_a_usage_error(runner, team):
    result = run(runner, "add-member", "--team", "acme", "--email", "b@example.com",
                 "--name", "B", "--role", "boss")
    assert result.exit_code == 2 and counts() == (1, 0, 0)
    assert "Invalid value for '--role': 'boss' is not one of 'owner', 'admin'" in result.stderr


def test_deactivate_member_stops_their_keys(runner, client, team, make_member, make_key):
    make_member(team, role="owner")  # the last active owner cannot go (test_operator.py)
    owner = make_member(team, email="own@example.com", role="owner")
    key, _row = make_key(team, owner)
    result = run(runner, "deactivate-member", "--team", "acme", "--email", "OWN@example.com")
    assert (result.exit_code, result.stdout) == (
        0, "Deactivated own@example.com; API keys they created no longer work.\n")
    assert Member.get_by_id(owner.id).is_active is False
    assert get(client, key).status_code == 401
    again = run(runner, "deactivate-member", "--team", "acme", "--email", "own@example.com")
    assert (again.exit_code, again.stdout) == (
        0, "own@example.com was already deactivated; nothing changed.\n")


def test_deactivate_member_of_an_unknown_email_fails(runner, team):
    result = run(runner, "deactivate-member", "--team", "acme", "--email", "x@example.com")
    assert (result.exit_code, result.stderr) == (1, 'Error: No member with email "x@example.com"'
                                                 ' in team "acme"; add them to the team first.\n')


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_create_api_key_prints_a_working_key_last_and_stores_its_digest(
        runner, client, team, make_member, role):
    make_member(team, email="boss@example.com", role=role)
    result = run(runner, "create-api-key", "--team", "acme", "--by", "BOSS@example.com",
                 "--name", " zapier ")
    key, row = result.stdout.splitlines()[-1], ApiKey.get()
    assert KEY_PATTERN.match(key)
    assert result.stdout.splitlines()[0] == (f'Created API key {row.id} "zapier" with scope '
                                             f"write for team acme. It is shown only this "
                                             f"once: store it now.")
    assert (row.digest, row.prefix, row.last_four, row.scope) == (
        digest_of(key), key[:13], key[-4:], "write")
    assert get(client, key).status_code == 200


@pytest.mark.parametrize("scope", ["read", "write", "admin"])
def test_create_api_key_takes_a_scope(runner, team, make_member, scope):
    make_member(team, email="boss@example.com", role="owner")
    result = run(runner, "create-api-key", "--team", "acme", "--by", "boss@example.com",
                 "--name", "dashboard", "--scope", scope)
    row = ApiKey.get()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(
        f'Created API key {row.id} "dashboard" with scope {scope} for team acme.')
    assert row.scope == scope


def test_create_api_key_refuses_an_unknown_scope(runner, team, make_member):
    make_member(team, email="boss@example.com", role="owner")
    result = run(runner, "create-api-key", "--team", "acme", "--by", "boss@example.com",
                 "--name", "k", "--scope", "owner")
    assert result.exit_code == 2
    assert "Invalid value for '--scope': 'owner' is not one of 'read', 'write', 'admin'." in (
        result.stderr)
    assert ApiKey.select().count() == 0


@pytest.mark.parametrize("by, name, message", [
    ("plain@example.com", "k", "plain@example.com is a member; only an active owner or admin "
                               "can create API keys; name one of them instead."),
    ("gone@example.com", "k", "gone@example.com is deactivated; only an active owner or admin "
                              "can create API keys; name one of them instead."),
    ("who@example.com", "k", 'No member with email "who@example.com" in team "acme"; add them '
                             "to the team first."),
    ("elsewhere@example.com", "k", 'No member with email "elsewhere@example.com" in team '
                                   '"acme"; add them to the team first.'),
    ("boss@example.com", " ", "Key name must not be empty."),
])
def test_create_api_key_is_refused(runner, team, make_team, make_member, by, name, message):
    make_member(team, email="plain@example.com", role="member")
    make_member(team, email="gone@example.com", role="admin", is_active=False)
    make_member(team, email="boss@example.com", role="owner")
    make_member(make_team(), email="elsewhere@example.com", role="owner")
    result = run(runner, "create-api-key", "--team", "acme", "--by", by, "--name", name)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")
    assert ApiKey.select().count() == 0


def test_list_api_keys_shows_a_table_and_never_a_key(runner, client, team, make_key):
    first, first_row = make_key(team, name="zapier")
    second, second_row = make_key(team, name="dashboard", scope="read")
    get(client, first)
    run(runner, "revoke-api-key", "--team", "acme", second_row.id)
    result = run(runner, "list-api-keys", "--team", "acme")
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "SCOPE", "PREFIX", "LAST", "4", "CREATED", "LAST",
                              "USED", "REVOKED"]
    rows = {line.split()[0]: line.split() for line in lines}
    used, revoked = rows[first_row.id], rows[second_row.id]
    assert used[:5] == [first_row.id, "zapier", "write", first[:13], first[-4:]]
    assert used[6] != "-" and used[7] == "-"
    assert revoked[:5] == [second_row.id, "dashboard", "read", second[:13], second[-4:]]
    assert revoked[6] == "-" and revoked[7].endswith("Z")
    for secret in (first, second, first_row.digest, second_row.digest):
        assert secret not in result.output


def test_list_api_keys_of_a_team_without_keys_says_how_to_make_one(runner, team):
    assert run(runner, "list-api-keys", "--team", "acme").stdout == (
        "Team acme has no API keys; make one with `nextstep create-api-key`.\n")


def test_revoke_api_key_makes_the_key_fail_at_once(runner, client, team, make_key):
    key, row = make_key(team, name="zapier")
    assert get(client, key).status_code == 200
    result = run(runner, "revoke-api-key", "--team", "acme", row.id)
    assert (result.exit_code, result.stdout) == (0, f'Revoked API key {row.id} "zapier".\n')
    response = get(client, key)
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    again = run(runner, "revoke-api-key", "--team", "acme", row.id)
    revoked_at = ApiKey.get_by_id(row.id).revoked_at
    assert again.exit_code == 0 and "was already revoked at " + revoked_at.strftime(
        "%Y-%m-%dT%H:%M:%S") in again.stdout


def test_revoke_api_key_of_another_team_fails_and_leaves_it_working(runner, client, team,
                                                                    make_team, make_key):
    key, row = make_key(make_team(subdomain="other"))
    result = run(runner, "revoke-api-key", "--team", "acme", row.id)
    assert (result.exit_code, result.stderr) == (
        1, f'Error: No API key "{row.id}" in team acme. See the ids with '
           f"`nextstep list-api-keys --team acme`.\n")
    assert get(client, key).status_code == 200


def test_set_subscription_past_due_forbids_then_active_allows(runner, client, team, api_key):
    result = run(runner, "set-subscription", "--team", "acme", "past_due")
    assert (result.exit_code, result.stdout) == (0, (
        "Team acme subscription is now past_due: its API requests get 403 until it is active "
        "or trialing again.\n"))
    response = get(client, api_key)
    assert response.status_code == 403
    assert response.json == {"error": {"code": "forbidden", "message": (
        "The team's subscription is inactive; renew it to use the API")}}
    result = run(runner, "set-subscription", "--team", "acme", "trialing")
    assert result.stdout == "Team acme subscription is now trialing: the API answers its keys.\n"
    assert get(client, api_key).status_code == 200


def test_set_subscription_refuses_an_unknown_status(runner, team):
    result = run(runner, "set-subscription", "--team", "acme", "free")
    assert result.exit_code == 2 and "'free' is not one of 'active', 'trialing'" in result.stderr
    assert Team.get().subscription_status == "active"


@pytest.mark.parametrize("args", [
    ["add-member", "--email", "a@example.com", "--name", "A", "--role", "owner"],
    ["deactivate-member", "--email", "a@example.com"],
    ["create-api-key", "--by", "a@example.com", "--name", "k"],
    ["list-api-keys"], ["revoke-api-key", "abc"], ["set-subscription", "active"],
    ["publish-template", "abc"],
])
def test_every_team_command_names_an_unknown_team(runner, team, args):
    result = run(runner, args[0], "--team", "nope", *args[1:])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", NO_TEAM)


def test_the_services_check_roles_and_statuses_the_cli_offers_as_choices(team):
    with pytest.raises(APIError, match='Unknown role "boss"; use one of owner, admin, member.'):
        teams.add_member(team, "b@example.com", "B", "boss")
    with pytest.raises(APIError, match='Unknown subscription status "free"; use one of active, '):
        teams.set_subscription(team, "free")
