"""API keys: made once, stored as a digest, looked up by digest."""
import hashlib
import re
import secrets
from datetime import timedelta

from ..db import transaction
from ..errors import forbidden, validation_error
from ..ids import utcnow
from ..models import ApiKey, Member, Team
from ..models.team import DEFAULT_KEY_SCOPE, KEY_SCOPES
from ..statements import PreparedQuery
from .teams import check_name

KEY_PREFIX = "nxs_live_"
KEY_PATTERN = re.compile(r"^nxs_live_[0-9a-f]{32}$")
LAST_USED_GRANULARITY = timedelta(minutes=1)


KEY_MAKER_ROLES = ("owner", "admin")


def digest_of(key):
    """SHA-256 hex of any presented token; the rate limiter keys on it too."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def create_api_key(team, member, name, scope=DEFAULT_KEY_SCOPE):
    """Returns (row, plaintext key); only an active owner or admin of `team` may do this.

    `name` is stored trimmed; an empty or overlong one is refused, as is a scope that is
    not one of KEY_SCOPES.
    """
    if scope not in KEY_SCOPES:
        raise validation_error(f'Unknown scope "{scope}"; use one of {", ".join(KEY_SCOPES)}.')
    if not member.is_active or member.role not in KEY_MAKER_ROLES:
        state = "deactivated" if not member.is_active else f"a {member.role}"
        raise forbidden(f"{member.email} is {state}; only an active owner or "
                        f"admin can create API keys; name one of them instead.")
    if member.team_id != team.id:
        raise forbidden("That member is not in this team")
    name = check_name(name, "Key name")
    plaintext = KEY_PREFIX + secrets.token_hex(16)
    with transaction():
        row = ApiKey.create(team=team, created_by=member, name=name,
                            digest=digest_of(plaintext), prefix=plaintext[:13],
                            last_four=plaintext[-4:], scope=scope)
    return row, plaintext


# Only the columns a request needs: every request runs this query.
ACTIVE_KEY = PreparedQuery(lambda digest: (
    ApiKey.select(ApiKey.id, ApiKey.team, ApiKey.created_by, ApiKey.revoked_at,
                  ApiKey.last_used_at, Member.id, Member.email, Member.is_active,
                  Member.role, Team.id, Team.name, Team.subdomain, Team.timezone,
                  Team.subscription_status, ApiKey.prefix,  # prefix: the request log
                  ApiKey.scope)
    .join(Member, on=(ApiKey.created_by == Member.id))
    .switch(ApiKey).join(Team, on=(ApiKey.team == Team.id))
    .where(ApiKey.digest == digest).limit(1)), arity=1)


def find_active_key(plaintext):
    """(key, member, team) for a well-formed, unrevoked key of an active member, else None."""
    if not KEY_PATTERN.match(plaintext or ""):
        return None
    row = ACTIVE_KEY.first(digest_of(plaintext))
    if row is None or row.revoked_at is not None or not row.created_by.is_active:
        return None
    return row


def touch_last_used(key):
    """Record use at most once a minute, so reads do not all become writes."""
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        with transaction():
            ApiKey.update(last_used_at=now).where(ApiKey.id == key.id).execute()
        key.last_used_at = now


def list_api_keys(team):
    """The team's keys, oldest first (revoked ones too)."""
    return ApiKey.select().where(ApiKey.team == team).order_by(ApiKey.created_at, ApiKey.id)


def api_key_or_none(team, key_id):
    return ApiKey.get_or_none((ApiKey.id == key_id) & (ApiKey.team == team))


def revoke_api_key(team, key_id):
    with transaction():
        updated = (ApiKey.update(revoked_at=utcnow())
                   .where((ApiKey.id == key_id) & (ApiKey.team == team)
                          & ApiKey.revoked_at.is_null())
                   .execute())
    return updated == 1
