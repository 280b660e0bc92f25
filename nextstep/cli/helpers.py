"""What every operator command shares: a connection per command, one-sentence errors,
tables, and how to name this very `nextstep` in a hint."""
import functools
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from peewee import DatabaseError

from ..db import describe_connection_error
from ..errors import APIError
from ..ids import format_timestamp
from ..models import database

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
                raise database_failure(error) from None
        return click.command(name)(with_appcontext(run))
    return decorate


def database_failure(error):
    """The one sentence (a ClickException) for a database error of a command."""
    url = current_app.config["NEXTSTEP_DATABASE_URL"]
    return click.ClickException(describe_connection_error(url, error) or (
        f"Database error: {str(error).strip()}\nCheck NEXTSTEP_DATABASE_URL, and run "
        f"`nextstep init-db` if the tables are missing."))


def echo_table(header, rows, empty):
    """Columns padded to their widest cell; `empty` is printed instead of a bare header."""
    if not rows:
        click.echo(empty)
        return
    rows = [header, *rows]
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                   .rstrip())


def when(value):
    return format_timestamp(value) or "-"


def command_path():
    """How to run this very `nextstep` from here, for hints to paste: `nextstep` when the
    PATH finds it, else its path (relative when it is under the current directory)."""
    script = Path(sys.argv[0])
    if script.name != "nextstep":  # run as `flask --app nextstep ...` or from a test
        script = Path(sys.executable).parent / "nextstep"
        if not script.exists():
            return "nextstep"
    script = script.absolute()
    on_path = shutil.which("nextstep")
    if on_path and os.path.realpath(on_path) == os.path.realpath(script):
        return "nextstep"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def import_failure(error):
    """Print each fault of the file on stderr; returns the exit (status 1) to raise."""
    for path, message in error.errors:
        click.echo(f"Import failed: {path}: {message}", err=True)
    click.echo("Nothing was written. Fix the file (see docs/import-format.md) and run the "
               "command again.", err=True)
    return click.exceptions.Exit(1)
