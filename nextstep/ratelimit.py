"""Flask-Limiter, built per app and applied to our blueprint only.

Two allowances: requests per API key (its SHA-256 digest), counted by Flask-Limiter before
the view; and failed authentications per client address, counted only when one fails
(`FailedAuthentications`), so keys cannot be guessed at speed and a valid key is never
refused because others at its address guessed. When the shared storage (Redis) cannot be
reached, Flask-Limiter's own in-memory fallback counts per process until it returns.
"""
import logging
import math
import time

from flask import current_app, request
from flask_limiter import ExemptionScope, Limiter
from limits import parse as parse_limit

from . import memory_storage  # noqa: F401 - registers the nextstep+memory scheme
from .api.auth import bearer_token
from .errors import rate_limited
from .limit_resolution import remember_resolution
from .services.keys import digest_of

KEY_PREFIX = "nextstep"
STORAGE_TIMEOUT_SECONDS = 1  # a Redis that does not answer must not hold requests for long
HOST_EXEMPTION = (ExemptionScope.APPLICATION | ExemptionScope.DEFAULT | ExemptionScope.META
                  | ExemptionScope.DESCENDENTS)
log = logging.getLogger("nextstep")


def client_address():
    """The caller's address (the failed-auth limit's key, and the request log's).

    The one reader of X-Forwarded-For, under `nextstep serve` (which has waitress pass the
    header on) or any other WSGI server. It counts only behind NEXTSTEP_PROXY_COUNT
    proxies: the entry that many from the right is what the nearest trusted proxy saw;
    whatever a client wrote further left is ignored.
    """
    proxies = current_app.config["NEXTSTEP_PROXY_COUNT"]
    if proxies:
        forwarded = [part.strip() for part in
                     request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.remote_addr or "unknown"


def api_key_limit_key():
    token = bearer_token()
    if token is None:
        return "addr:" + client_address()
    return "key:" + digest_of(token)


def limiter_storage_uri(uri):
    """The URI Flask-Limiter is given: memory:// is memory_storage's storage."""
    return "nextstep+" + uri if uri.split("://", 1)[0] == "memory" else uri


def storage_options(uri):
    """Bounded socket timeouts for Redis-like storages; other schemes take none."""
    if uri.split("://", 1)[0].split("+", 1)[0] in ("redis", "rediss", "valkey", "valkeys"):
        return {"socket_timeout": STORAGE_TIMEOUT_SECONDS,
                "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS}
    return {}


def build_limiter(app, blueprint, config, exempt=()):
    """`exempt`: child blueprints (the health check) that the limits never touch.

    A limiter the host app built before us would apply its default and application limits
    to our blueprint too: each is told to leave our blueprint alone.
    """
    uri = config["NEXTSTEP_RATELIMIT_STORAGE_URI"]
    limiter = Limiter(
        key_func=api_key_limit_key,
        strategy="moving-window",
        storage_uri=limiter_storage_uri(uri),
        storage_options=storage_options(uri),
        key_prefix=KEY_PREFIX,
        headers_enabled=False,
        default_limits=[],
        application_limits=[],
        in_memory_fallback_enabled=True,
    )
    remember_resolution(limiter)
    # A shared limit: one allowance across every endpoint (a plain limit counts per endpoint).
    limiter.shared_limit(config["NEXTSTEP_RATE_LIMIT"], scope="requests")(blueprint)
    for child in exempt:
        limiter.exempt(child, flags=ExemptionScope.ANCESTORS | ExemptionScope.DEFAULT
                       | ExemptionScope.APPLICATION | ExemptionScope.META)
    for host_limiter in app.extensions.get("limiter", ()):
        host_limiter.exempt(blueprint, flags=HOST_EXEMPTION)
    limiter.init_app(app)
    return limiter


class FailedAuthentications:
    """Failed authentications per client address, counted as they fail.

    Not a Flask-Limiter limit: those are tested before the request runs, when nobody
    knows yet whether its key is good, so a used-up allowance refused valid keys too.
    The `limits` strategy Flask-Limiter itself uses (its in-memory fallback while the
    storage is down) does the counting.
    """

    def __init__(self, limiter, limit):
        self.limiter = limiter
        self.limit = parse_limit(limit)

    def count_one(self):
        """Count this failure; past the allowance, 429 with Retry-After instead of 401."""
        identity = (KEY_PREFIX, "auth-failures", client_address())
        strategy = self.limiter.limiter
        try:
            if strategy.hit(self.limit, *identity):
                return
            reset_time, _remaining = strategy.get_window_stats(self.limit, *identity)
        except Exception:  # storage trouble: the caller answers 401 anyway; say so once
            log.warning("could not count a failed authentication (rate-limit storage)",
                        exc_info=True)
            return
        raise rate_limited("Too many failed authentications from this address; retry after "
                           "the time in Retry-After", math.ceil(reset_time - time.time()))


def rate_limit_headers(limiter, response):
    """X-RateLimit-* of the limit Flask-Limiter reports for this request, and Retry-After
    on its 429.

    Written here rather than by the library's `headers_enabled`: its Retry-After is the
    truncated difference and can say 0, where the contract wants the whole seconds until
    a request is accepted again, at least 1.
    """
    shown = limiter.current_limit
    if shown is None:
        return response
    try:
        reset_time, remaining = shown.window
    except Exception:  # the storage went away after the check; the answer stands without
        return response
    response.headers["X-RateLimit-Limit"] = str(shown.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(max(0, remaining))
    response.headers["X-RateLimit-Reset"] = str(math.ceil(reset_time))
    if response.status_code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_time - time.time())))
    return response
