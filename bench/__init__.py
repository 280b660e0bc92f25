"""Benchmarks with their baselines: `make bench` (or `.venv/bin/python -m bench`).

Each NextStep endpoint is measured against a minimal Flask + bare sqlite3 app that sends
the same SQL and answers the same JSON, served by the same waitress settings, loaded by
wrk, in the same run; see docs/benchmarks.md.
"""
