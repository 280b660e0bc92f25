"""Where a webhook may go (contract §11): https only, public addresses only, checked on the
address actually connected to; a slow receiver cannot hold a worker past the timeout."""
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
from test_run_helpers import started
from webhook_helpers import Receiver, admin_key, bearer, local_settings

from nextstep.models import Delivery
from nextstep.services import delivery as sending
from nextstep.services.delivery import Rules, check_url, post
from nextstep.services.worker import Worker

STRICT = Rules()
REFUSED = [
    ("127.0.0.1", "loopback"), ("127.5.6.7", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
    ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("0.0.0.0", "reserved"), ("::", "reserved"),
    ("100.64.0.1", "non-public"), ("192.0.2.10", "private"),
]


@pytest.mark.parametrize("address,kind", REFUSED)
def test_each_non_public_address_is_refused_at_send_time(address, kind):
    shown = address.removeprefix("::ffff:")
    contacted = []
    outcome = post("https://hooks.example.com/x", b"{}", {}, 5, STRICT,
                   resolver=lambda host, port: contacted.append((host, port)) or [address])
    assert contacted == [("hooks.example.com", 443)]
    assert (outcome.status, outcome.error) == (None, f"Refused: Resolves to {shown}, a {kind} "
                                                     f"address, which webhooks may not reach.")


def test_a_name_with_a_public_and_a_private_address_goes_only_to_the_public_one(monkeypatch):
    tried = []
    monkeypatch.setattr(sending, "_post_to", lambda address, *args: tried.append(address)
                        or sending.Outcome(status=204, body=""))
    outcome = post("https://hooks.example.com/x", b"{}", {}, 5, STRICT,
                   resolver=lambda host, port: ["127.0.0.1", "93.184.215.14"])
    assert outcome.succeeded and tried == ["93.184.215.14"]


def test_http_is_refused_at_send_time_without_the_switch():
    outcome = post("http://hooks.example.com/x", b"{}", {}, 5, STRICT,
                   resolver=lambda host, port: ["93.184.215.14"])
    assert outcome.error == "Refused: Must be an https:// URL."


@pytest.mark.parametrize("url,message", [
    ("https://localhost/", "Must not point at this machine (localhost)."),
    ("https://api.localhost/", "Must not point at this machine (localhost)."),
    ("https://[fe80::1]/", "Resolves to fe80::1, a link-local address, which webhooks may not "
                           "reach."),
])
def test_creation_refuses_what_the_url_itself_shows(url, message):
    with pytest.raises(sending.RefusedURL) as refused:
        check_url(url, STRICT)
    assert str(refused.value) == message
    check_url(url, Rules(allow_private=True))  # the switch lifts it


@pytest.fixture
def app_config(app_config):
    return {**app_config, "NEXTSTEP_WEBHOOK_ALLOW_HTTP": True}


@pytest.fixture
def admin(team, make_key):
    return bearer(admin_key(make_key, team)[0])


@pytest.fixture
def name_for_loopback(monkeypatch):
    """hooks.example.com resolves to 127.0.0.1 (the system resolver, as DNS would answer)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real("127.0.0.1" if host == "hooks.example.com" else host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_host_name_resolving_to_loopback_is_refused_and_never_contacted(
        client, auth, admin, team, make_template, name_for_loopback):
    template = make_template(team)
    with Receiver() as receiver:
        port = receiver.server.server_port
        response = client.post("/api/v1/webhooks", headers=admin, json={
            "url": f"http://hooks.example.com:{port}/in", "events": ["process_run.created"]})
        assert response.status_code == 201  # a name is judged when it is resolved
        started(client, auth, template)
        worker = Worker(local_settings(rules=Rules(allow_http=True)))
        try:
            worker.drain()
        finally:
            worker._pool.shutdown()
        assert receiver.requests == []
    delivery = Delivery.get()
    assert (delivery.status, delivery.error) == (
        "pending", "Refused: Resolves to 127.0.0.1, a loopback address, which webhooks may not "
                   "reach.")


def test_with_private_allowed_the_checked_address_gets_the_original_host(
        client, auth, admin, team, make_template, name_for_loopback):
    template = make_template(team)
    with Receiver() as receiver:
        port = receiver.server.server_port
        client.post("/api/v1/webhooks", headers=admin, json={
            "url": f"http://hooks.example.com:{port}/in", "events": ["process_run.created"]})
        started(client, auth, template)
        worker = Worker(local_settings())
        try:
            assert worker.drain() == 1
        finally:
            worker._pool.shutdown()
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example.com:{port}"
    assert Delivery.get().status == "delivered"


class Listener:
    """A TCP server on 127.0.0.1 that runs `handle(connection)` for each client."""

    def __init__(self, handle):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handle = handle
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            connection, _ = self.sock.accept()
        except OSError:
            return
        with connection:
            try:
                self.handle(connection)
            except OSError:
                pass

    def close(self):
        self.sock.close()


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout():
    def trickle(connection):
        connection.recv(65536)
        for _ in range(100):  # 30 s of one byte every 0.3 s, far past the 1 s timeout
            connection.sendall(b"H")
            time.sleep(0.3)
    listener = Listener(trickle)
    try:
        outcome = post(f"http://127.0.0.1:{listener.port}/", b"{}", {}, 1,
                       Rules(allow_http=True, allow_private=True))
    finally:
        listener.close()
    assert (outcome.status, outcome.error) == (None, "Timed out after 1 s")


def test_a_receiver_that_never_answers_is_a_timeout():
    listener = Listener(lambda connection: time.sleep(20))
    try:
        outcome = post(f"http://127.0.0.1:{listener.port}/", b"{}", {}, 1,
                       Rules(allow_http=True, allow_private=True))
    finally:
        listener.close()
    assert (outcome.status, outcome.error) == (None, "Timed out after 1 s")


def test_a_huge_answer_is_read_to_64_kib_and_500_characters_kept():
    with Receiver([(200, "é" * 400_000)]) as receiver:
        outcome = post(receiver.url, b"{}", {}, 5, Rules(allow_http=True, allow_private=True))
    assert outcome.succeeded and outcome.body == "é" * 500


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_sends_the_original_name_for_tls_and_checks_the_certificate(tmp_path):
    """The connection goes to the checked address, with the URL's host as TLS server name;
    a certificate no trusted authority signed is refused."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=hooks.example.com", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    def handshake(connection):
        try:
            context.wrap_socket(connection, server_side=True).close()
        except ssl.SSLError:
            pass
    listener = Listener(handshake)
    try:
        outcome = post(f"https://hooks.example.com:{listener.port}/", b"{}", {}, 5,
                       Rules(allow_private=True), resolver=lambda host, port: ["127.0.0.1"])
    finally:
        listener.close()
    assert names == ["hooks.example.com"]
    assert outcome.status is None
    assert outcome.error.startswith("Cannot connect to 127.0.0.1: TLS certificate not accepted")


def test_a_slow_dns_answer_is_waited_for_no_longer_than_the_timeout():
    answered = threading.Event()

    def slow(host, port):
        answered.wait(10)
        return ["93.184.215.14"]
    try:
        outcome = post("https://hooks.example.com/", b"{}", {}, 1, STRICT, resolver=slow)
    finally:
        answered.set()
    assert (outcome.status, outcome.error) == (
        None, "Timed out after 1 s resolving hooks.example.com")
