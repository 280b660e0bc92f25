"""Teams and their members: the rules an operator's commands go through.

Every broken rule raises APIError with a sentence that says what to do instead, so the
CLI (and any future admin API) can show the message as it is.
"""
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, validate
from peewee import IntegrityError

from ..db import is_sqlite, transaction
from ..errors import conflict, not_found, validation_error
from ..models import Member, Team
from ..models.team import ROLES, SUBSCRIPTION_STATUSES

RESERVED_SUBDOMAINS = ("admin", "api", "app", "help", "mail", "static", "www")
SUBDOMAIN_CHARACTERS = re.compile(r"^[a-z0-9-]+$")
MAX_NAME_LENGTH = 255
_check_email = validate.Email()


def check_subdomain(subdomain):
    """Spec §1: 1-63 of [a-z0-9-], no hyphen at either end, not a reserved name."""
    if not 1 <= len(subdomain) <= 63:
        reason = "use 1 to 63 characters"
    elif not SUBDOMAIN_CHARACTERS.match(subdomain):
        reason = "use only lowercase letters, digits and hyphens"
    elif subdomain[0] == "-" or subdomain[-1] == "-":
        reason = "it must not start or end with a hyphen"
    elif subdomain in RESERVED_SUBDOMAINS:
        raise validation_error(f'Subdomain "{subdomain}" is reserved; choose another '
                               f'(reserved: {", ".join(RESERVED_SUBDOMAINS)}).')
    else:
        return subdomain
    raise validation_error(f'Subdomain "{subdomain}" is not valid: {reason}.')


def check_timezone(name):
    """An IANA zone name that this machine's zoneinfo database knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise validation_error(f'Unknown timezone "{name}"; use an IANA name such as '
                               f'"Europe/Paris" or "UTC".') from None
    return name


def normalise_email(email):
    """Emails are compared lowercased and trimmed; a malformed one is refused."""
    email = (email or "").strip().lower()
    try:
        _check_email(email)
    except ValidationError:
        raise validation_error(f'"{email}" is not a valid email address.') from None
    return email


def check_name(value, what):
    value = (value or "").strip()
    if not value:
        raise validation_error(f"{what} must not be empty.")
    if len(value) > MAX_NAME_LENGTH:
        raise validation_error(f"{what} must be at most {MAX_NAME_LENGTH} characters.")
    return value


def create_team(name, subdomain, timezone):
    name = check_name(name, "Team name")
    check_subdomain(subdomain)
    check_timezone(timezone)
    taken = conflict("already_exists", f'Subdomain "{subdomain}" is already taken; '
                                       f"choose another.")
    try:
        with transaction():
            if Team.select().where(Team.subdomain == subdomain).exists():
                raise taken
            return Team.create(name=name, subdomain=subdomain, timezone=timezone)
    except IntegrityError:
        raise taken from None


def find_team(subdomain):
    team = Team.get_or_none(Team.subdomain == subdomain)
    if team is None:
        raise not_found(f'No team with subdomain "{subdomain}"; check the spelling, or '
                        f"create the team first.")
    return team


def member_by_email(team, email):
    """The team's member with `email`, active or not (operators manage both), or 404."""
    member = Member.get_or_none((Member.team == team)
                                & (Member.email == (email or "").strip().lower()))
    if member is None:
        raise not_found(f'No member with email "{email}" in team "{team.subdomain}"; add '
                        f"them to the team first.")
    return member


def add_member(team, email, name, role):
    email = normalise_email(email)
    name = check_name(name, "Member name")
    if role not in ROLES:
        raise validation_error(f'Unknown role "{role}"; use one of {", ".join(ROLES)}.')
    taken = conflict("already_exists", f'Team "{team.subdomain}" already has a member '
                                       f'with email "{email}"; use another email.')
    try:
        with transaction():
            if Member.select().where((Member.team == team) & (Member.email == email)).exists():
                raise taken
            return Member.create(team=team, email=email, name=name, role=role)
    except IntegrityError:
        raise taken from None


def deactivate_member(member):
    """Returns (member, changed). Keys the member created stop working at once (spec §2).

    The last active owner stays: a team with no owner has nobody who may make keys or
    owners again (as GitHub refuses to remove an organisation's last owner)."""
    with transaction():
        member = _locked_member(member)
        if not member.is_active:
            return member, False
        _keep_an_owner(member)
        Member.update(is_active=False).where(Member.id == member.id).execute()
    member.is_active = False
    return member, True


def reactivate_member(member):
    """Returns (member, changed); the keys they created work again unless revoked."""
    with transaction():
        member = _locked_member(member)
        if member.is_active:
            return member, False
        Member.update(is_active=True).where(Member.id == member.id).execute()
    member.is_active = True
    return member, True


def set_role(member, role):
    """Returns (member, changed); demoting the last active owner is refused."""
    if role not in ROLES:
        raise validation_error(f'Unknown role "{role}"; use one of {", ".join(ROLES)}.')
    with transaction():
        member = _locked_member(member)
        if member.role == role:
            return member, False
        if member.is_active:
            _keep_an_owner(member)
        Member.update(role=role).where(Member.id == member.id).execute()
    member.role = role
    return member, True


def _locked_member(member):
    """The member as stored now, with their team locked until the transaction ends, so two
    owners leaving at once cannot both pass the last-owner check. (SQLite's
    BEGIN IMMEDIATE already lets one writer in at a time.)"""
    if not is_sqlite():
        Team.select(Team.id).where(Team.id == member.team_id).for_update().first()
    return Member.get_by_id(member.id)


def _keep_an_owner(member):
    """Raise if `member` is the team's only active owner."""
    if member.role != "owner":
        return
    others = Member.select().where((Member.team == member.team_id) & (Member.role == "owner")
                                   & Member.is_active & (Member.id != member.id))
    if not others.exists():
        raise conflict("last_owner", f'{member.email} is the last active owner of team '
                                     f'"{member.team.subdomain}"; add another owner or make '
                                     f"a member owner first.")


def list_teams():
    return list(Team.select().order_by(Team.subdomain))


def list_members(team):
    return list(Member.select().where(Member.team == team)
                .order_by(Member.created_at, Member.id))


def set_subscription(team, status):
    if status not in SUBSCRIPTION_STATUSES:
        raise validation_error(f'Unknown subscription status "{status}"; use one of '
                               f'{", ".join(SUBSCRIPTION_STATUSES)}.')
    with transaction():
        Team.update(subscription_status=status).where(Team.id == team.id).execute()
    team.subscription_status = status
    return team

