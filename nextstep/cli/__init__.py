"""The operator's commands: `nextstep ...` or `flask --app nextstep ...` (docs/cli.md).

One module per thing an operator manages; each command is a thin layer over the services
(the CLI is not a second service layer). What a command creates is printed alone on
stdout's last line, so scripts can `tail -n 1`; failures are one sentence on stderr with
exit status 1 (2 for a bad command line).
"""
import click
from flask.cli import AppGroup, FlaskGroup, ScriptInfo

from ..errors import ConfigError
from .database import DATABASE_COMMANDS
from .keys import KEY_COMMANDS
from .openapi import OPENAPI_COMMANDS
from .serve import SERVE_COMMANDS
from .teams import TEAM_COMMANDS
from .templates import TEMPLATE_COMMANDS
from .worker import WORKER_COMMANDS

COMMANDS = [*DATABASE_COMMANDS, *TEAM_COMMANDS, *KEY_COMMANDS, *TEMPLATE_COMMANDS,
            *SERVE_COMMANDS, *WORKER_COMMANDS, *OPENAPI_COMMANDS]


def register_commands(app, cli_group=None):
    """Add every command to app.cli, or to a `cli_group` group of it when NextStep is
    embedded (our names cannot collide with the host's)."""
    target = app.cli
    if cli_group is not None:
        target = AppGroup(cli_group, help="NextStep's operator commands (teams, keys, "
                                          "templates, serving).")
        app.cli.add_command(target)
    for command in COMMANDS:
        target.add_command(command)


def _create_app():
    """The app for `nextstep ...`; a bad setting is an error message, not a traceback."""
    from .. import create_app
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
