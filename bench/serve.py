"""One server for the benchmark: `python -m bench.serve nextstep|baseline SQLITE_PATH THREADS`.

Both apps go through this file so they get the very same waitress settings. It binds a free
port on 127.0.0.1 and prints `LISTENING <port>` once ready. NextStep reads its settings from
the NEXTSTEP_* environment the harness sets (database URL, rate limit, instance path).
"""
import sys

import waitress

WAITRESS_SETTINGS = {"host": "127.0.0.1"}


def build_app(which, path):
    if which == "nextstep":
        from nextstep import create_app
        return create_app()
    from .baseline import create_app
    return create_app(path)


def main(argv):
    which, path, threads = argv
    server = waitress.create_server(build_app(which, path), port=0, threads=int(threads),
                                    **WAITRESS_SETTINGS)
    print(f"LISTENING {server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
