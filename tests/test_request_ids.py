"""X-Request-Id (contract §12): echoed or generated on every answer, and on every log
line of its request, through a real `nextstep serve` reading what it writes."""
import logging
import re
import sqlite3

import pytest
from test_access_log import access_lines, fields
from test_serving import BAD_KEY, HEALTH, TIMESTAMP, URL

from nextstep import RequestIdFilter

GENERATED = re.compile(r"[0-9a-f]{32}")


def lines_of(output, request_id):
    return [line for line in output.splitlines() if f" [{request_id}] " in line]


def test_a_client_id_is_echoed_on_every_kind_of_answer_and_logged(serve_process, team,
                                                                  make_key):
    key, _row = make_key(team)
    auth = {"Authorization": f"Bearer {key}"}
    server = serve_process(NEXTSTEP_RATE_LIMIT="2 per minute")
    sent = [("GET", URL, auth, 200), ("GET", "/api/v1/process-runs/nope", auth, 404),
            ("GET", URL, auth, 429), ("GET", URL, BAD_KEY, 401), ("GET", HEALTH, {}, 200)]
    for number, (method, path, headers, expected) in enumerate(sent):
        client_id = f"client-{number}:~!{{}}"
        status, answer, _body = server.request(method, path,
                                               headers=dict(headers, **{"X-Request-Id": client_id}))
        assert (status, answer["X-Request-Id"]) == (expected, client_id)
    output = server.wait_for_output("request_id=client-4")
    for number in range(len(sent)):
        [line] = lines_of(output, f"client-{number}:~!{{}}")
        assert fields(line)["request_id"] == f"client-{number}:~!{{}}"


@pytest.mark.parametrize("sent", ["", " ", "a b", "x" * 201, "é", "tab\there", "\x7f"])
def test_an_unusable_client_id_is_replaced_by_a_generated_one(client, sent):
    response = client.get(HEALTH, headers={"X-Request-Id": sent})
    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["X-Request-Id"])


def test_the_longest_client_id_is_echoed(client):
    sent = "!" + "a" * 198 + "~"
    assert client.get(HEALTH, headers={"X-Request-Id": sent}).headers["X-Request-Id"] == sent


def test_every_answer_gets_its_own_generated_id(serve_process):
    server = serve_process()
    ids = [server.request("GET", URL, headers=BAD_KEY)[1]["X-Request-Id"] for _ in range(3)]
    assert all(GENERATED.fullmatch(value) for value in ids) and len(set(ids)) == 3
    output = server.wait_for_output(f"request_id={ids[-1]}")
    for value in ids:
        [line] = lines_of(output, value)
        assert fields(line)["request_id"] == value


def test_a_warning_during_a_503_carries_the_id_as_the_answer_does(serve_process, team,
                                                                 make_key, database_url):
    """Every line of one request, not only the access line: the `nextstep` logger's
    warning of a lock timeout (SQLite's write lock held here by another connection)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("holds SQLite's write lock")
    key, _row = make_key(team)
    server = serve_process(NEXTSTEP_SQLITE_BUSY_TIMEOUT_MS="100")
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        status, headers, _body = server.request("GET", URL, headers={
            "Authorization": f"Bearer {key}", "X-Request-Id": "outage-1"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (status, headers["X-Request-Id"]) == (503, "outage-1")
    output = server.wait_for_output("request_id=outage-1")
    warning, access = lines_of(output, "outage-1")
    assert re.fullmatch(f"{TIMESTAMP} WARNING \\[outage-1\\] nextstep: SQLite write lock "
                        "timeout .*", warning)
    assert " nextstep.access: " in access and fields(access)["status"] == "503"


def test_lines_outside_a_request_say_so(serve_process):
    server = serve_process()
    server.request("GET", HEALTH)
    server.stop()
    startup = [line for line in server.output().splitlines() if "[-]" in line]
    assert all(" [-] " in line for line in startup)
    assert not access_lines("\n".join(startup))


def test_the_filter_gives_any_logger_s_records_the_id(app, caplog):
    """An embedding app puts RequestIdFilter on its own handler: a library's record during
    one of our requests names it, as one outside any request says "-"."""
    caplog.handler.addFilter(RequestIdFilter())
    library = logging.getLogger("some.library")
    with caplog.at_level(logging.INFO):
        library.info("outside")
        with app.test_request_context(HEALTH, headers={"X-Request-Id": "inside-1"}):
            library.info("inside")
    assert [(r.getMessage(), r.request_id) for r in caplog.records] == [
        ("outside", "-"), ("inside", "inside-1")]
