"""Due-date rules of template tasks, resolved to timestamps for run tasks.

A relative offset is applied to the *local wall-clock time* in the run's timezone: a task
due "P1D" after a run started Friday 16:00 in Europe/Berlin is due at 16:00 Berlin time on
the next day, whatever daylight saving did in between. With `business_days` the day part
counts weekdays only (Saturdays and Sundays are skipped, a week is five business days) and
a result that still lands on a weekend moves on to Monday at the same local time. There is
no holiday calendar.
"""
import calendar
from datetime import UTC, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..due_rules import counting_from, origin_task
from ..durations import parse_duration
from ..ids import parse_timestamp

SATURDAY = 5


def _add_months(moment, months):
    """Calendar months, the day clamped to the end of a shorter month (Jan 31 + 1M = Feb 28)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _add_business_days(moment, count):
    for _ in range(count):
        moment += timedelta(days=1)
        while moment.weekday() >= SATURDAY:
            moment += timedelta(days=1)
    return moment


def _off_weekend(moment):
    while moment.weekday() >= SATURDAY:
        moment += timedelta(days=1)
    return moment


def apply_offset(start, offset, business_days, timezone_name):
    """`start` (naive UTC) plus the duration `offset` on the wall clock of the timezone."""
    years, months, weeks, days, hours, minutes, seconds = parse_duration(offset)
    zone, local = _local_time(start, timezone_name)
    if years or months:
        local = _add_months(local, years * 12 + months)
    if business_days:
        local = _add_business_days(local, weeks * 5 + days)
    else:
        local += timedelta(days=weeks * 7 + days)
    local += timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if business_days:
        local = _off_weekend(local)
    return to_utc(local, zone)


@lru_cache(maxsize=64)
def _local_time(start, timezone_name):
    """(zone, `start` on its wall clock): a run's start resolves every task's offset from
    the same moment, so it is converted once."""
    zone = ZoneInfo(timezone_name)
    return zone, start.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def to_utc(local, zone):
    """Naive local time in `zone` to naive UTC; a time in a DST gap reads with fold=0."""
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def resolve_rule(rule, base, timezone_name):
    """The due timestamp of a fixed rule, or of a relative rule counted from `base`.

    A rule that cannot be read (a bad offset or timestamp in an old snapshot) gives None:
    a run must still start, it just shows no due date for that task.
    """
    try:
        if rule.get("type") == "fixed":
            return parse_timestamp(rule["at"])
        return apply_offset(base, rule["offset"], bool(rule.get("business_days")),
                            timezone_name)
    except (KeyError, TypeError, ValueError, OverflowError, ZoneInfoNotFoundError):
        return None


def initial_due(rule, start, timezone_name, task_ids):
    """(due_date, due_rule) for a new run task.

    Fixed and run-start rules resolve now. A rule counted from another task's completion
    is kept in `due_rule`, with the template task id swapped for the run task id
    (`task_ids`), and resolves when that task completes; a rule naming a task that is not
    in the snapshot resolves to nothing.
    """
    if not rule:
        return None, None
    origin = origin_task(rule)
    if rule.get("type") != "fixed" and origin is not None:
        run_task_id = task_ids.get(origin)
        if run_task_id is None:
            return None, None
        return None, counting_from(rule, run_task_id)
    return resolve_rule(rule, start, timezone_name), None


def waits_on(rule, task_id):
    """Whether a stored `due_rule` counts from the completion of run task `task_id`."""
    return bool(rule) and origin_task(rule) == task_id

