"""The operator's commands: `nextstep ...` or `flask --app nextstep ...` (docs/cli.md).

What a command creates is printed alone on stdout's last line, so scripts can `tail -n 1`;
failures are one sentence on stderr with exit status 1 (2 for a bad command line).
"""
import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo

from .cli_helpers import (
    TEAM,
    echo_table,
    import_failure,  # noqa: F401  (serve.py imports it from here)
    operator_command,
    when,
)
from .db import create_tables
from .errors import ConfigError
from .models import ApiKey
from .models.team import ROLES, SUBSCRIPTION_STATUSES
from .services import teams
from .services.keys import create_api_key, revoke_api_key
from .template_commands import TEMPLATE_COMMANDS


@operator_command("init-db")
def init_db_command():
    """Create the tables (safe to run again)."""
    create_tables()
    click.echo("Database ready.")


@operator_command("create-team")
@click.option("--name", required=True, help="Display name.")
@click.option("--subdomain", required=True, help="Unique: a-z, 0-9 and hyphens, 1-63.")
@click.option("--timezone", help="IANA zone; default NEXTSTEP_DEFAULT_TIMEZONE.")
def create_team_command(name, subdomain, timezone):
    """Create a team; prints its id last."""
    timezone = timezone or current_app.config["NEXTSTEP_DEFAULT_TIMEZONE"]
    team = teams.create_team(name, subdomain, timezone)
    click.echo(f'Created team "{team.name}" (subdomain {team.subdomain}, '
               f"timezone {team.timezone}).")
    click.echo(team.id)


@operator_command("add-member")
@TEAM
@click.option("--email", required=True, help="Unique within the team; stored lowercased.")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What they may do.")
def add_member_command(subdomain, email, name, role):
    """Add a member to a team; prints the member's user id last."""
    member = teams.add_member(teams.find_team(subdomain), email, name, role)
    click.echo(f"Added {member.role} {member.name} <{member.email}> to team {subdomain}.")
    click.echo(member.id)


@operator_command("deactivate-member")
@TEAM
@click.option("--email", required=True, help="The member's email.")
def deactivate_member_command(subdomain, email):
    """Deactivate a member; the API keys they created stop working at once."""
    team = teams.find_team(subdomain)
    member, changed = teams.deactivate_member(teams.find_member(team, email))
    if changed:
        click.echo(f"Deactivated {member.email}; API keys they created no longer work.")
    else:
        click.echo(f"{member.email} was already deactivated; nothing changed.")


@operator_command("reactivate-member")
@TEAM
@click.option("--email", required=True, help="The member's email.")
def reactivate_member_command(subdomain, email):
    """Reactivate a member; the API keys they created and did not revoke work again."""
    team = teams.find_team(subdomain)
    member, changed = teams.reactivate_member(teams.find_member(team, email))
    if changed:
        click.echo(f"Reactivated {member.email}; API keys they created work again unless "
                   f"revoked.")
    else:
        click.echo(f"{member.email} is already active; nothing changed.")


@operator_command("set-role")
@TEAM
@click.option("--email", required=True, help="The member's email.")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(subdomain, email, role):
    """Change a member's role; the last active owner cannot be demoted."""
    team = teams.find_team(subdomain)
    member, changed = teams.set_role(teams.find_member(team, email), role)
    if changed:
        click.echo(f"{member.email} is now {role} of team {subdomain}.")
    else:
        click.echo(f"{member.email} is already {role}; nothing changed.")


@operator_command("list-teams")
def list_teams_command():
    """List every team, by subdomain."""
    rows = [(team.subdomain, team.id, team.name, team.timezone, team.subscription_status,
             when(team.created_at)) for team in teams.list_teams()]
    echo_table(("SUBDOMAIN", "ID", "NAME", "TIMEZONE", "SUBSCRIPTION", "CREATED"), rows,
               "There are no teams yet; make one with `nextstep create-team`.")


@operator_command("list-members")
@TEAM
def list_members_command(subdomain):
    """List a team's members, oldest first, deactivated ones included."""
    members = teams.list_members(teams.find_team(subdomain))
    rows = [(member.email, member.id, member.name, member.role,
             "yes" if member.is_active else "no", when(member.created_at))
            for member in members]
    echo_table(("EMAIL", "USER ID", "NAME", "ROLE", "ACTIVE", "CREATED"), rows,
               f"Team {subdomain} has no members; add one with `nextstep add-member`.")


@operator_command("create-api-key")
@TEAM
@click.option("--by", "email", required=True, help="Email of an active owner or admin.")
@click.option("--name", required=True, help="What the key is for, e.g. zapier.")
def create_api_key_command(subdomain, email, name):
    """Create an API key; prints the full key once, alone on the last line."""
    team = teams.find_team(subdomain)
    member = teams.find_member(team, email)
    row, plaintext = create_api_key(team, member, name)
    click.echo(f'Created API key {row.id} "{row.name}" for team {subdomain}. '
               f"It is shown only this once: store it now.")
    click.echo(plaintext)


@operator_command("list-api-keys")
@TEAM
def list_api_keys_command(subdomain):
    """List a team's API keys (never the keys themselves)."""
    team = teams.find_team(subdomain)
    keys = ApiKey.select().where(ApiKey.team == team).order_by(ApiKey.created_at, ApiKey.id)
    rows = [(key.id, key.name, key.prefix, key.last_four, when(key.created_at),
             when(key.last_used_at), when(key.revoked_at)) for key in keys]
    echo_table(("ID", "NAME", "PREFIX", "LAST 4", "CREATED", "LAST USED", "REVOKED"), rows,
               f"Team {subdomain} has no API keys; make one with `nextstep create-api-key`.")


@operator_command("revoke-api-key")
@TEAM
@click.argument("key_id")
def revoke_api_key_command(subdomain, key_id):
    """Revoke an API key by id; it stops working on the next request."""
    team = teams.find_team(subdomain)
    key = ApiKey.get_or_none((ApiKey.id == key_id) & (ApiKey.team == team))
    if key is None:
        raise click.ClickException(f'No API key "{key_id}" in team {subdomain}. See the ids '
                                   f"with `nextstep list-api-keys --team {subdomain}`.")
    if revoke_api_key(team, key_id):
        click.echo(f'Revoked API key {key_id} "{key.name}".')
    else:
        click.echo(f"API key {key_id} was already revoked at {when(key.revoked_at)}.")


@operator_command("set-subscription")
@TEAM
@click.argument("status", type=click.Choice(SUBSCRIPTION_STATUSES))
def set_subscription_command(subdomain, status):
    """Set a team's subscription status; only active and trialing teams may use the API."""
    team = teams.set_subscription(teams.find_team(subdomain), status)
    effect = ("the API answers its keys" if team.subscription_is_active
              else "its API requests get 403 until it is active or trialing again")
    click.echo(f"Team {subdomain} subscription is now {status}: {effect}.")


COMMANDS = [init_db_command, create_team_command, list_teams_command, add_member_command,
            list_members_command, deactivate_member_command, reactivate_member_command,
            set_role_command, create_api_key_command, list_api_keys_command,
            revoke_api_key_command, set_subscription_command, *TEMPLATE_COMMANDS]


def register_commands(app, cli_group=None):
    """Add every command to app.cli, or to a `cli_group` group of it when NextStep is
    embedded (our names cannot collide with the host's). serve.py's and backup.py's
    commands build on this module's helpers."""
    from .backup import backup_command
    from .serve import SERVE_COMMANDS
    target = app.cli
    if cli_group is not None:
        target = AppGroup(cli_group, help="NextStep's operator commands (teams, keys, "
                                          "templates, serving).")
        app.cli.add_command(target)
    for command in COMMANDS + SERVE_COMMANDS + [backup_command]:
        target.add_command(command)


def _create_app():
    """The app for `nextstep ...`; a bad setting is an error message, not a traceback."""
    from . import create_app
    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


class NextStepGroup(FlaskGroup):
    """FlaskGroup prints a traceback under --help when the app fails to load; a bad setting
    deserves its one sentence there too."""

    def list_commands(self, ctx):
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}\n", err=True)
            return sorted(click.Group.list_commands(self, ctx))
        return super().list_commands(ctx)


@click.group(cls=NextStepGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
@click.version_option(package_name="nextstep", prog_name="nextstep",
                      message="%(prog)s %(version)s")
def main():
    """NextStep: manage teams, members, API keys and templates, and serve the API."""
