"""The demo data `make run` creates on an empty database: a team, its owner, the sample
template (published) and an API key."""
from pathlib import Path

from ..db import transaction
from ..models import Team
from .importer import import_template
from .keys import create_api_key
from .teams import add_member, create_team

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "examples" / "onboarding.json"
DEMO_SUBDOMAIN = "demo"
DEMO_OWNER = "owner@example.com"


def find_sample():
    """The sample ships inside the package (docs/examples/ links to it), so an installed
    wheel has it too; None only when the install was stripped of package data."""
    return SAMPLE_FILE if SAMPLE_FILE.is_file() else None


def any_team_exists():
    return Team.select().exists()


def demo_team_exists():
    return Team.select().where(Team.subdomain == DEMO_SUBDOMAIN).exists()


def bootstrap_demo(data, timezone):
    """(team, owner, template, key) for a new demo team, or None when any team exists.

    One transaction: a bad sample file or a concurrent bootstrap leaves nothing behind.
    """
    with transaction():
        if any_team_exists():
            return None
        team = create_team("Demo", DEMO_SUBDOMAIN, timezone)
        owner = add_member(team, DEMO_OWNER, "Demo Owner", "owner")
        template = import_template(team, data, publish=True)
        _row, key = create_api_key(team, owner, "demo")
    return team, owner, template, key
