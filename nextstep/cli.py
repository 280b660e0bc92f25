"""The operator's commands: `nextstep ...` or `flask --app nextstep ...`."""
import click
from flask.cli import FlaskGroup

from .db import create_tables


@click.command("init-db")
def init_db_command():
    """Create the tables (safe to run again)."""
    create_tables()
    click.echo("Database ready.")


COMMANDS = [init_db_command]


def register_commands(app):
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app():
    from . import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main():
    """NextStep: manage teams, members, API keys and templates, and serve the API."""
