"""Finding the team's members a request names: by user id or email, active ones only.

One lookup per request (`lookup_members` over every reference it makes), then
`member_named` resolves each reference from that dict; the actor of a write is
`actor_of`. (The operator's commands find members by email, active or not, with
teams.member_by_email, which answers 404 instead of None.)
"""
from peewee import fn

from ..models import Member

NO_ACTOR = "No active member of this team has this email."


def lookup_members(team, refs):
    """Active members of `team` named in `refs` (user ids or emails), in one query.

    Returns a dict keyed by user id and by lowercased email; resolve with `member_named`.
    """
    refs = {ref for ref in refs if isinstance(ref, str) and ref}
    if not refs:
        return {}
    query = Member.select().where(
        (Member.team == team) & (Member.is_active == True)  # noqa: E712 - SQL, not Python
        & (Member.id.in_(refs) | fn.LOWER(Member.email).in_({r.lower() for r in refs})))
    members = {}
    for member in query:
        members[member.id] = member
        members[member.email.lower()] = member
    return members


def member_named(members, ref):
    """The member a user id or (case-insensitive) email names, or None."""
    if not isinstance(ref, str):
        return None
    return members.get(ref.lower() if "@" in ref else ref)


def actor_of(members, email):
    """(the member `email` names, or None for the API itself when no email is given;
    errors keyed `actor_email`)."""
    if email is None:
        return None, {}
    actor = member_named(members, email)
    return actor, ({} if actor else {"actor_email": [NO_ACTOR]})
