"""Sending one webhook POST safely: Standard Webhooks signature, address rules, time limits.

The host name is resolved here, every address is checked, and the connection goes to a
checked address with the original Host header and TLS server name: a name that resolves
to 127.0.0.1 (or changes its answer between a check and the connect) cannot steer a
delivery inside the network. urllib3's connection classes do the HTTP and TLS (server
name, certificate and host name checks); they never follow redirects. One timer closes
the socket when the whole attempt is over its time, so a receiver that trickles its
answer a byte at a time cannot hold a worker past the timeout either.
"""
import base64
import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import HTTPError as Urllib3Error

USER_AGENT = "NextStep-Webhooks/1"
MAX_RESPONSE_READ = 64 * 1024
KEPT_RESPONSE_CHARS = 500
MAX_URL_LENGTH = 2048
CONNECT_TIMEOUT_SHARE = 0.5  # of the whole timeout, at most, to connect (TLS included)


class RefusedURL(ValueError):
    """A URL or address the safety rules refuse; the message says why."""


@dataclass(frozen=True)
class Rules:
    allow_http: bool = False
    allow_private: bool = False


@dataclass
class Outcome:
    """What one attempt got: a status (None when no answer came) or an error."""

    status: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def succeeded(self):
        return self.status is not None and 200 <= self.status < 300


def parse_delays(value):
    """"0,300,1800,7200" as [0, 300, 1800, 7200]: 1 to 10 whole seconds, each at most 30
    days (the delivery log keeps 30 days)."""
    parts = [part.strip() for part in str(value).split(",")]
    if not 1 <= len(parts) <= 10 or not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError('must be 1 to 10 whole numbers of seconds separated by commas, such '
                         'as "0,300,1800,7200"')
    delays = [int(p) for p in parts]
    if any(d > 30 * 86400 for d in delays):
        raise ValueError("each delay must be at most 2592000 seconds (30 days)")
    return delays


def new_secret():
    """`whsec_` + base64 of 24 random bytes (contract §11)."""
    import secrets
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secrets_, message_id, timestamp, body):
    """The `webhook-signature` header: `v1,<base64 HMAC-SHA256>` per secret, space-separated."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(base64.b64decode(s.removeprefix("whsec_")),
                                          signed, hashlib.sha256).digest()).decode()
        for s in secrets_)


def headers_for(payload, body, secrets_, now_seconds):
    """Every header of a delivery; the event id is the message id of Standard Webhooks."""
    timestamp = str(int(now_seconds))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Event": payload["event"],
        "X-Webhook-Id": payload["id"],
        "webhook-id": payload["id"],
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(secrets_, payload["id"], timestamp, body),
    }


def check_url(url, rules):
    """Refuse (RefusedURL) what can be told from the URL alone: scheme, shape, an address
    literal or `localhost` that is not public. Names are resolved only at send time."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise RefusedURL(f"Must be a URL of at most {MAX_URL_LENGTH} characters.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise RefusedURL("Must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedURL("Is not a valid URL.") from None
    schemes = ("https", "http") if rules.allow_http else ("https",)
    if parts.scheme not in schemes:
        raise RefusedURL("Must be an https:// URL." if not rules.allow_http
                         else "Must be an https:// or http:// URL.")
    if not parts.hostname:
        raise RefusedURL("Must name a host.")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("Must not carry a user name or password.")
    if port == 0:
        raise RefusedURL("Must not use port 0.")
    host = parts.hostname
    if not rules.allow_private:
        if host == "localhost" or host.endswith(".localhost"):
            raise RefusedURL("Must not point at this machine (localhost).")
        address = _literal(host)
        if address is not None:
            check_address(address, rules)
    return parts


def check_address(address, rules):
    """Refuse a loopback, private, link-local, multicast, reserved or otherwise non-public
    address (IPv4-mapped IPv6 is judged as the IPv4 it carries)."""
    if rules.allow_private:
        return
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    kind = ("loopback" if ip.is_loopback else "link-local" if ip.is_link_local
            else "multicast" if ip.is_multicast
            else "reserved" if ip.is_reserved or ip.is_unspecified
            else "private" if ip.is_private
            else None if ip.is_global else "non-public")
    if kind is not None:
        raise RefusedURL(f"Resolves to {ip}, a {kind} address, which webhooks may not reach.")


def _literal(host):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host, port):
    """Every address `host` has (system resolver), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


_resolvers = ThreadPoolExecutor(8, thread_name_prefix="webhook-dns")


def _resolve_within(resolver, host, port, seconds):
    """`resolver(host, port)`, or TimeoutError after `seconds`: getaddrinfo cannot be
    interrupted, so it runs in a thread of its own and a slow DNS answer is waited for
    no longer than the attempt's time (the thread finishes on its own later)."""
    return _resolvers.submit(resolver, host, port).result(timeout=max(0.001, seconds))


def post(url, body, headers, timeout, rules, resolver=resolve):
    """POST `body` to `url`; an Outcome, never an exception. `timeout` bounds the whole
    attempt (resolving, connecting, sending and reading)."""
    deadline = time.monotonic() + timeout
    try:
        parts = check_url(url, rules)
    except RefusedURL as refused:
        return Outcome(error=f"Refused: {refused}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = _resolve_within(resolver, parts.hostname, port,
                                    deadline - time.monotonic())
    except FutureTimeout:
        return Outcome(error=f"Timed out after {timeout} s resolving {parts.hostname}")
    except (OSError, UnicodeError) as error:
        return Outcome(error=f"Cannot resolve {parts.hostname}: {_reason(error)}")
    allowed, refused = [], None
    for address in addresses:
        try:
            check_address(address, rules)
            allowed.append(address)
        except RefusedURL as error:
            refused = refused or error
    if not allowed:
        return Outcome(error=f"Refused: {refused or 'no address'}")
    host_header = parts.netloc.rpartition("@")[2]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    last = None
    for address in allowed:
        outcome = _post_to(address, port, parts, host_header, path, body, headers, deadline,
                           timeout)
        if outcome.status is not None or not outcome.error.startswith("Cannot connect"):
            return outcome
        last = outcome
        if time.monotonic() >= deadline:
            break
    return last


def _post_to(address, port, parts, host_header, path, body, headers, deadline, timeout):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return Outcome(error=f"Timed out after {timeout} s")
    connect_timeout = min(remaining, max(1.0, timeout * CONNECT_TIMEOUT_SHARE))
    if parts.scheme == "https":
        connection = HTTPSConnection(address, port, timeout=connect_timeout,
                                     server_hostname=parts.hostname,
                                     assert_hostname=parts.hostname)
    else:
        connection = HTTPConnection(address, port, timeout=connect_timeout)
    expired = threading.Event()

    def cut():
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    timer = threading.Timer(remaining, cut)
    timer.daemon = True
    timer.start()
    try:
        try:
            connection.connect()
        except (OSError, Urllib3Error) as error:
            if expired.is_set():
                return Outcome(error=f"Cannot connect to {address}: timed out")
            return Outcome(error=f"Cannot connect to {address}: {_reason(error)}")
        connection.sock.settimeout(max(0.001, deadline - time.monotonic()))
        connection.request("POST", path, body=body, headers={"Host": host_header, **headers},
                           preload_content=False, decode_content=False)
        response = connection.getresponse()
        data = response.read(MAX_RESPONSE_READ)
        text = data.decode("utf-8", errors="replace")[:KEPT_RESPONSE_CHARS]
        status = response.status
        return Outcome(status=status, body=text,
                       error=None if 200 <= status < 300 else _status_error(status))
    except (OSError, Urllib3Error, http.client.HTTPException, ValueError) as error:
        if expired.is_set() or isinstance(error, TimeoutError | socket.timeout):
            return Outcome(error=f"Timed out after {timeout} s")
        return Outcome(error=_reason(error))
    finally:
        timer.cancel()
        connection.close()


def _status_error(status):
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"


def _reason(error):
    """A short sentence for what went wrong; urllib3's wrappers give way to their cause."""
    if isinstance(error, Urllib3Error) and isinstance(error.__cause__, OSError):
        error = error.__cause__  # (urllib3's NewConnectionError is a ConnectTimeoutError too)
    elif isinstance(error, ConnectTimeoutError):
        return "timed out"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or error})"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return error.strerror or "unknown host"
    text = str(error) or type(error).__name__
    return text[:200]
