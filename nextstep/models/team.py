"""A team and who may act for it: members and API keys."""
from peewee import SQL, BooleanField, CharField, ForeignKeyField

from ..ids import utcnow
from .base import BaseModel, IdField, TimestampField

ROLES = ("owner", "admin", "member")
KEY_SCOPES = ("read", "write", "admin")  # each includes the ones before it (contract §9)
DEFAULT_KEY_SCOPE = "write"
SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due", "canceled")
PAYING_STATUSES = ("active", "trialing")


class Team(BaseModel):
    id = IdField()
    name = CharField()
    subdomain = CharField(max_length=63, unique=True)
    timezone = CharField(default="UTC")
    subscription_status = CharField(default="active")
    created_at = TimestampField(default=utcnow)

    @property
    def subscription_is_active(self):
        return self.subscription_status in PAYING_STATUSES


class Member(BaseModel):
    """A person in a team; `id` is the user id the API shows."""

    id = IdField()
    team = ForeignKeyField(Team, backref="members", on_delete="CASCADE")
    email = CharField()
    name = CharField()
    role = CharField(default="member")
    is_active = BooleanField(default=True)
    created_at = TimestampField(default=utcnow)

    class Meta:
        indexes = ((("team", "email"), True),)


class ApiKey(BaseModel):
    """Only the SHA-256 digest of a key is kept; the key itself is shown once."""

    id = IdField()
    team = ForeignKeyField(Team, backref="api_keys", on_delete="CASCADE")
    created_by = ForeignKeyField(Member, backref="api_keys", on_delete="CASCADE")
    name = CharField()
    digest = CharField(max_length=64, unique=True)
    prefix = CharField(max_length=16)
    last_four = CharField(max_length=4)
    created_at = TimestampField(default=utcnow)
    last_used_at = TimestampField(null=True)
    revoked_at = TimestampField(null=True)
    # What the key may do (contract §9); the database default is what migration 4 gave
    # the keys that existed before scopes.
    scope = CharField(max_length=5, default=DEFAULT_KEY_SCOPE,
                      constraints=[SQL(f"DEFAULT '{DEFAULT_KEY_SCOPE}'")])
