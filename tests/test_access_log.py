"""The request log (nextstep.access): through a real `nextstep serve`, and embedded."""
import json
import logging
import re
import sqlite3

import pytest
from test_serving import BAD_KEY, HEALTH, TIMESTAMP, URL

from nextstep.api import access_log
from nextstep.services.keys import digest_of


def access_lines(output):
    return [line for line in output.splitlines() if " nextstep.access: " in line]


def fields(line):
    """The key=value pairs of an access line; quoted values are JSON strings."""
    prefix, _, rest = line.partition(" nextstep.access: ")
    line_id = re.fullmatch(TIMESTAMP + r" INFO \[(\S+)\]", prefix)
    assert line_id, line
    pairs = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)(?:\s|$)', rest)
    assert " ".join(f"{key}={value}" for key, value in pairs) == rest, line
    logged = {key: json.loads(value) if value.startswith('"') else value
              for key, value in pairs}
    assert logged["request_id"] == line_id[1], line  # the line's id is the request's
    return logged


class TestTheRequestLog:
    def test_one_line_per_request_with_the_key_id_but_never_the_key(self, serve_process,
                                                                      team, make_key):
        key, row = make_key(team)
        server = serve_process(NEXTSTEP_PROXY_COUNT="1")
        statuses = [
            server.request("GET", URL, headers={"Authorization": f"Bearer {key}",
                                                "X-Request-Id": "trace-1",
                                                "X-Forwarded-For": "203.0.113.7"})[0],
            server.request("POST", URL + "?limit=2", body={},
                           headers=dict(BAD_KEY, **{"X-Request-Id": "trace-2"}))[0],
            server.request("GET", "/api/v1/a%00b%0D2026-01-01%20INFO%20forged",
                           headers={"X-Request-Id": "trace-3"})[0],
        ]
        output = server.wait_for_output("request_id=trace-3")
        lines = access_lines(output)
        assert len(lines) == 3, output
        logged = [fields(line) for line in lines]
        for entry in logged:
            assert float(entry.pop("duration_ms")) >= 0
        assert logged == [
            {"method": "GET", "path": URL, "status": str(statuses[0]), "client": "203.0.113.7",
             "request_id": "trace-1", "key_id": row.id, "key_prefix": row.prefix},
            {"method": "POST", "path": URL + "?limit=2", "status": str(statuses[1]),
             "client": "127.0.0.1", "request_id": "trace-2"},
            {"method": "GET", "path": "/api/v1/a\x00b\r2026-01-01 INFO forged",
             "status": str(statuses[2]), "client": "127.0.0.1", "request_id": "trace-3"},
        ]
        assert statuses[0] == 200
        for secret in (key, digest_of(key), BAD_KEY["Authorization"][7:],
                       digest_of(BAD_KEY["Authorization"][7:])):
            assert secret not in output

    def test_no_access_log_turns_it_off(self, serve_process):
        server = serve_process("--no-access-log")
        assert server.request("GET", URL, headers=BAD_KEY)[0] == 401
        assert server.request("GET", HEALTH)[0] == 200
        server.stop()
        assert access_lines(server.output()) == []
        assert "Serving NextStep on" in server.output()

    def test_warnings_on_the_nextstep_logger_show_with_a_timestamp(self, serve_process,
                                                                  team, make_key,
                                                                  database_url):
        """A write that cannot get SQLite's lock (held here by another connection) is
        answered 503 and logged on the `nextstep` logger."""
        if not database_url.startswith("sqlite"):
            pytest.skip("holds SQLite's write lock; the log format is the same everywhere")
        key, _row = make_key(team)
        server = serve_process(NEXTSTEP_SQLITE_BUSY_TIMEOUT_MS="100")
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # the request's last_used_at stamp must wait
            status = server.request("GET", URL, headers={"Authorization": f"Bearer {key}"})[0]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert status == 503
        output = server.wait_for_output("SQLite write lock timeout")
        assert re.search(f"^{TIMESTAMP} WARNING \\[[0-9a-f]{{32}}\\] nextstep: "
                         "SQLite write lock timeout "
                         r"\(database is locked\); rolled back, answered 503$",
                         output, re.MULTILINE), output


def test_in_an_embedding_app_the_log_is_off_and_costs_no_formatting(client, monkeypatch):
    assert not logging.getLogger("nextstep.access").isEnabledFor(logging.INFO)
    monkeypatch.setattr(access_log, "quoted", lambda value: pytest.fail("formatted a line"))
    assert client.get(URL, headers=BAD_KEY).status_code == 401


def test_an_embedding_app_that_turns_it_on_gets_the_lines(client, caplog):
    with caplog.at_level(logging.INFO, logger="nextstep.access"):
        client.get(URL + "?limit=2", headers=dict(BAD_KEY, **{"X-Request-Id": "r1"}))
    [record] = caplog.records
    logged = fields(f"2026-01-01T00:00:00.000Z INFO [r1] nextstep.access: {record.getMessage()}")
    assert float(logged.pop("duration_ms")) >= 0
    assert logged == {"method": "GET", "path": URL + "?limit=2", "status": "401",
                      "client": "127.0.0.1", "request_id": "r1"}


def test_a_conditional_get_is_logged_as_the_304_it_answers(client, auth, caplog, team,
                                                          make_template):
    path = f"{URL}/{make_template(team, tasks=[{}]).id}"
    first = client.get(path, headers=auth)
    with caplog.at_level(logging.INFO, logger="nextstep.access"):
        again = client.get(path, headers=dict(auth, **{"If-None-Match": first.headers["ETag"]}))
    assert first.status_code == 200 and again.status_code == 304
    [record] = caplog.records
    assert " status=304 " in record.getMessage()


@pytest.mark.parametrize("value, written", [
    ("/api/v1/process-runs?limit=2&cursor=x", "/api/v1/process-runs?limit=2&cursor=x"),
    ("a\nb", '"a\\nb"'), ("a b", '"a b"'), ('a"b', '"a\\"b"'), ("", '""'),
    ("\x00\udcff", '"\\u0000\\udcff"'), ("é", '"\\u00e9"')])
def test_a_value_cannot_break_its_line(value, written):
    assert access_log.quoted(value) == written
