"""API keys: create (shown once), list (never the keys), revoke."""
import click

from ..models.team import DEFAULT_KEY_SCOPE, KEY_SCOPES
from ..services import teams
from ..services.keys import api_key_or_none, create_api_key, list_api_keys, revoke_api_key
from .helpers import TEAM, echo_table, operator_command, when


@operator_command("create-api-key")
@TEAM
@click.option("--by", "email", required=True, help="Email of an active owner or admin.")
@click.option("--name", required=True, help="What the key is for, e.g. zapier.")
@click.option("--scope", type=click.Choice(KEY_SCOPES), default=DEFAULT_KEY_SCOPE,
              show_default=True,
              help="read: every GET; write: read, plus start runs and update run tasks; "
                   "admin: write, plus template authoring.")
def create_api_key_command(subdomain, email, name, scope):
    """Create an API key; prints the full key once, alone on the last line."""
    team = teams.find_team(subdomain)
    member = teams.find_member(team, email)
    row, plaintext = create_api_key(team, member, name, scope)
    click.echo(f'Created API key {row.id} "{row.name}" with scope {row.scope} for team '
               f"{subdomain}. It is shown only this once: store it now.")
    click.echo(plaintext)


@operator_command("list-api-keys")
@TEAM
def list_api_keys_command(subdomain):
    """List a team's API keys (never the keys themselves)."""
    team = teams.find_team(subdomain)
    keys = list_api_keys(team)
    rows = [(key.id, key.name, key.scope, key.prefix, key.last_four, when(key.created_at),
             when(key.last_used_at), when(key.revoked_at)) for key in keys]
    echo_table(("ID", "NAME", "SCOPE", "PREFIX", "LAST 4", "CREATED", "LAST USED", "REVOKED"),
               rows,
               f"Team {subdomain} has no API keys; make one with `nextstep create-api-key`.")


@operator_command("revoke-api-key")
@TEAM
@click.argument("key_id")
def revoke_api_key_command(subdomain, key_id):
    """Revoke an API key by id; it stops working on the next request."""
    team = teams.find_team(subdomain)
    key = api_key_or_none(team, key_id)
    if key is None:
        raise click.ClickException(f'No API key "{key_id}" in team {subdomain}. See the ids '
                                   f"with `nextstep list-api-keys --team {subdomain}`.")
    if revoke_api_key(team, key_id):
        click.echo(f'Revoked API key {key_id} "{key.name}".')
    else:
        click.echo(f"API key {key_id} was already revoked at {when(key.revoked_at)}.")


KEY_COMMANDS = [create_api_key_command, list_api_keys_command, revoke_api_key_command]
