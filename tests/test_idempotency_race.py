"""Two identical POSTs with one Idempotency-Key at once, through real waitress servers:
one run, one 201 and either a 409 `idempotency_key_in_use` or a 201 replay."""
import json
import sys
import threading

from test_run_helpers import RUNS

from nextstep.models import Event, IdempotencyKey, Run
from servers import request, serving_in_thread


def headers(api_key, key):
    return {"Authorization": f"Bearer {api_key}", "Idempotency-Key": key}


def test_a_duplicate_while_the_first_is_processed_is_409(app, api_key, team, make_template,
                                                        monkeypatch):
    """The overlap is forced: the first request is held inside its view (two server
    threads) until the duplicate has had its answer."""
    template = make_template(team)
    views = sys.modules["nextstep.api.runs"]
    entered, release = threading.Event(), threading.Event()
    real_start_run = views.start_run

    def held_start_run(*args):
        entered.set()
        assert release.wait(30), "the test never let the first request go"
        return real_start_run(*args)
    monkeypatch.setattr(views, "start_run", held_start_run)
    body = {"template_id": template.id}
    first = {}
    with serving_in_thread(app, threads=2) as server:
        port = server.effective_port
        worker = threading.Thread(target=lambda: first.update(answer=request(
            port, "POST", RUNS, body, headers(api_key, "twice"))))
        worker.start()
        assert entered.wait(30)
        status, duplicate_headers, duplicate = request(port, "POST", RUNS, body,
                                                       headers(api_key, "twice"))
        release.set()
        worker.join(30)
        later = request(port, "POST", RUNS, body, headers(api_key, "twice"))
    assert status == 409 and duplicate_headers["Retry-After"] == "1"
    assert json.loads(duplicate)["error"]["code"] == "idempotency_key_in_use"
    first_status, first_headers, first_body = first["answer"]
    assert first_status == 201 and "Idempotent-Replayed" not in first_headers
    assert (later[0], later[1]["Idempotent-Replayed"], later[2]) == (201, "true", first_body)
    assert Run.select().count() == Event.select().count() == 1
    assert [row.status for row in IdempotencyKey.select()] == [201]


def test_two_at_the_same_instant_through_nextstep_serve(serve_process, api_key, team,
                                                        make_template):
    template = make_template(team)
    server = serve_process("--threads", "4")
    body = {"template_id": template.id}
    for round_ in range(5):
        barrier = threading.Barrier(2)
        answers = []

        def send(key=f"same-instant-{round_}", barrier=barrier, answers=answers):
            barrier.wait()
            answers.append(server.request("POST", RUNS, body, headers(api_key, key)))
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        outcomes = sorted((status, answer.get("Idempotent-Replayed", ""),
                           json.loads(raw).get("error", {}).get("code", ""))
                          for status, answer, raw in answers)
        assert outcomes in ([(201, "", ""), (201, "true", "")],
                            [(201, "", ""), (409, "", "idempotency_key_in_use")])
        created = [raw for status, _answer, raw in answers if status == 201]
        assert len(set(created)) == 1  # a replay is the same bytes
    assert Run.select().count() == 5
