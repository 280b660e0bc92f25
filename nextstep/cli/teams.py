"""Teams and their members: create, list, (de)activate, roles, subscriptions."""
import click
from flask import current_app

from ..models.team import ROLES, SUBSCRIPTION_STATUSES
from ..services import teams
from .helpers import TEAM, echo_table, operator_command, when


@operator_command("create-team")
@click.option("--name", required=True, help="Display name.")
@click.option("--subdomain", required=True, help="Unique: a-z, 0-9 and hyphens, 1-63.")
@click.option("--timezone", help="IANA zone; default NEXTSTEP_DEFAULT_TIMEZONE.")
def create_team_command(name, subdomain, timezone):
    """Create a team; prints its id last."""
    timezone = timezone or current_app.config["NEXTSTEP_DEFAULT_TIMEZONE"]
    team = teams.create_team(name, subdomain, timezone)
    click.echo(f'Created team "{team.name}" (subdomain {team.subdomain}, '
               f"timezone {team.timezone}).")
    click.echo(team.id)


@operator_command("add-member")
@TEAM
@click.option("--email", required=True, help="Unique within the team; stored lowercased.")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What they may do.")
def add_member_command(subdomain, email, name, role):
    """Add a member to a team; prints the member's user id last."""
    member = teams.add_member(teams.find_team(subdomain), email, name, role)
    click.echo(f"Added {member.role} {member.name} <{member.email}> to team {subdomain}.")
    click.echo(member.id)


@operator_command("deactivate-member")
@TEAM
@click.option("--email", required=True, help="The member's email.")
def deactivate_member_command(subdomain, email):
    """Deactivate a member; the API keys they created stop working at once."""
    team = teams.find_team(subdomain)
    member, changed = teams.deactivate_member(teams.member_by_email(team, email))
    if changed:
        click.echo(f"Deactivated {member.email}; API keys they created no longer work.")
    else:
        click.echo(f"{member.email} was already deactivated; nothing changed.")


@operator_command("reactivate-member")
@TEAM
@click.option("--email", required=True, help="The member's email.")
def reactivate_member_command(subdomain, email):
    """Reactivate a member; the API keys they created and did not revoke work again."""
    team = teams.find_team(subdomain)
    member, changed = teams.reactivate_member(teams.member_by_email(team, email))
    if changed:
        click.echo(f"Reactivated {member.email}; API keys they created work again unless "
                   f"revoked.")
    else:
        click.echo(f"{member.email} is already active; nothing changed.")


@operator_command("set-role")
@TEAM
@click.option("--email", required=True, help="The member's email.")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(subdomain, email, role):
    """Change a member's role; the last active owner cannot be demoted."""
    team = teams.find_team(subdomain)
    member, changed = teams.set_role(teams.member_by_email(team, email), role)
    if changed:
        click.echo(f"{member.email} is now {role} of team {subdomain}.")
    else:
        click.echo(f"{member.email} is already {role}; nothing changed.")


@operator_command("list-teams")
def list_teams_command():
    """List every team, by subdomain."""
    rows = [(team.subdomain, team.id, team.name, team.timezone, team.subscription_status,
             when(team.created_at)) for team in teams.list_teams()]
    echo_table(("SUBDOMAIN", "ID", "NAME", "TIMEZONE", "SUBSCRIPTION", "CREATED"), rows,
               "There are no teams yet; make one with `nextstep create-team`.")


@operator_command("list-members")
@TEAM
def list_members_command(subdomain):
    """List a team's members, oldest first, deactivated ones included."""
    members = teams.list_members(teams.find_team(subdomain))
    rows = [(member.email, member.id, member.name, member.role,
             "yes" if member.is_active else "no", when(member.created_at))
            for member in members]
    echo_table(("EMAIL", "USER ID", "NAME", "ROLE", "ACTIVE", "CREATED"), rows,
               f"Team {subdomain} has no members; add one with `nextstep add-member`.")


@operator_command("set-subscription")
@TEAM
@click.argument("status", type=click.Choice(SUBSCRIPTION_STATUSES))
def set_subscription_command(subdomain, status):
    """Set a team's subscription status; only active and trialing teams may use the API."""
    team = teams.set_subscription(teams.find_team(subdomain), status)
    effect = ("the API answers its keys" if team.subscription_is_active
              else "its API requests get 403 until it is active or trialing again")
    click.echo(f"Team {subdomain} subscription is now {status}: {effect}.")


TEAM_COMMANDS = [create_team_command, list_teams_command, add_member_command,
                 list_members_command, deactivate_member_command, reactivate_member_command,
                 set_role_command, set_subscription_command]
