"""Ids and timestamps in the public API's shapes (contract §6)."""
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from nextstep.ids import format_timestamp, new_id, parse_timestamp, utcnow


def test_ids_are_20_characters_over_letters_and_digits():
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9]{20}", value) for value in ids)


def test_every_character_is_drawn():
    counts = Counter("".join(new_id() for _ in range(5000)))
    assert len(counts) == 62
    assert max(counts.values()) < 2 * min(counts.values())


def test_timestamps_print_in_utc_with_milliseconds_and_z():
    assert format_timestamp(datetime(2026, 3, 27, 2, 8, 5, 224999)) == "2026-03-27T02:08:05.224Z"
    berlin = timezone(timedelta(hours=1))
    assert format_timestamp(datetime(2026, 3, 27, 3, 8, 5, tzinfo=berlin)) == \
        "2026-03-27T02:08:05.000Z"
    assert format_timestamp(None) is None


@pytest.mark.parametrize("text,expected", [
    ("2026-03-27T02:08:05.224Z", datetime(2026, 3, 27, 2, 8, 5, 224000)),
    ("2026-03-27T04:08:05+02:00", datetime(2026, 3, 27, 2, 8, 5)),
    ("2026-03-27", datetime(2026, 3, 27)),
    ("2026-03-27T02:08:05.224999", datetime(2026, 3, 27, 2, 8, 5, 224000)),
])
def test_parsing_gives_naive_utc_to_the_millisecond(text, expected):
    assert parse_timestamp(text) == expected


def test_now_is_stored_to_the_millisecond():
    assert utcnow().microsecond % 1000 == 0
