"""Due-date rules: wall-clock offsets in the run's timezone, business days, task-relative."""
from datetime import datetime

import pytest
from test_run_helpers import patch, started, tasks_of

from nextstep.models import RunTask, Team
from nextstep.services.due_dates import apply_offset, initial_due, parse_duration, resolve_rule

FRIDAY_4PM_BERLIN = datetime(2026, 3, 27, 15, 0)  # CET (+1); DST starts Sunday 2026-03-29


@pytest.mark.parametrize("start, offset, business, zone, expected", [
    # Friday 16:00 Berlin + one business day = Monday 16:00 Berlin, now in summer time
    (FRIDAY_4PM_BERLIN, "P1D", True, "Europe/Berlin", datetime(2026, 3, 30, 14, 0)),
    (FRIDAY_4PM_BERLIN, "P1D", False, "Europe/Berlin", datetime(2026, 3, 28, 15, 0)),
    # the wall clock is kept across the DST change: 16:00 stays 16:00 (23 real hours)
    (datetime(2026, 3, 28, 15, 0), "P1D", False, "Europe/Berlin", datetime(2026, 3, 29, 14, 0)),
    (datetime(2026, 3, 28, 15, 0), "PT24H", False, "Europe/Berlin",
     datetime(2026, 3, 29, 14, 0)),
    # a local time inside the spring-forward gap reads with the offset before the change
    (datetime(2026, 3, 28, 1, 30), "P1D", False, "Europe/Berlin", datetime(2026, 3, 29, 1, 30)),
    # autumn: 10:00 CEST Saturday + 1 day = 10:00 CET Sunday (25 real hours)
    (datetime(2026, 10, 24, 8, 0), "P1D", False, "Europe/Berlin", datetime(2026, 10, 25, 9, 0)),
    (datetime(2026, 3, 26, 10, 0), "P2D", True, "UTC", datetime(2026, 3, 30, 10, 0)),
    (datetime(2026, 3, 23, 10, 0), "P5D", True, "UTC", datetime(2026, 3, 30, 10, 0)),
    (datetime(2026, 3, 25, 10, 0), "P1W", True, "UTC", datetime(2026, 4, 1, 10, 0)),
    (datetime(2026, 3, 25, 10, 0), "P2W", True, "UTC", datetime(2026, 4, 8, 10, 0)),
    (datetime(2026, 3, 25, 10, 0), "P1W", False, "UTC", datetime(2026, 4, 1, 10, 0)),
    # from a weekend: the first business day after Saturday is Monday
    (datetime(2026, 3, 28, 10, 0), "P1D", True, "UTC", datetime(2026, 3, 30, 10, 0)),
    (datetime(2026, 3, 28, 10, 0), "P2D", True, "UTC", datetime(2026, 3, 31, 10, 0)),
    (datetime(2026, 3, 28, 10, 0), "P0D", True, "UTC", datetime(2026, 3, 30, 10, 0)),
    (datetime(2026, 3, 29, 10, 0), "PT2H", True, "UTC", datetime(2026, 3, 30, 12, 0)),
    # hours that carry into the weekend move on to Monday, same time of day
    (datetime(2026, 3, 27, 20, 0), "PT8H", True, "UTC", datetime(2026, 3, 30, 4, 0)),
    (datetime(2026, 3, 27, 20, 0), "PT8H", False, "UTC", datetime(2026, 3, 28, 4, 0)),
    (datetime(2026, 3, 27, 9, 0), "P1DT2H30M15S", False, "UTC", datetime(2026, 3, 28, 11, 30, 15)),
    # the weekday is the team's, not UTC's: Friday 23:30 UTC is Saturday 12:30 in Auckland
    # (+13), so one business day is Monday 12:30 there, Sunday 23:30 UTC
    (datetime(2026, 3, 27, 23, 30), "P1D", True, "Pacific/Auckland", datetime(2026, 3, 29, 23, 30)),
    (datetime(2026, 3, 27, 23, 30), "P1D", True, "UTC", datetime(2026, 3, 30, 23, 30)),
    # Monday 03:00 UTC is Sunday evening in New York: one business day is Monday evening
    (datetime(2026, 3, 2, 3, 0), "P1D", True, "America/New_York", datetime(2026, 3, 3, 3, 0)),
    # calendar months clamp to the month's end
    (datetime(2026, 1, 31, 9, 0), "P1M", False, "UTC", datetime(2026, 2, 28, 9, 0)),
    (datetime(2024, 2, 29, 9, 0), "P1Y", False, "UTC", datetime(2025, 2, 28, 9, 0)),
    (datetime(2026, 11, 30, 9, 0), "P3M", False, "UTC", datetime(2027, 2, 28, 9, 0)),
])
def test_apply_offset(start, offset, business, zone, expected):
    assert apply_offset(start, offset, business, zone) == expected


@pytest.mark.parametrize("text, parts", [
    ("P3D", (0, 0, 0, 3, 0, 0, 0)), ("PT4H", (0, 0, 0, 0, 4, 0, 0)),
    ("P1Y2M3W4DT5H6M7S", (1, 2, 3, 4, 5, 6, 7)), ("P0D", (0, 0, 0, 0, 0, 0, 0)),
])
def test_parse_duration(text, parts):
    assert parse_duration(text) == parts


@pytest.mark.parametrize("text", ["", "P", "PT", "1D", "P1.5D", "P-1D", "P1DT", "p1d", None,
                                  3, "P1H", "P\u0663D", "PT\uff11H", ["P1D"], {"P": 1}])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_resolve_rule_and_initial_due():
    start = datetime(2026, 3, 27, 15, 0)
    assert resolve_rule({"type": "fixed", "at": "2030-01-02T03:04:05.678+01:00"}, start, "UTC") \
        == datetime(2030, 1, 2, 2, 4, 5, 678000)
    assert resolve_rule({"type": "relative", "from": "run_start", "offset": "soon"},
                        start, "UTC") is None
    assert resolve_rule({"type": "fixed", "at": "never"}, start, "UTC") is None
    relative = {"type": "relative", "from": "task:tpl1", "offset": "P1D", "business_days": True}
    assert initial_due(relative, start, "UTC", {"tpl1": "run1"}) == (
        None, dict(relative, **{"from": "task:run1"}))
    assert initial_due(relative, start, "UTC", {}) == (None, None)
    assert initial_due(None, start, "UTC", {}) == (None, None)
    assert initial_due({"type": "relative", "from": "run_start", "offset": "P1D",
                        "business_days": True}, start, "Europe/Berlin", {}) == (
        datetime(2026, 3, 30, 14, 0), None)


@pytest.fixture
def berlin(client, auth, team, make_template, monkeypatch):
    """A Berlin team's run started Friday 16:00 local, with a task-relative rule."""
    Team.update(timezone="Europe/Berlin").where(Team.id == team.id).execute()
    monkeypatch.setattr("nextstep.services.runs.utcnow", lambda: FRIDAY_4PM_BERLIN)
    template = make_template(team, tasks=[
        {"title": "Kick-off", "is_essential": False,
         "due_date": {"type": "relative", "from": "run_start", "offset": "P1D",
                      "business_days": True}},
        {"title": "Follow-up",
         "due_date": {"type": "relative", "from": "task:0", "offset": "P1D",
                      "business_days": True}},
        {"title": "Fixed", "due_date": {"type": "fixed", "at": "2026-04-01T09:00:00.000Z"}},
    ])
    run = started(client, auth, template)
    return run, tasks_of(client, auth, run["id"])


def test_run_start_rules_resolve_in_the_team_timezone(berlin):
    run, (kickoff, follow_up, fixed) = berlin
    assert run["timezone"] == "Europe/Berlin"
    assert run["created_at"] == "2026-03-27T15:00:00.000Z"
    assert kickoff["due_date"] == "2026-03-30T14:00:00.000Z"
    assert follow_up["due_date"] is None
    assert fixed["due_date"] == "2026-04-01T09:00:00.000Z"


def test_task_relative_rule_resolves_on_completion_and_survives_reopen(
        client, auth, berlin, team, monkeypatch):
    run, (kickoff, follow_up, _fixed) = berlin
    Team.update(timezone="UTC").where(Team.id == team.id).execute()  # the run keeps Berlin

    def at(moment):
        monkeypatch.setattr("nextstep.services.run_tasks.utcnow", lambda: moment)

    # skipping is not completing: the rule waits
    at(datetime(2026, 3, 30, 8, 0))
    patch(client, auth, run["id"], kickoff["id"], {"skipped": True})
    assert RunTask.get_by_id(follow_up["id"]).due_date is None
    # completed Friday 2026-04-03 17:00 Berlin (CEST) -> Monday 17:00 Berlin
    at(datetime(2026, 4, 3, 15, 0))
    patch(client, auth, run["id"], kickoff["id"], {"completed": True})
    task = RunTask.get_by_id(follow_up["id"])
    assert (task.due_date, task.updated_at) == (datetime(2026, 4, 6, 15, 0),
                                                datetime(2026, 4, 3, 15, 0))
    # reopening leaves the computed date in place
    at(datetime(2026, 4, 7, 8, 0))
    patch(client, auth, run["id"], kickoff["id"], {"completed": False})
    assert RunTask.get_by_id(follow_up["id"]).due_date == datetime(2026, 4, 6, 15, 0)
    # completing again counts from the new completion: Tuesday 10:00 -> Wednesday 10:00
    patch(client, auth, run["id"], kickoff["id"], {"completed": True})
    shown = tasks_of(client, auth, run["id"])[1]
    assert shown["due_date"] == "2026-04-08T08:00:00.000Z"
