"""ISO 8601 durations, the offsets of due-date rules.

A leaf module (it imports nothing of NextStep): the import-file schema checks an offset's
shape with it and services/due_dates.py applies one, and schemas never import services.
"""
import re
from functools import lru_cache

DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                      r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.ASCII)


def parse_duration(text):
    """(years, months, weeks, days, hours, minutes, seconds) of an ISO 8601 duration,
    written in ASCII digits ("P٣D" is not one)."""
    if not isinstance(text, str):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    return _parse(text)


@lru_cache(maxsize=1024)
def _parse(text):
    """Cached: a run's start applies the same few offsets to every task of its template."""
    match = DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    return tuple(int(part or 0) for part in match.groups())
