"""`nextstep serve` as a stranger meets it (contract §13): idle and slow connections, the
client address behind a proxy, a port that is taken (the request log: test_access_log.py).

The tests run the real command (the serve_process fixture) unless they check what serve
hands to waitress.
"""
import errno
import http.client
import json
import re
import select
import socket
import time

import pytest
from click.testing import CliRunner

from nextstep import wsgi_server
from nextstep.cli import main
from servers import NextStepServe, loggers_restored

URL = "/api/v1/process-templates"
HEALTH = "/api/v1/health"
BAD_KEY = {"Authorization": "Bearer nxs_live_" + "0" * 32}
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def closed_by_server(sock, wait):
    """True once the server has closed `sock` (end of file or reset), False if it is
    still open after `wait` seconds; an answer on it is a failure."""
    try:
        readable, _, _ = select.select([sock], [], [], wait)
        if not readable:
            return False
        data = sock.recv(4096)
    except ConnectionResetError:
        return True
    assert data == b"", f"the server answered instead of closing: {data[:200]!r}"
    return True


def trickle_until_closed(sock, data, pause=0.5):
    """Send `data` a byte every `pause` seconds; True if the server closes the connection
    before the last byte (the guard: len(data) * pause seconds)."""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        if closed_by_server(sock, pause):
            return True
    return False


@pytest.fixture
def serve_loggers():
    """For serve run in this process: the loggers it configures are put back after."""
    with loggers_restored("", "nextstep", "nextstep.access", "waitress"):
        yield


def test_300_idle_connections_leave_a_real_request_answered(serve_process):
    server = serve_process()
    idle = [connect(server.port) for _ in range(300)]
    try:
        status, _headers, _body = server.request("GET", HEALTH, timeout=20)
    finally:
        for sock in idle:
            sock.close()
    assert status == 200


def test_a_connection_without_a_whole_request_in_time_is_closed(serve_process):
    server = serve_process(NEXTSTEP_REQUEST_TIMEOUT="2")
    silent = connect(server.port)
    trickling = connect(server.port)
    trickling.sendall(b"G")
    assert server.request("GET", HEALTH)[0] == 200
    endless_header = b"ET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 80
    assert trickle_until_closed(trickling, endless_header)
    assert closed_by_server(silent, 30)
    assert server.request("GET", HEALTH)[0] == 200
    silent.close()
    trickling.close()


def test_a_keep_alive_connection_sending_whole_requests_outlives_the_deadline(serve_process):
    server = serve_process(NEXTSTEP_REQUEST_TIMEOUT="2")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    statuses, local_ports = [], set()
    started = time.monotonic()
    while time.monotonic() - started < 6:  # three deadlines
        conn.request("GET", HEALTH)
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
        local_ports.add(conn.sock.getsockname()[1])
        time.sleep(0.2)
    conn.close()
    assert set(statuses) == {200}
    assert len(local_ports) == 1  # one connection all along


def test_the_request_deadline_is_30_seconds_unless_configured(app):
    assert app.config["NEXTSTEP_REQUEST_TIMEOUT"] == 30
    options = wsgi_server.server_options(app.config, "127.0.0.1", 8080, 8)
    assert (options["request_timeout"], options["channel_timeout"]) == (30, 30)
    app.config["NEXTSTEP_REQUEST_TIMEOUT"] = 5
    options = wsgi_server.server_options(app.config, "127.0.0.1", 8080, 8)
    assert (options["request_timeout"], options["channel_timeout"]) == (5, 5)


def test_the_server_built_for_serve_enforces_the_deadline_it_is_given(app):
    server = wsgi_server.create_server(app, **wsgi_server.server_options(
        app.config, "127.0.0.1", 0, 1))
    try:
        assert server.request_timeout == 30
        assert server.adj.asyncore_use_poll is True  # select() stops at descriptor 1024
    finally:
        server.close()


@pytest.mark.parametrize("setting, value, message", [
    ("NEXTSTEP_REQUEST_TIMEOUT", "0", "NEXTSTEP_REQUEST_TIMEOUT=0 is not valid: must be a whole "
     "number of at least 1. (Seconds `nextstep serve` gives a connection to send a whole "
     "request.)"),
    ("NEXTSTEP_CONNECTION_LIMIT", "lots", "NEXTSTEP_CONNECTION_LIMIT='lots' in the environment "
     "is not valid: expected a whole number.")])
def test_the_connection_settings_are_checked_at_start_up(tmp_path, setting, value, message):
    env = {"NEXTSTEP_INSTANCE_PATH": str(tmp_path), setting: value}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")


class TestOpenFileLimit:
    """A connection is a file descriptor: the process must be allowed enough of them."""

    @pytest.fixture
    def limits(self, monkeypatch):
        state = {}

        def setrlimit(which, value):
            state["set"] = value
        monkeypatch.setattr(wsgi_server.resource, "setrlimit", setrlimit)

        def install(soft, hard):
            monkeypatch.setattr(wsgi_server.resource, "getrlimit", lambda which: (soft, hard))
            return state
        return install

    def test_the_soft_limit_is_raised_to_fit_the_connections(self, limits):
        state = limits(1024, 65536)
        needed = 1000 + wsgi_server.files_beside_connections(8)
        assert wsgi_server.fit_open_file_limit(1000, 8) == (1000, None)
        assert state["set"] == (needed, 65536)

    def test_a_limit_already_high_enough_is_left_alone(self, limits):
        state = limits(100_000, 100_000)
        assert wsgi_server.fit_open_file_limit(1000, 8) == (1000, None)
        assert "set" not in state

    def test_a_hard_limit_too_low_lowers_the_connection_limit_with_a_warning(self, limits):
        limits(256, 512)
        spare = wsgi_server.files_beside_connections(8)
        assert wsgi_server.fit_open_file_limit(1000, 8) == (512 - spare, (
            f"this process may open only 512 files (ulimit -n), so NextStep serves at most "
            f"{512 - spare} connections at once instead of NEXTSTEP_CONNECTION_LIMIT=1000; "
            f"raise the limit to serve more."))

    @pytest.mark.usefixtures("serve_loggers")
    def test_serve_uses_the_lowered_limit_and_says_so(self, limits, runner, monkeypatch):
        limits(256, 512)
        created = []

        class Server:
            def run(self):
                pass

        def create_server(app, **options):
            created.append(options)
            return Server()
        monkeypatch.setattr(wsgi_server, "create_server", create_server)
        result = runner.invoke(args=["serve"])
        fitted = 512 - wsgi_server.files_beside_connections(8)
        assert result.exit_code == 0, result.output
        assert created[0]["connection_limit"] == fitted
        assert re.fullmatch(f"{TIMESTAMP} WARNING \\[-\\] nextstep: this process may open "
                            f"only 512 files .*\n", result.stderr)


class TestBehindAProxy:
    def attempt(self, server, forwarded_for):
        headers = dict(BAD_KEY, **{"X-Forwarded-For": forwarded_for})
        return server.request("GET", URL, headers=headers)[0]

    def test_each_client_has_its_own_failed_auth_allowance(self, serve_process):
        server = serve_process(NEXTSTEP_PROXY_COUNT="1", NEXTSTEP_AUTH_FAILURE_LIMIT="3 per minute")
        # What a client writes itself is left of what the proxy appended: it changes nothing.
        statuses = [self.attempt(server, f"10.9.9.{n}, 203.0.113.1") for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert self.attempt(server, "203.0.113.2") == 401
        # waitress, left to read the header, would answer a client's bad quoting in plain text.
        status, headers, body = server.request("GET", URL, headers=dict(
            BAD_KEY, **{"X-Forwarded-For": '"unclosed, 203.0.113.3'}))
        assert (status, json.loads(body)["error"]["code"]) == (401, "unauthorized")

    def test_without_a_proxy_count_a_forged_address_changes_nothing(self, serve_process):
        server = serve_process(NEXTSTEP_AUTH_FAILURE_LIMIT="3 per minute")
        statuses = [self.attempt(server, f"203.0.113.{n}") for n in range(4)]
        assert statuses == [401, 401, 401, 429]


@pytest.mark.usefixtures("serve_loggers")
class TestListenFailures:
    @pytest.fixture
    def second_serve(self, app, database_url, tmp_path):
        """`app`: the tables exist, so serve gets as far as listening (it checks the
        schema before it binds)."""
        def make(*args, port=None):
            return NextStepServe({"NEXTSTEP_DATABASE_URL": database_url}, args, port=port,
                                 instance_path=tmp_path / "second-instance")
        return make

    def test_a_port_in_use_is_one_sentence(self, serve_process, second_serve):
        first = serve_process()
        assert second_serve(port=first.port).run_to_exit() == (1, "", (
            f"Error: Port {first.port} on 127.0.0.1 is already in use; stop the other "
            f"server or pick another with --port.\n"))
        assert first.request("GET", HEALTH)[0] == 200

    def test_an_address_of_another_machine_is_one_sentence(self, second_serve):
        assert second_serve("--host", "192.0.2.1").run_to_exit() == (1, "", (
            "Error: Address 192.0.2.1 is not an address of this machine; pick one of its "
            "addresses with --host, or 0.0.0.0 for every interface.\n"))

    def test_a_host_name_that_does_not_resolve_is_one_sentence(self, second_serve):
        assert second_serve("--host", "nosuch.invalid").run_to_exit() == (1, "", (
            "Error: Host nosuch.invalid could not be resolved to an address; pick another "
            "with --host, such as 127.0.0.1 or 0.0.0.0 for every interface.\n"))

    @pytest.mark.parametrize("code, message", [
        (errno.EACCES, "Not allowed to listen on port 80 on 127.0.0.1 (ports below 1024 need "
                       "extra privileges); pick another with --port."),
        (errno.EMFILE, "Cannot listen on port 80 on 127.0.0.1: Too many open files."),
    ])
    def test_other_listen_failures_are_one_sentence(self, runner, monkeypatch, code, message):
        def refuse(app, **options):
            raise OSError(code, {errno.EACCES: "Permission denied",
                                 errno.EMFILE: "Too many open files"}[code])
        monkeypatch.setattr(wsgi_server, "create_server", refuse)
        result = runner.invoke(args=["serve", "--port", "80"])
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")
