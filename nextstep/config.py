"""Every NEXTSTEP_* setting: its default, how an environment string is read, its check.

Order of precedence: defaults < instance/config.py < environment < test mapping.
"""
import os
import re

from limits import parse_many as parse_limits
from limits.storage import SCHEMES as STORAGE_SCHEMES

from .errors import ConfigError


def _int(text):
    return int(text)


def _str(text):
    return text


def _optional_str(text):
    return text or None


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _bool(text):
    """1/true/yes/on or 0/false/no/off (any case); "false" is not truthy."""
    word = text.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError("expected 1 or 0 (true or false)")
_bool.expected = "1 or 0 (true or false)"


def _check_bool(value):
    if not isinstance(value, bool):
        raise ValueError("must be true or false")


def _check_delays(value):
    """Seconds before each attempt, such as "0,300,1800,7200": 1 to 10 whole numbers."""
    from .services.delivery import parse_delays
    parse_delays(value)


def _check_rate(value):
    """A limit such as "100 per minute"; 0 is refused: it would turn every request away."""
    if any(item.amount < 1 for item in parse_limits(value)):
        raise ValueError('must allow at least 1 request, such as "100 per minute" (0 would '
                         "refuse every request)")


def _check_positive(value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("must be a whole number of at least 1")


def _check_not_negative(value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("must be a whole number of at least 0")


def _check_storage(value):
    """A scheme the `limits` library serves synchronously (its own registry decides)."""
    scheme, separator, _rest = str(value).partition("://")
    if not separator or scheme not in STORAGE_SCHEMES or scheme.startswith("async+"):
        raise ValueError("must be a storage URI such as memory:// or redis://host:6379/0")


def _check_database_url(value):
    if not re.match(r"^(sqlite|postgres|postgresql)(\+pool)?://", str(value)):
        raise ValueError("must be a sqlite:///path or postgresql://user@host/db URL")


def _check_domain(value):
    if value is not None and not re.match(r"^[a-z0-9.-]+$", str(value)):
        raise ValueError("must be a lowercase host name such as nextstep.example.com")


def _check_timezone(value):
    from zoneinfo import ZoneInfo
    ZoneInfo(value)


# key: (default, parse an environment string, check the final value, meaning)
SETTINGS = {
    "NEXTSTEP_DATABASE_URL": (None, _str, _check_database_url,
                              "Database URL; default: sqlite file nextstep.sqlite3 in instance/."),
    "NEXTSTEP_RATELIMIT_STORAGE_URI": ("memory://", _str, _check_storage,
                                       "Where rate-limit counters live: memory:// or redis://..."),
    "NEXTSTEP_RATE_LIMIT": ("100 per minute", _str, _check_rate,
                            "Requests allowed per API key, over a moving window."),
    "NEXTSTEP_AUTH_FAILURE_LIMIT": ("30 per minute", _str, _check_rate,
                                    "Failed authentications allowed per client address."),
    "NEXTSTEP_BASE_DOMAIN": (None, _optional_str, _check_domain,
                             "Base domain for team subdomains; unset: no subdomain routing."),
    "NEXTSTEP_MAX_CONTENT_LENGTH": (1024 * 1024, _int, _check_positive,
                                    "Largest request body in bytes (413 above it)."),
    "NEXTSTEP_PROXY_COUNT": (0, _int, _check_not_negative,
                             "Trusted reverse proxies in front; 0 ignores X-Forwarded-For."),
    "NEXTSTEP_CONNECTION_LIMIT": (1000, _int, _check_positive,
                                  "Most client connections `nextstep serve` keeps open at once."),
    "NEXTSTEP_REQUEST_TIMEOUT": (30, _int, _check_positive,
                                 "Seconds `nextstep serve` gives a connection to send a "
                                 "whole request."),
    "NEXTSTEP_SQLITE_BUSY_TIMEOUT_MS": (5000, _int, _check_positive,
                                        "How long a SQLite writer waits for the lock, in ms."),
    "NEXTSTEP_DEFAULT_TIMEZONE": ("UTC", _str, _check_timezone,
                                  "Timezone given to teams created without one."),
    "NEXTSTEP_WEBHOOK_RETRY_DELAYS": ("0,300,1800,7200", _str, _check_delays,
                                      "Seconds before each delivery attempt, after the event "
                                      "or the failed attempt before it."),
    "NEXTSTEP_WEBHOOK_TIMEOUT": (10, _int, _check_positive,
                                 "Seconds one webhook POST may take, connect and response."),
    "NEXTSTEP_WEBHOOK_ALLOW_HTTP": (False, _bool, _check_bool,
                                    "Accept http:// webhook URLs (normally https:// only)."),
    "NEXTSTEP_WEBHOOK_ALLOW_PRIVATE": (False, _bool, _check_bool,
                                       "Deliver to loopback, private and other non-public "
                                       "addresses."),
    "NEXTSTEP_WEBHOOK_CONCURRENCY": (4, _int, _check_positive,
                                     "Deliveries one worker sends at the same time."),
    "NEXTSTEP_WEBHOOK_POLL_MS": (500, _int, _check_positive,
                                 "How often an idle worker looks for due deliveries, in ms."),
}


def instance_path_from(environ=None):
    """NEXTSTEP_INSTANCE_PATH, or None for Flask's default. It must be absolute: a relative
    one would move with the working directory of whoever runs the command."""
    environ = os.environ if environ is None else environ
    path = environ.get("NEXTSTEP_INSTANCE_PATH") or None
    if path is not None and not os.path.isabs(path):
        raise ConfigError(f"NEXTSTEP_INSTANCE_PATH={path!r} is not valid: it must be an "
                          f"absolute path, such as {os.path.abspath(path)!r}.")
    return path


def make_instance_folder(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"The instance folder {path} cannot be created "
                          f"({error.strerror or error}); create it yourself, or set "
                          f"NEXTSTEP_INSTANCE_PATH to a folder NextStep may write to.") from None


def load_environment(config, environ=None):
    """Copy NEXTSTEP_* environment variables into `config`, parsed to their types."""
    environ = os.environ if environ is None else environ
    for key, (_default, parse, _check, _meaning) in SETTINGS.items():
        if key in environ:
            try:
                config[key] = parse(environ[key])
            except ValueError:
                expected = getattr(parse, "expected", "a whole number")
                raise ConfigError(f"{key}={environ[key]!r} in the environment is not valid: "
                                  f"expected {expected}.") from None


def apply_defaults_and_validate(config, instance_path):
    """Fill missing keys with their defaults, then stop on the first bad value."""
    for key, (default, _parse, _check, _meaning) in SETTINGS.items():
        config.setdefault(key, default)
    if not config["NEXTSTEP_DATABASE_URL"]:
        config["NEXTSTEP_DATABASE_URL"] = "sqlite:///" + os.path.join(instance_path,
                                                                     "nextstep.sqlite3")
    for key, (_default, _parse, check, meaning) in SETTINGS.items():
        try:
            check(config[key])
        except Exception as exc:  # each check raises its own kind; all mean "bad value"
            raise ConfigError(f"{key}={config[key]!r} is not valid: {exc}. "
                              f"({meaning})") from None
