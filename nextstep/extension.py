"""NextStep as a Flask extension: NextStep(app) or NextStep().init_app(app, url_prefix=...)."""
from functools import partial

from .api import build_blueprint
from .api.health import health
from .api.reference import reference
from .cli import register_commands
from .config import apply_defaults_and_validate
from .db import bind_database
from .ratelimit import FailedAuthentications, build_limiter, rate_limit_headers
from .services.delivery import parse_delays
from .services.outbox import schedule


class NextStepState:
    """What one app's NextStep needs at request time, kept in app.extensions["nextstep"]."""

    def __init__(self, url_prefix, limiter, failed_authentications):
        self.url_prefix = url_prefix
        self.limiter = limiter
        self.failed_authentications = failed_authentications
        self.routes = None
        self.idempotency_pruned_at = None  # when this app last deleted expired keys
        self.openapi = None  # the OpenAPI document, built on first request


_UNSET = object()


class NextStep:
    """`cli_group`: the group of the host's CLI our commands go under (`flask nextstep
    init-db`), as Flask's Blueprint(cli_group=...) does, so they cannot collide with the
    host's own; None puts them at the top level (create_app and the `nextstep` script)."""

    def __init__(self, app=None, url_prefix="/api/v1", cli_group="nextstep"):
        self.url_prefix = url_prefix
        self.cli_group = cli_group
        if app is not None:
            self.init_app(app, url_prefix)

    def init_app(self, app, url_prefix=None, cli_group=_UNSET):
        """Mount the API on `app`; our hooks, handlers and limits stay on our blueprint."""
        url_prefix = (url_prefix or self.url_prefix).rstrip("/")
        cli_group = self.cli_group if cli_group is _UNSET else cli_group
        apply_defaults_and_validate(app.config, app.instance_path)
        bind_database(app.config["NEXTSTEP_DATABASE_URL"],
                      app.config["NEXTSTEP_SQLITE_BUSY_TIMEOUT_MS"])
        schedule.delays = parse_delays(app.config["NEXTSTEP_WEBHOOK_RETRY_DELAYS"])
        blueprint = build_blueprint()
        limiter = build_limiter(app, blueprint, app.config, exempt=[health, reference])
        blueprint.after_request(partial(rate_limit_headers, limiter))
        app.register_blueprint(blueprint, url_prefix=url_prefix)
        failures = FailedAuthentications(limiter, app.config["NEXTSTEP_AUTH_FAILURE_LIMIT"])
        app.extensions["nextstep"] = NextStepState(url_prefix, limiter, failures)
        register_commands(app, cli_group)
