"""`nextstep worker`: the webhook delivery worker on its own (docs/webhooks.md).

`nextstep serve` runs the same worker in a thread unless `--no-worker`; run this beside
web processes started with `--no-worker`, as many as you like on PostgreSQL.
"""
import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from ..services.worker import Worker, WorkerSettings
from .serve import check_database


@click.command("worker")
@with_appcontext
def worker_command():
    """Deliver webhooks until SIGTERM or Ctrl+C (what is under way finishes first)."""
    check_database()
    worker = Worker(WorkerSettings.from_config(current_app.config))
    previous = {}

    def stop(signum, _frame):
        worker.stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, stop)
    click.echo("Delivering webhooks; SIGTERM or Ctrl+C stops the worker.")
    try:
        worker.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("Webhook worker stopped.")


WORKER_COMMANDS = [worker_command]
