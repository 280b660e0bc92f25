"""Benchmarks with their baselines: `make bench` (or `.venv/bin/python -m bench`).

Each NextStep endpoint is measured against a minimal Flask + bare sqlite3 app that does the
same database work and answers the same JSON, served by the same waitress settings, in the
same run; see docs/benchmarks.md.
"""
