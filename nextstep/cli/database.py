"""The database itself: `nextstep init-db` (create or upgrade the tables) and
`nextstep backup FILE`, a consistent copy of the SQLite database, safe while it serves.

Copying the file with `cp` while a server writes can catch half a transaction (and misses
what still sits in the -wal file); SQLite's online backup API copies a consistent state.
"""
import os
import sqlite3
import tempfile

import click
from flask import current_app

from ..db import create_tables, is_sqlite, sqlite_path
from ..models import database
from .helpers import operator_command


@operator_command("init-db")
def init_db_command():
    """Create the tables (safe to run again)."""
    create_tables()
    click.echo("Database ready.")


@operator_command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite FILE if it exists.")
def backup_command(file, replace):
    """Copy the SQLite database to FILE (online backup); prints FILE's path last."""
    source = _source_path()
    target = os.path.abspath(file)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise click.ClickException(f"The folder {folder} does not exist; create it first.")
    if os.path.exists(target):
        if os.path.samefile(target, source):
            raise click.ClickException(f"{target} is the database itself; give the backup "
                                       f"another name.")
        if not replace:
            raise click.ClickException(f"{target} already exists; choose a new name, or pass "
                                       f"--replace to overwrite it.")
    size = copy_database(target)
    click.echo(f"Backed up {source} to {target} ({size} bytes).")
    click.echo(target)


def _source_path():
    if not is_sqlite():
        raise click.ClickException(
            "nextstep backup copies a SQLite database, and this one is PostgreSQL; back it up "
            "with pg_dump instead (e.g. `pg_dump -Fc -f nextstep.dump DATABASE`).")
    path = sqlite_path(current_app.config["NEXTSTEP_DATABASE_URL"])
    if path is None:
        raise click.ClickException("The database is in memory; there is no file to back up.")
    return os.path.abspath(path)


def copy_database(target):
    """Back up into a private temporary file beside `target`, check it, then move it into
    place: `target` never holds half a copy. Returns the copy's size in bytes."""
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".partial",
                                       prefix="." + os.path.basename(target) + ".")
    os.close(handle)
    try:
        copy = sqlite3.connect(partial)
        try:
            database.connection().backup(copy)
            # A self-contained file: the source's WAL mode would travel with the copy.
            copy.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
        finally:
            copy.close()
        if verdict != "ok":
            raise click.ClickException(f"The copy failed SQLite's check ({verdict}); the "
                                       f"database may be damaged, so nothing was written.")
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return os.path.getsize(target)


DATABASE_COMMANDS = [init_db_command, backup_command]
