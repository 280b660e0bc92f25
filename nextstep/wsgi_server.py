"""The waitress server `nextstep serve` runs, made to stay up when strangers misbehave.

waitress alone can be taken off the air by idle clients: it stops accepting at 100 open
connections, and closes a connection only after 120 s without *any* traffic, so one byte
every few seconds keeps a half-sent request open for ever. Here:

- the connection limit is NEXTSTEP_CONNECTION_LIMIT (1000), watched with poll(), since
  select() cannot watch a descriptor numbered FD_SETSIZE (1024) or more, and the
  process's open-file limit is raised to fit it;
- a connection gets NEXTSTEP_REQUEST_TIMEOUT seconds (30) to send a complete request,
  from when it opened or its last answer was sent; waitress has no such option, hence the
  two small subclasses below (its maintenance pass already runs from the accept loop);
- `channel_timeout` (no traffic at all, as with a client that stopped reading our
  answer) is the same number of seconds.
"""
import errno
import logging
import sys
import time

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from .api.request_id import RequestIdFilter

try:
    import resource
except ImportError:  # pragma: no cover - Windows has no open-file limit to raise
    resource = None

WAITRESS_HEADROOM = 16 * 1024 * 1024
# Every line names the request it was written during ("-" for none), whatever its logger.
LOG_FORMAT = ("%(asctime)s.%(msecs)03dZ %(levelname)s [%(request_id)s] %(name)s: "
              "%(message)s")


def server_options(config, host, port, threads):
    """Everything create_server is given for these settings.

    waitress buffers a whole body before the app sees it, and answers plain text past its
    own limit; set well above ours, an oversized body gets our JSON 413 instead. Behind
    NEXTSTEP_PROXY_COUNT proxies waitress must pass X-Forwarded-For on untouched (it
    deletes it by default) so that ratelimit.client_address, the one reader of it under
    any WSGI server, can see it; with no proxy it keeps deleting every proxy header.
    """
    limit = config["NEXTSTEP_MAX_CONTENT_LENGTH"]
    timeout = config["NEXTSTEP_REQUEST_TIMEOUT"]
    return {"host": host, "port": port, "threads": threads,
            "max_request_body_size": max(16 * limit, limit + WAITRESS_HEADROOM),
            "connection_limit": config["NEXTSTEP_CONNECTION_LIMIT"],
            "asyncore_use_poll": True,
            "request_timeout": timeout, "channel_timeout": timeout, "cleanup_interval": 1,
            "clear_untrusted_proxy_headers": not config["NEXTSTEP_PROXY_COUNT"]}


class RequestDeadlineChannel(HTTPChannel):
    """A connection that knows since when it has owed us a request: since it opened, or
    since its last answer went out (so a keep-alive client that keeps sending whole
    requests is never cut off, however long it stays)."""

    in_service = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting_since = self.creation_time

    def service(self):
        # Runs in a worker thread; the flag covers the moment between waitress dropping
        # the finished request and the clock restarting.
        self.in_service = True
        try:
            super().service()
        finally:
            self.waiting_since = time.time()
            self.in_service = False

    def handle_write(self):
        pending = self.total_outbufs_len
        super().handle_write()
        if self.total_outbufs_len != pending:
            self.waiting_since = time.time()

    def overdue(self, cutoff):
        """No request in hand, nothing left to send, and waiting since before `cutoff`."""
        return (not self.in_service and not self.requests and not self.total_outbufs_len
                and self.waiting_since < cutoff)


class RequestDeadlineServer(TcpWSGIServer):
    """waitress's TCP server, whose once-a-second maintenance also closes connections
    that have not sent a complete request within `request_timeout` seconds."""

    channel_class = RequestDeadlineChannel

    def __init__(self, application, request_timeout, **kwargs):
        self.request_timeout = request_timeout
        super().__init__(application, **kwargs)

    def maintenance(self, now):
        super().maintenance(now)
        cutoff = now - self.request_timeout
        for channel in self.active_channels.values():
            if channel.overdue(cutoff):
                channel.will_close = True


def create_server(app, request_timeout, **options):
    """waitress.create_server with our server class; one server per address the host
    resolves to (`localhost` may be two), as waitress does. Raises OSError or ValueError
    when an address cannot be listened on, leaving nothing open."""
    adj = Adjustments(**options)
    dispatcher = ThreadedTaskDispatcher()
    socket_map = {}
    servers = []
    try:
        for sockinfo in adj.listen:
            servers.append(RequestDeadlineServer(app, request_timeout, map=socket_map,
                                                 dispatcher=dispatcher, adj=adj,
                                                 sockinfo=sockinfo))
    except BaseException:
        wasyncore.close_all(socket_map)
        raise
    dispatcher.set_thread_count(adj.threads)
    if len(servers) == 1:
        return servers[0]
    listening = [(server.effective_host, server.effective_port) for server in servers]
    return MultiSocketServer(socket_map, adj, listening, dispatcher, servers[-1].log_info)


def listen_failure(error, host, port):
    """The sentence for an address that cannot be listened on; None for another error."""
    if isinstance(error, ValueError):
        if str(error) != "Invalid host/port specified.":  # waitress: the name did not resolve
            return None
        return (f"Host {host} could not be resolved to an address; pick another with "
                f"--host, such as 127.0.0.1 or 0.0.0.0 for every interface.")
    if error.errno == errno.EADDRINUSE:
        return (f"Port {port} on {host} is already in use; stop the other server or pick "
                f"another with --port.")
    if error.errno == errno.EADDRNOTAVAIL:
        return (f"Address {host} is not an address of this machine; pick one of its "
                f"addresses with --host, or 0.0.0.0 for every interface.")
    if error.errno == errno.EACCES and port < 1024:
        return (f"Not allowed to listen on port {port} on {host} (ports below 1024 need "
                f"extra privileges); pick another with --port.")
    return f"Cannot listen on port {port} on {host}: {error.strerror or error}."


def files_beside_connections(threads):
    """Descriptors kept for other things than connections: the listening socket,
    waitress's trigger, stdio, and per worker thread a database connection (a SQLite
    database, its WAL and shared-memory files) and a Redis connection."""
    return 64 + 4 * threads


def fit_open_file_limit(connection_limit, threads):
    """(connection limit to serve, warning or None): raises the soft open-file limit as
    far as the hard one allows; past that, fewer connections rather than failed accepts."""
    if resource is None:  # pragma: no cover
        return connection_limit, None
    spare = files_beside_connections(threads)
    needed = connection_limit + spare
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return connection_limit, None
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # macOS caps the soft limit below "unlimited"
            pass
    if soft >= needed:
        return connection_limit, None
    fitted = max(1, soft - spare)
    return fitted, (f"this process may open only {soft} files (ulimit -n), so NextStep "
                    f"serves at most {fitted} connections at once instead of "
                    f"NEXTSTEP_CONNECTION_LIMIT={connection_limit}; raise the limit to "
                    f"serve more.")


class StderrHandler(logging.StreamHandler):
    """Writes to sys.stderr as it is when a record comes (click's test runner swaps it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(access_log=True):
    """For `nextstep serve`: every logger's records on stderr, timestamped in UTC, each
    with the id of the request it was written during. One handler, on the root logger, so
    a library's warning (Flask-Limiter's, peewee's) is shown the same way as ours; our
    loggers and waitress's show INFO, the request log (`nextstep.access`) only when asked
    for, others WARNING and up. Safe to call again."""
    handler = StderrHandler()
    handler.set_name("nextstep-serve")
    handler.addFilter(RequestIdFilter())
    formatter = logging.Formatter(LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for logger in (root, logging.getLogger("nextstep"), logging.getLogger("waitress")):
        for old in [h for h in logger.handlers if h.get_name() == "nextstep-serve"]:
            logger.removeHandler(old)
    root.addHandler(handler)
    for name in ("nextstep", "waitress"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("nextstep.access").setLevel(logging.INFO if access_log
                                                  else logging.WARNING)
