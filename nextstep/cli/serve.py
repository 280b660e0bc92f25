"""Getting a server going: `nextstep serve` (waitress) and `nextstep bootstrap-demo`.

The server itself, and why it is not plain waitress, is nextstep/wsgi_server.py; the demo
data is services/demo.py.
"""
import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from peewee import DatabaseError

from .. import wsgi_server
from ..migrations import SchemaError, check_schema
from ..services.demo import (
    DEMO_OWNER,
    DEMO_SUBDOMAIN,
    any_team_exists,
    bootstrap_demo,
    demo_team_exists,
    find_sample,
)
from ..services.importer import TemplateImportError, read_template_file
from ..services.worker import Worker, WorkerSettings
from .helpers import command_path, connected, database_failure, import_failure, operator_command

WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}
log = logging.getLogger("nextstep")


def base_url(host, port, url_prefix):
    """The address to paste into a client: a wildcard bind is reached on loopback."""
    host = WILDCARD_HOSTS.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{url_prefix}"


def key_hint():
    """The command that makes another key, as this very script is run from here (the
    venv's bin/ is seldom on the PATH): for the demo team when it is there."""
    nextstep = command_path()
    if demo_team_exists():
        return (f"{nextstep} create-api-key --team {DEMO_SUBDOMAIN} --by {DEMO_OWNER} "
                f"--name NAME")
    return f"{nextstep} create-api-key --team SUBDOMAIN --by OWNER_EMAIL --name NAME"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 1024))
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="One line per request on stderr.")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Deliver webhooks from a thread of this process (else run `nextstep worker`).")
@with_appcontext
def serve_command(host, port, threads, access_log, worker):
    """Serve the API with waitress until Ctrl+C."""
    app = current_app._get_current_object()
    check_database()
    wsgi_server.configure_logging(access_log)
    options = wsgi_server.server_options(app.config, host, port, threads)
    options["connection_limit"], warning = wsgi_server.fit_open_file_limit(
        options["connection_limit"], threads)
    if warning:
        log.warning(warning)
    try:
        server = wsgi_server.create_server(app, **options)
    except (OSError, ValueError) as error:
        message = wsgi_server.listen_failure(error, host, port)
        if message is None:
            raise
        raise click.ClickException(message) from None
    url = base_url(host, port, app.extensions["nextstep"].url_prefix)
    click.echo(f"Serving NextStep on {url} with {threads} threads; Ctrl+C stops it.")
    delivering = Worker(WorkerSettings.from_config(app.config)).start() if worker else None
    try:
        server.run()
    finally:
        if delivering is not None:
            delivering.stop(timeout=app.config["NEXTSTEP_WEBHOOK_TIMEOUT"] + 1)


def check_database():
    """Before listening: the database answers and its schema is the one this code needs
    (else one sentence: run `nextstep init-db`, create the database, ...)."""
    try:
        with connected():
            check_schema()
    except SchemaError as error:
        raise click.ClickException(str(error)) from None
    except DatabaseError as error:
        raise database_failure(error) from None


@operator_command("bootstrap-demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Host for the curl line.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False),
              help="Template to import; default: the shipped sample.")
def bootstrap_demo_command(host, port, path):
    """On an empty database: a demo team, owner, template and key; else a hint."""
    if any_team_exists():
        click.echo("Teams already exist, so no demo data was created. To make another key:")
        click.echo(f"  {key_hint()}")
        return
    path = path or find_sample()
    if path is None:
        raise click.ClickException("The sample template nextstep/examples/onboarding.json is "
                                   "not installed; pass --file with a template file "
                                   "(see docs/import-format.md).")
    try:
        with open(path, encoding="utf-8") as file:
            data = read_template_file(file)
        created = bootstrap_demo(data, current_app.config["NEXTSTEP_DEFAULT_TIMEZONE"])
    except TemplateImportError as error:
        raise import_failure(error) from None
    if created is None:
        raise click.ClickException("Another process created a team at the same moment; run "
                                   "bootstrap-demo again to see how to make a key.")
    team, owner, template, key = created
    url = base_url(host, port, current_app.extensions["nextstep"].url_prefix)
    click.echo(f'Created team "{team.subdomain}", owner {owner.email} and published '
               f'template "{template.title}".')
    click.echo("Your API key is on the last line; it is shown only this once. Try:")
    click.echo(f'  curl -H "Authorization: Bearer {key}" {url}/process-templates')
    click.echo(key)


SERVE_COMMANDS = [serve_command, bootstrap_demo_command]
