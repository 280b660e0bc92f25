"""A battery of hostile requests against a live `nextstep serve` (contract §13).

Types, sizes, encodings, NULs, nesting, methods, paths and query values, sent with a
valid key to a real server on this run's database (SQLite, or PostgreSQL when
NEXTSTEP_TEST_DATABASE_URL is set). Whatever the request, the answer is never a 5xx and
always our JSON envelope (OPTIONS and HEAD aside, which carry no body), with a request
id; and the database holds afterwards only what the few well-formed writes made.
"""
import json

from nextstep.models import Event, Run, RunTask

BASE = "/api/v1"
JSON_TYPE = "application/json; charset=utf-8"
DEEP_ARRAYS = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECTS = b'{"a":' * 50_000 + b"1" + b"}" * 50_000

STRANGE_IDS = ["%00", "a%00b", "%ff%fe", "%ed%b0%80", "x" * 5000, "%2e%2e", "..", ".",
               "%20", "%F0%9F%98%80", "abc%0d%0aSet-Cookie:x", "%25", "null", "-1",
               "0" * 20, "%C0%AF", "a;b", "a%3Fb", "%5Cwindows"]
STRANGE_QUERIES = ["limit=%C2%B2", "limit=%D9%A1%D9%A0", "limit=" + "9" * 5000, "limit=-1",
                   "limit=0", "limit=101", "limit=1e2", "limit=+5", "limit=%00", "limit=",
                   "limit=1&limit=2", "cursor=%00", "cursor=" + "z" * 3000, "cursor=%ff",
                   "status=%00", "status=done", "status=", "template_id=%00",
                   "template_id=" + "t" * 3000, "is_published=%00", "is_published=yes",
                   "is_published=TRUE", "unknown=%00", "%00=%00", "a" * 4000 + "=1"]
STRANGE_VALUES = [None, True, False, 0, -1, 1.5, 1e308, -1e308, 18446744073709551616,
                  10 ** 30, "", " ", "\u0000", "a\u0000b", "\U0001F600", "x" * 100_000,
                  [], [None], {}, {"a": {"b": {"c": []}}}, ["x"] * 1000, "\u202e", "\ufeff"]
RAW_BODIES = [b"", b"{", b"}", b"[]", b"null", b"1", b'"x"', b"\xff\xfe", b"\xef\xbb\xbf{}",
              b'{"template_id": "\\udc00"}', b'{"template_id": "\\u0000"}',
              b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1e999}', b"{'a': 1}",
              b'{"a": 1,}', b'{"a" 1}', b"\x00", b'{"custom_elements": ' + b"[" * 2000
              + b"]" * 2000 + b"}", DEEP_ARRAYS, DEEP_OBJECTS,
              b'{"template_id": "' + b"x" * 1_100_000 + b'"}']


def hostile_requests(template_id, run_id, task_id, element_id):
    """(method, path, body, extra headers) tuples; `body` bytes or a JSON-able value."""
    found = []
    paths = ["/process-templates", f"/process-templates/{template_id}",
             f"/process-templates/{template_id}/tasks", "/process-runs",
             f"/process-runs/{run_id}", f"/process-runs/{run_id}/tasks",
             f"/process-runs/{run_id}/tasks/{task_id}", "/health"]
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE", "TRACE", "PROPFIND", "CONNECT",
                   "OPTIONS", "HEAD", "MKCOL"):
        for path in paths[::3]:
            found.append((method, path, None, {}))
    for strange in STRANGE_IDS:
        found += [("GET", f"/process-templates/{strange}", None, {}),
                  ("GET", f"/process-templates/{strange}/tasks", None, {}),
                  ("GET", f"/process-runs/{strange}", None, {}),
                  ("GET", f"/process-runs/{run_id}/tasks/{strange}", None, {}),
                  ("PATCH", f"/process-runs/{strange}/tasks/{task_id}",
                   {"completed": False}, {})]
    for query in STRANGE_QUERIES:
        for path in ("/process-templates", "/process-runs", f"/process-runs/{run_id}/tasks",
                     f"/process-templates/{template_id}/tasks"):
            found.append(("GET", f"{path}?{query}", None, {}))
    for value in STRANGE_VALUES:
        found += [
            ("POST", "/process-runs", {"template_id": value}, {}),
            ("POST", "/process-runs", {"template_id": template_id, "name": value}, {}),
            ("POST", "/process-runs", {"template_id": template_id, "actor_email": value}, {}),
            ("POST", "/process-runs", {"template_id": template_id, "due_date": value}, {}),
            ("POST", "/process-runs", {"template_id": template_id, "custom_elements": [
                {"task_id": value, "element_id": element_id, "value": 1}]}, {}),
            ("PATCH", f"/process-runs/{run_id}/tasks/{task_id}", {"completed": value}, {}),
            ("PATCH", f"/process-runs/{run_id}/tasks/{task_id}", {"assignee": value}, {}),
            ("PATCH", f"/process-runs/{run_id}/tasks/{task_id}", {"custom_elements": [
                {"element_id": element_id, "value": value}]}, {}),
            ("PATCH", f"/process-runs/{run_id}/tasks/{task_id}", {"approval": value}, {}),
        ]
    for body in RAW_BODIES:
        found += [("POST", "/process-runs", body, {"Content-Type": "application/json"}),
                  ("PATCH", f"/process-runs/{run_id}/tasks/{task_id}", body,
                   {"Content-Type": "application/json"})]
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                         "application/jsonx", "", "application/json\u00e9"):
        found.append(("POST", "/process-runs",
                      json.dumps({"template_id": template_id}).encode(),
                      {"Content-Type": content_type}))
    return found


def test_no_hostile_request_gets_a_5xx_or_leaves_the_envelope(serve_process, team, auth,
                                                              make_template):
    template = make_template(team, tasks=[
        {"elements": [{"type": "shortText"}, {"type": "number"}]}, {}])
    element_id = template.task_rows[0].custom_elements[0].id
    server = serve_process(NEXTSTEP_RATE_LIMIT="100000 per minute")
    status, _headers, body = server.request("POST", BASE + "/process-runs",
                                            {"template_id": template.id}, auth)
    assert status == 201, body
    run_id = json.loads(body)["data"]["id"]
    status, _headers, body = server.request("GET", f"{BASE}/process-runs/{run_id}/tasks",
                                            headers=auth)
    task_id = json.loads(body)["data"][0]["id"]
    before = (Run.select().count(), RunTask.select().count(), Event.select().count())

    battery = hostile_requests(template.id, run_id, task_id, element_id)
    assert len(battery) >= 200
    bad, created = [], 0
    for method, path, payload, extra in battery:
        headers = dict(auth, **extra)
        try:
            status, headers_back, body = server.request(method, BASE + path, payload, headers)
        except Exception as error:  # a dropped connection is a finding too
            bad.append((method, path[:80], repr(error)))
            continue
        created += status == 201
        problem = "a 429: the battery must reach the views" if status == 429 else None
        problem = problem or answer_problem(method, status, headers_back, body)
        if problem:
            bad.append((method, path[:80], status, problem, body[:200]))
    assert bad == [], f"{len(bad)} of {len(battery)} answers were wrong: {bad[:20]}"
    runs, tasks, events = before
    assert Run.select().count() == runs + created
    assert RunTask.select().count() == tasks + 2 * created
    assert Event.select().count() == events + created


def answer_problem(method, status, headers, body):
    """What is wrong with an answer, or None."""
    if status >= 500:
        return "a 5xx"
    if not headers.get("X-Request-Id"):
        return "no request id"
    if method in ("HEAD", "OPTIONS") or status == 204:
        return None
    if headers.get("Content-Type") != JSON_TYPE:
        return f"Content-Type {headers.get('Content-Type')!r}"
    try:
        document = json.loads(body)
    except ValueError:
        return "not JSON"
    if not isinstance(document, dict) or not ({"data"} <= document.keys()
                                              or set(document) == {"error"}):
        return "not an envelope"
    if "error" in document and not {"code", "message"} <= document["error"].keys():
        return "an error without code and message"
    return None
