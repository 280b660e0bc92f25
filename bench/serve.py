"""One server for the benchmark: `python -m bench.serve nextstep|baseline SQLITE_PATH THREADS`.

Both apps go through this file so they get the very same waitress settings and the same
counting wrapper. It binds a free port on 127.0.0.1 and prints `LISTENING <port>` once
ready. NextStep reads its settings from the NEXTSTEP_* environment the harness sets
(database URL, rate limit, instance path).
"""
import json
import sys
import threading

import waitress

WAITRESS_SETTINGS = {"host": "127.0.0.1"}
COUNTS_PATH = "/__bench__/counts"


class Counting:
    """Counts every answer by status and by the X-Bench-Row header wrk sends, and how many
    requests are in the app right now; `GET /__bench__/counts` answers both as JSON.

    Counting on the server matters: wrk stops at the end of its run without waiting for
    the requests still out, and an answer that takes longer than that (a 500 after a 5 s
    busy timeout, say) would never be seen by any client. The harness also waits for
    `in_flight` to reach 0 after each wrk run, so no measurement starts on a busy server.
    """

    def __init__(self, app):
        self.app, self.lock, self.in_flight, self.counts = app, threading.Lock(), 0, {}

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == COUNTS_PATH:
            with self.lock:
                body = json.dumps({"in_flight": self.in_flight, "counts": self.counts}).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        row = environ.get("HTTP_X_BENCH_ROW", "")

        def counting_start_response(status, headers, exc_info=None):
            self._count(row, status[:3])
            return start_response(status, headers, exc_info)

        with self.lock:
            self.in_flight += 1
        try:
            return self.app(environ, counting_start_response)
        except BaseException:
            self._count(row, "raised")  # waitress answers 500 itself
            raise
        finally:
            with self.lock:
                self.in_flight -= 1

    def _count(self, row, status):
        with self.lock:
            per_row = self.counts.setdefault(row, {})
            per_row[status] = per_row.get(status, 0) + 1


def build_app(which, path):
    if which == "nextstep":
        from nextstep import create_app
        return create_app()
    from .baseline import create_app
    return create_app(path)


def main(argv):
    which, path, threads = argv
    server = waitress.create_server(Counting(build_app(which, path)), port=0,
                                    threads=int(threads), **WAITRESS_SETTINGS)
    print(f"LISTENING {server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
