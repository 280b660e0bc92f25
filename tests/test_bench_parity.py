"""The benchmark's baseline stays a fair one (bench/, docs/benchmarks.md).

For every request the benchmark sends, the bare-sqlite3 baseline must answer what NextStep
answers (status, JSON keys, and values apart from ids and timestamps) and send the same SQL
(the same statements in the same order, traced on both apps' sqlite3 connections). No wrk
and no server: Flask test clients on copies of the benchmark's own fixtures database.
Always on SQLite, whatever database the suite runs on: the baseline is SQLite-only.
"""
import os
import sys
from pathlib import Path

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not installed

from bench import baseline_sql, parity  # noqa: E402
from bench.endpoints import endpoints  # noqa: E402
from bench.fixtures import RUN_COUNT, TASK_COUNT, build_database  # noqa: E402
from bench.harness import copy_database  # noqa: E402
from bench.serve import COUNTS_PATH, Counting  # noqa: E402

SLUGS = [e.slug for e in endpoints({"run_id": "", "template_id": ""})]


def compare_on_fixtures(workdir, runs=RUN_COUNT):
    """parity.compare on fresh copies of a fixtures database built in `workdir`."""
    with pytest.MonkeyPatch.context() as env:
        for key in [k for k in os.environ if k.startswith("NEXTSTEP_")]:
            env.delenv(key)
        env.setenv("NEXTSTEP_INSTANCE_PATH", str(workdir / "instance"))
        info = build_database(str(workdir / "source.sqlite3"), runs=runs)
        paths = {which: copy_database(str(workdir / "source.sqlite3"),
                                      str(workdir / f"{which}.sqlite3"))
                 for which in parity.SERVERS}
        return info, {e.slug: (e, answers, problems)
                      for e, answers, problems in parity.compare(info, paths)}


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    return compare_on_fixtures(tmp_path_factory.mktemp("bench-parity"))[1]


@pytest.mark.parametrize("slug", SLUGS)
def test_baseline_answers_as_nextstep_does_with_the_same_sql(compared, slug):
    endpoint, answers, problems = compared[slug]
    (base_status, base_doc, base_sql), (our_status, our_doc, our_sql) = (
        answers["baseline"], answers["nextstep"])
    assert (base_status, our_status) == (endpoint.status, endpoint.status)
    assert parity.key_differences(base_doc, our_doc) == []
    assert parity.masked(base_doc) == parity.masked(our_doc)
    assert len(base_sql) == len(our_sql)
    assert [parity.shape(s) for s in base_sql] == [parity.shape(s) for s in our_sql]
    assert problems == []


def test_the_traced_sql_is_what_each_endpoint_needs(compared):
    """The trace sees every statement, BEGIN and COMMIT included, and none twice."""
    sent = {slug: [parity.summary(s) for s in compared[slug][1]["nextstep"][2]]
            for slug in SLUGS}
    assert sent == {
        # the snapshot is read by the warm-up start only: a published version is cached
        "post": ["SELECT api_key", "SELECT template", "SELECT webhook", "BEGIN IMMEDIATE",
                 "INSERT run",
                 f"INSERT run_task x{TASK_COUNT}", "INSERT event", "COMMIT"],
        "run": ["SELECT api_key", "SELECT run"],
        "runs": ["SELECT api_key", "SELECT run"],
        "run-tasks": ["SELECT api_key", "SELECT run_task"],
        "template-tasks": ["SELECT api_key", "SELECT template", "SELECT template_task",
                           "SELECT custom_element"],
        "patch": ["SELECT api_key", "SELECT run_task", "BEGIN IMMEDIATE", "UPDATE run",
                  "UPDATE run_task", "COMMIT"],
    }


def test_the_runs_page_is_full(compared):
    """GET /process-runs?limit=100 reads a whole page: the fixtures hold more runs."""
    _endpoint, answers, _problems = compared["runs"]
    for _status, document, _sql in answers.values():
        assert len(document["data"]) == 100
        assert document["pagination"]["has_more"] is True


def test_the_check_catches_a_baseline_that_sends_other_sql(tmp_path, monkeypatch):
    """A statement worded otherwise, even with the same rows as its answer, is a failure."""
    distinct = baseline_sql.RUN.replace("SELECT ", "SELECT DISTINCT ")
    monkeypatch.setattr(baseline_sql, "RUN", distinct)
    _info, results = compare_on_fixtures(tmp_path, runs=2)
    _endpoint, _answers, problems = results["run"]
    assert any("the SQL differs" in problem for problem in problems)
    assert results["runs"][2] == []


def test_the_serving_wrapper_counts_every_answer_by_row():
    """Errors under load are counted where they are made, on the server: wrk stops without
    waiting for the requests still out, so a slow 500 would never reach a client."""
    def app(environ, start_response):
        status = 500 if environ["PATH_INFO"] == "/fails" else 200
        return Response(b"{}", status)(environ, start_response)

    client = Client(Counting(app))
    client.get("/ok", headers={"X-Bench-Row": "run@8"})
    client.get("/ok", headers={"X-Bench-Row": "run@8"})
    client.get("/fails", headers={"X-Bench-Row": "run@8"})
    client.get("/fails", headers={"X-Bench-Row": "patch@32"})
    client.get("/ok")
    assert client.get(COUNTS_PATH).json == {
        "in_flight": 0,
        "counts": {"run@8": {"200": 2, "500": 1}, "patch@32": {"500": 1}, "": {"200": 1}}}
