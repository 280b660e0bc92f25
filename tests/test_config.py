"""Settings: defaults < instance/config.py < environment < test mapping; bad values stop."""
import os

import pytest

from nextstep import create_app
from nextstep.errors import ConfigError


@pytest.fixture
def instance(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("NEXTSTEP_"):
            monkeypatch.delenv(key)
    path = tmp_path / "instance"
    monkeypatch.setenv("NEXTSTEP_INSTANCE_PATH", str(path))
    return path


def test_defaults(instance):
    config = create_app().config
    assert config["NEXTSTEP_DATABASE_URL"] == f"sqlite:///{instance / 'nextstep.sqlite3'}"
    assert config["NEXTSTEP_RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["NEXTSTEP_RATE_LIMIT"] == "100 per minute"
    assert config["NEXTSTEP_AUTH_FAILURE_LIMIT"] == "30 per minute"
    assert config["NEXTSTEP_BASE_DOMAIN"] is None
    assert config["NEXTSTEP_MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert config["NEXTSTEP_PROXY_COUNT"] == 0


def test_instance_file_then_environment_then_mapping(instance, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text('NEXTSTEP_RATE_LIMIT = "10 per minute"\n'
                                        'NEXTSTEP_PROXY_COUNT = 1\n'
                                        'NEXTSTEP_BASE_DOMAIN = "from-file.example"\n')
    monkeypatch.setenv("NEXTSTEP_PROXY_COUNT", "2")
    monkeypatch.setenv("NEXTSTEP_BASE_DOMAIN", "from-env.example")
    config = create_app({"NEXTSTEP_BASE_DOMAIN": "from-test.example"}).config
    assert config["NEXTSTEP_RATE_LIMIT"] == "10 per minute"
    assert config["NEXTSTEP_PROXY_COUNT"] == 2
    assert config["NEXTSTEP_BASE_DOMAIN"] == "from-test.example"


def test_environment_strings_are_parsed_to_their_types(instance, monkeypatch):
    monkeypatch.setenv("NEXTSTEP_MAX_CONTENT_LENGTH", "2048")
    monkeypatch.setenv("NEXTSTEP_BASE_DOMAIN", "")
    config = create_app().config
    assert config["NEXTSTEP_MAX_CONTENT_LENGTH"] == 2048
    assert config["NEXTSTEP_BASE_DOMAIN"] is None


@pytest.mark.parametrize("key,value,expected", [
    ("NEXTSTEP_MAX_CONTENT_LENGTH", "lots", "NEXTSTEP_MAX_CONTENT_LENGTH='lots' in the "
     "environment is not valid: expected a whole number."),
    ("NEXTSTEP_PROXY_COUNT", "1.5", "NEXTSTEP_PROXY_COUNT='1.5' in the environment is not "
     "valid: expected a whole number."),
])
def test_a_bad_environment_value_names_the_key(instance, monkeypatch, key, value, expected):
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert str(caught.value) == expected


@pytest.mark.parametrize("key,value", [
    ("NEXTSTEP_RATE_LIMIT", "lots per minute"),
    ("NEXTSTEP_AUTH_FAILURE_LIMIT", "30 per fortnight"),
    ("NEXTSTEP_RATELIMIT_STORAGE_URI", "ftp://nowhere"),
    ("NEXTSTEP_RATELIMIT_STORAGE_URI", "async+redis://localhost"),
    ("NEXTSTEP_RATELIMIT_STORAGE_URI", "memory"),
    ("NEXTSTEP_DATABASE_URL", "mysql://root@localhost/db"),
    ("NEXTSTEP_MAX_CONTENT_LENGTH", 0),
    ("NEXTSTEP_PROXY_COUNT", -1),
    ("NEXTSTEP_PROXY_COUNT", True),
    ("NEXTSTEP_BASE_DOMAIN", "Not A Domain"),
    ("NEXTSTEP_DEFAULT_TIMEZONE", "Mars/Olympus"),
])
def test_a_bad_value_stops_start_up_with_a_sentence(instance, key, value):
    with pytest.raises(ConfigError) as caught:
        create_app({key: value})
    assert str(caught.value).startswith(f"{key}={value!r} is not valid: ")
