"""The operator's commands: `nextstep ...` or `flask --app nextstep ...` (docs/cli.md).

What a command creates is printed alone on stdout's last line, so scripts can `tail -n 1`;
failures are one sentence on stderr with exit status 1 (2 for a bad command line).
"""
import functools
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from peewee import DatabaseError

from .db import create_tables
from .errors import APIError, ConfigError
from .ids import format_timestamp
from .models import ApiKey, database
from .models.team import ROLES, SUBSCRIPTION_STATUSES
from .services import teams
from .services.importer import TemplateImportError, import_template, read_template_file
from .services.keys import create_api_key, revoke_api_key
from .services.publishing import publish_template
from .services.templates import template_or_none

TEAM = click.option("--team", "subdomain", required=True, help="The team's subdomain.")


@contextmanager
def connected():
    """Open a connection for one command; leave one the caller opened alone."""
    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        yield
    finally:
        if opened and not database.is_closed():
            database.close()


def operator_command(name):
    """A command in the app context, with a connection, whose rule breaks become
    one-sentence errors."""
    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                with connected():
                    return function(*args, **kwargs)
            except APIError as error:
                raise click.ClickException(error.message) from None
            except DatabaseError as error:
                raise click.ClickException(
                    f"Database error: {str(error).strip()}\nCheck NEXTSTEP_DATABASE_URL, and "
                    f"run `nextstep init-db` if the tables are missing.") from None
        return click.command(name)(with_appcontext(run))
    return decorate


def find_template(team, template_id):
    template = template_or_none(team, template_id)
    if template is None:
        raise click.ClickException(
            f'No template "{template_id}" in team "{team.subdomain}". Use the id that '
            f"import-template printed, or GET /api/v1/process-templates to list them.")
    return template


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
    rows = [(key.id, key.name, key.prefix, key.last_four, _when(key.created_at),
             _when(key.last_used_at), _when(key.revoked_at)) for key in keys]
    if not rows:
        click.echo(f"Team {subdomain} has no API keys; make one with `nextstep create-api-key`.")
        return
    rows.insert(0, ("ID", "NAME", "PREFIX", "LAST 4", "CREATED", "LAST USED", "REVOKED"))
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                   .rstrip())


def _when(value):
    return format_timestamp(value) or "-"


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
        click.echo(f"API key {key_id} was already revoked at {_when(key.revoked_at)}.")


@operator_command("set-subscription")
@TEAM
@click.argument("status", type=click.Choice(SUBSCRIPTION_STATUSES))
def set_subscription_command(subdomain, status):
    """Set a team's subscription status; only active and trialing teams may use the API."""
    team = teams.set_subscription(teams.find_team(subdomain), status)
    effect = ("the API answers its keys" if team.subscription_is_active
              else "its API requests get 403 until it is active or trialing again")
    click.echo(f"Team {subdomain} subscription is now {status}: {effect}.")


@operator_command("import-template")
@TEAM
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--publish", is_flag=True, help="Publish it (the next version) right away.")
@click.option("--template", "template_id", help="Replace this template's draft in place.")
def import_template_command(subdomain, file, publish, template_id):
    """Import a template file (docs/import-format.md); prints the template id last."""
    team = teams.find_team(subdomain)
    template = find_template(team, template_id) if template_id else None
    try:
        template = import_template(team, read_template_file(file), publish, template)
    except TemplateImportError as error:
        raise import_failure(error) from None
    state = f"published as version {template.version}" if publish else "draft saved"
    verb = "Replaced the content of" if template_id else "Imported"
    click.echo(f'{verb} template "{template.title}": {state}.')
    if template_id and not publish and template.is_published:
        click.echo(f"New runs start from version {template.version} until you run "
                   f"`nextstep publish-template --team {subdomain} {template.id}`.")
    click.echo(template.id)


def import_failure(error):
    """Print each fault of the file on stderr; returns the exit (status 1) to raise."""
    for path, message in error.errors:
        click.echo(f"Import failed: {path}: {message}", err=True)
    click.echo("Nothing was written. Fix the file (see docs/import-format.md) and run the "
               "command again.", err=True)
    return click.exceptions.Exit(1)


@operator_command("publish-template")
@TEAM
@click.argument("template_id")
def publish_template_command(subdomain, template_id):
    """Publish a template's current content as its next version; prints its id last."""
    template = publish_template(find_template(teams.find_team(subdomain), template_id))
    click.echo(f'Published template "{template.title}" as version {template.version}; '
               f"new runs start from it.")
    click.echo(template.id)


COMMANDS = [init_db_command, create_team_command, add_member_command,
            deactivate_member_command, create_api_key_command, list_api_keys_command,
            revoke_api_key_command, set_subscription_command, import_template_command,
            publish_template_command]


def register_commands(app):
    """Add every command to app.cli; serve.py's commands build on this module's helpers."""
    from .serve import SERVE_COMMANDS
    for command in COMMANDS + SERVE_COMMANDS:
        app.cli.add_command(command)


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
def main():
    """NextStep: manage teams, members, API keys and templates, and serve the API."""
