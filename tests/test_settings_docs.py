"""The settings are kept in config.SETTINGS and described in three documents: the README's
table, docs/configuration.md's table and instance/config.example.py. These tests tie
each document to SETTINGS: every setting, no other, and the same default."""
import re
import runpy
from pathlib import Path

import pytest

from nextstep.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| `(NEXTSTEP_[A-Z_]+)` \| ([^|]+) \|", re.MULTILINE)
UNSET = {"unset", "none"}


def table(document):
    """{setting: default cell} of a markdown table whose rows start with a setting."""
    return {key: cell.strip() for key, cell in ROW.findall((ROOT / document).read_text())}


def shown(default):
    """A default as the tables spell it: a switch as the environment sets it (0 or 1)."""
    return f"`{int(default)}`" if isinstance(default, bool) else f"`{default}`"


@pytest.mark.parametrize("document", ["README.md", "docs/configuration.md"])
def test_each_table_lists_every_setting_and_no_other(document):
    assert sorted(table(document)) == sorted(SETTINGS)


@pytest.mark.parametrize("document", ["README.md", "docs/configuration.md"])
def test_each_table_shows_the_defaults_the_code_has(document):
    rows = table(document)
    for key, (default, *_rest) in SETTINGS.items():
        if key == "NEXTSTEP_DATABASE_URL":  # a path inside the instance folder
            assert "nextstep.sqlite3" in rows[key]
            continue
        if default is None:
            assert rows[key].lower() in UNSET, key
        else:
            assert rows[key] == shown(default), key


def test_the_example_file_sets_only_settings_and_each_to_its_default():
    values = {key: value for key, value in runpy.run_path(
        str(ROOT / "instance/config.example.py")).items() if key.isupper()}
    assert set(values) <= set(SETTINGS)
    for key, value in values.items():
        assert value == SETTINGS[key][0], key
    text = (ROOT / "instance/config.example.py").read_text()
    assert [key for key in SETTINGS if key not in text] == []  # the rest, commented out
