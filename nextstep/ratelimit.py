"""Flask-Limiter, built per app and applied to our blueprint only.

Two limits: one per API key (its SHA-256 digest), and one per client address that
only failed authentications use up, so keys cannot be guessed at speed.
"""
import math
import time

from flask import current_app, request
from flask_limiter import ExemptionScope, Limiter

from .api.auth import bearer_token
from .services.keys import digest_of


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


def failed_auth_limit_key():
    return "auth:" + client_address()


def build_limiter(app, blueprint, config, exempt=()):
    """`exempt`: child blueprints (the health check) that the limits never touch."""
    limiter = Limiter(
        key_func=api_key_limit_key,
        strategy="moving-window",
        storage_uri=config["NEXTSTEP_RATELIMIT_STORAGE_URI"],
        key_prefix="nextstep",
        headers_enabled=False,
        default_limits=[],
        application_limits=[],
    )
    # Shared limits: one bucket across every endpoint (a plain limit counts per endpoint).
    limiter.shared_limit(config["NEXTSTEP_AUTH_FAILURE_LIMIT"], scope="auth-failures",
                         key_func=failed_auth_limit_key,
                         deduct_when=lambda response: response.status_code == 401)(blueprint)
    limiter.shared_limit(config["NEXTSTEP_RATE_LIMIT"], scope="requests")(blueprint)
    for child in exempt:
        limiter.exempt(child, flags=ExemptionScope.ANCESTORS | ExemptionScope.DEFAULT
                       | ExemptionScope.APPLICATION | ExemptionScope.META)
    limiter.init_app(app)
    return limiter


def rate_limit_headers(limiter, response):
    """X-RateLimit-* for the key's limit, and Retry-After (>= 1 s) on a 429."""
    limits = limiter.current_limits
    if not limits:
        return response
    breached = [item for item in limits if item.breached]
    shown = breached[0] if breached else next(
        (item for item in limits if "/auth:" not in item.key), limits[0])
    reset_time, remaining = shown.window
    response.headers["X-RateLimit-Limit"] = str(shown.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(max(0, remaining))
    response.headers["X-RateLimit-Reset"] = str(math.ceil(reset_time))
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_time - time.time())))
    return response
