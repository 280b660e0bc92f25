"""Who is asking: bearer key -> key, member and team; subdomain; subscription."""
from flask import current_app, g, request

from ..errors import forbidden, not_found, unauthorized
from ..models import Team
from ..services.keys import find_active_key, touch_last_used

UNAUTHORIZED = "A valid API key is required in the Authorization header (Bearer nxs_live_...)"


def bearer_token():
    """The key from `Authorization: Bearer ...`, or None when absent or malformed."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def request_subdomain(base_domain):
    """The team subdomain this request names, "" for none, None when the host is foreign."""
    host = request.host.split(":", 1)[0].lower().rstrip(".")
    if host == base_domain:
        return ""
    suffix = "." + base_domain
    if host.endswith(suffix):
        return host[: -len(suffix)]
    return None


def refuse():
    """401, counted against the caller's address: past its allowance, 429 instead."""
    current_app.extensions["nextstep"].failed_authentications.count_one()
    return unauthorized(UNAUTHORIZED)


def authenticate():
    """Sets g.nextstep_key, g.nextstep_member and g.nextstep_team, or raises 401/403/404/429."""
    key = find_active_key(bearer_token())
    if key is None:
        raise refuse()
    base_domain = current_app.config["NEXTSTEP_BASE_DOMAIN"]
    if base_domain:
        subdomain = request_subdomain(base_domain)
        if subdomain and subdomain != key.team.subdomain:
            # Only a foreign address costs a query: is it another team's, or nobody's?
            if not Team.select().where(Team.subdomain == subdomain).exists():
                raise not_found("No team at this address")
            raise refuse()
    if not key.team.subscription_is_active:
        raise forbidden("The team's subscription is inactive; renew it to use the API")
    touch_last_used(key)
    g.nextstep_key = key
    g.nextstep_member = key.created_by
    g.nextstep_team = key.team
