"""`nextstep openapi [FILE]`: the API's OpenAPI 3.1 document, as GET /openapi.json serves
it, for client generators and CI (no database is needed)."""
import click
import orjson
from flask import current_app
from flask.cli import with_appcontext

from ..api.openapi import build_document


@click.command("openapi")
@click.argument("path", metavar="[FILE]", required=False, type=click.Path(dir_okay=False,
                                                                          allow_dash=True))
@with_appcontext
def openapi_command(path):
    """Write the OpenAPI document to FILE (default: stdout)."""
    text = orjson.dumps(build_document(current_app), option=orjson.OPT_INDENT_2) + b"\n"
    if path is None or path == "-":
        click.echo(text.decode(), nl=False)
        return
    try:
        with open(path, "wb") as file:
            file.write(text)
    except OSError as error:
        raise click.ClickException(f"Cannot write {path}: {error.strerror}.") from None
    click.echo(f"Wrote the OpenAPI document to {path}.", err=True)


OPENAPI_COMMANDS = [openapi_command]
