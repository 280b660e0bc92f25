"""Hostile input (contract §13): NUL and unpaired surrogates, numbers orjson cannot write,
deep nesting, odd `limit`s, and template files carrying the same. Each is refused with an
exact answer and leaves the database as it was; no task ever becomes unreadable.
"""
import json

import pytest
from test_run_helpers import RUNS, counts, row, validation

from nextstep.models import CustomElement, Run, RunTask, Template, TemplateTask
from nextstep.services.elements import clean_value
from servers import request, serving_in_thread

TEMPLATES = "/api/v1/process-templates"
NUL = "Must not contain the NUL character (\\u0000)."
SURROGATE = "Must not contain an unpaired UTF-16 surrogate (\\ud800 to \\udfff)."
BAD = {"nul": ("a\x00b", NUL), "surrogate": ("a\udc00b", SURROGATE)}
TOO_LARGE = "Must be between -1e15 and 1e15."
TOO_DEEP = {"error": {"code": "bad_request",
                      "message": "The request body is nested deeper than 64 levels"}}
NOT_FOUND = {"error": {"code": "not_found", "message": "Resource not found"}}
BAD_LIMIT = {"error": {"code": "bad_request", "message": "limit must be a whole number from 1 "
                       "to 100", "details": {"limit": ["Must be a whole number from 1 to 100."]}}}


def bad_query(name, message=NUL):
    return {"error": {"code": "bad_request", "message": f"Query parameter {name} is not valid",
                      "details": {name: [message]}}}


@pytest.fixture
def ctx(client, auth, team, make_template, make_member):
    """A started run of one approval task with a text, a number and a multi-select."""
    make_member(team, email="doer@example.com")
    template = make_template(team, tasks=[{"type": "approval", "elements": [
        {"type": "shortText", "label": "Name"}, {"type": "number", "label": "Count"},
        {"type": "multiSelect", "label": "Tags", "options": ["a", "b"]}]}])
    template_task = template.task_rows[0]
    text, number, tags = CustomElement.select().where(
        CustomElement.task == template_task.id).order_by(CustomElement.position)
    response = client.post(RUNS, json={"template_id": template.id}, headers=auth)
    run = response.get_json()["data"]
    task = client.get(f"{RUNS}/{run['id']}/tasks", headers=auth).get_json()["data"][0]
    return {"template": template.id, "template_task": template_task.id, "run": run["id"],
            "task": task["id"], "text": text.id, "number": number.id, "tags": tags.id,
            "task_url": f"{RUNS}/{run['id']}/tasks/{task['id']}"}


def stored(ctx):
    """Everything a refused request must leave as it was."""
    return (counts(), row(Run, ctx["run"]), row(RunTask, ctx["task"]),
            Template.select().count(), TemplateTask.select().count())


def send(client, auth, method, url, raw):
    """`raw` as the body bytes, as a client would put them on the wire."""
    data = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    return client.open(url, method=method, data=data, headers=auth,
                       content_type="application/json")


def readable(client, auth, ctx):
    """The task, its run's task list and a PATCH still answer: nothing unwritable is stored."""
    assert client.get(ctx["task_url"], headers=auth).status_code == 200
    assert client.get(f"{RUNS}/{ctx['run']}/tasks", headers=auth).status_code == 200
    assert send(client, auth, "PATCH", ctx["task_url"], {}).status_code == 200


# --- strings with NUL or an unpaired surrogate, in every body field -----------------------

def start_body(ctx, s):
    return {"template_id": ctx["template"], "custom_elements": [
        {"task_id": ctx["template_task"], "element_id": ctx["text"], "value": s}]}


POST_FIELDS = [
    ("template_id", lambda c, s: {"template_id": s}),
    ("name", lambda c, s: {"template_id": c["template"], "name": s}),
    ("title", lambda c, s: {"template_id": c["template"], "title": s}),
    ("due_date", lambda c, s: {"template_id": c["template"], "due_date": "2026-04-01" + s}),
    ("actor_email", lambda c, s: {"template_id": c["template"], "actor_email": s}),
    ("custom_elements.0.task_id", lambda c, s: {"template_id": c["template"], "custom_elements": [
        {"task_id": s, "element_id": c["text"], "value": "x"}]}),
    ("custom_elements.0.element_id", lambda c, s: {
        "template_id": c["template"],
        "custom_elements": [{"task_id": c["template_task"], "element_id": s, "value": "x"}]}),
    ("custom_elements.0.value", start_body),
    ("custom_elements.0.value.1", lambda c, s: {"template_id": c["template"], "custom_elements": [
        {"task_id": c["template_task"], "element_id": c["tags"], "value": ["a", s]}]}),
]
PATCH_FIELDS = [
    ("assignee", lambda c, s: {"assignee": s}),
    ("actor_email", lambda c, s: {"actor_email": s}),
    ("approval.status", lambda c, s: {"approval": {"status": s}}),
    ("approval.comment", lambda c, s: {"approval": {"status": "approved", "comment": s}}),
    ("custom_elements.0.element_id", lambda c, s: {"custom_elements": [
        {"element_id": s, "value": "x"}]}),
    ("custom_elements.0.id", lambda c, s: {"custom_elements": [{"id": s, "value": "x"}]}),
    ("custom_elements.0.value", lambda c, s: {"custom_elements": [
        {"element_id": c["text"], "value": s}]}),
    ("custom_elements.1.value.0", lambda c, s: {"custom_elements": [
        {"element_id": c["text"], "value": "fine"}, {"element_id": c["tags"], "value": [s]}]}),
    ("custom_elements.0.value.k.2", lambda c, s: {"custom_elements": [
        {"element_id": c["number"], "value": {"k": [1, True, s]}}]}),
]


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("path, body", POST_FIELDS, ids=[f[0] for f in POST_FIELDS])
def test_a_refused_string_in_a_start_body_is_422_at_its_path(client, auth, ctx, path, body,
                                                             kind):
    text, message = BAD[kind]
    before = stored(ctx)
    response = send(client, auth, "POST", RUNS, body(ctx, text))
    assert (response.status_code, response.get_json()) == (422, validation({path: [message]}))
    assert stored(ctx) == before


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("path, body", PATCH_FIELDS, ids=[f[0] for f in PATCH_FIELDS])
def test_a_refused_string_in_a_patch_body_is_422_at_its_path(client, auth, ctx, path, body,
                                                             kind):
    text, message = BAD[kind]
    before = stored(ctx)
    response = send(client, auth, "PATCH", ctx["task_url"], body(ctx, text))
    assert (response.status_code, response.get_json()) == (422, validation({path: [message]}))
    assert stored(ctx) == before
    readable(client, auth, ctx)


@pytest.mark.parametrize("body, path", [
    ({"na\x00me": "x"}, "na\\u0000me"),
    ({"\udc00": "x"}, "\\udc00"),
    ({"custom_elements": [{"element_id": "e", "value": {"\x00": 1}}]},
     "custom_elements.0.value.\\u0000"),
])
def test_a_refused_field_name_is_named_escaped(client, auth, ctx, body, path):
    before = stored(ctx)
    response = send(client, auth, "PATCH", ctx["task_url"], body)
    message = SURROGATE if "udc00" in path else NUL
    assert (response.status_code, response.get_json()) == (422, validation({path: [message]}))
    assert stored(ctx) == before


def test_the_exact_escapes_on_the_wire(client, auth, ctx):
    """The issue's bytes: a lone `\\udc00` escape and a `\\u0000` escape."""
    before = stored(ctx)
    for escape, message in ((rb"\udc00", SURROGATE), (rb"\u0000", NUL)):
        raw = (b'{"custom_elements": [{"element_id": "' + ctx["text"].encode()
               + b'", "value": "x' + escape + b'"}]}')
        response = send(client, auth, "PATCH", ctx["task_url"], raw)
        assert response.status_code == 422
        assert response.get_json() == validation({"custom_elements.0.value": [message]})
    # A pair of surrogate escapes is one character, and welcome.
    raw = (b'{"custom_elements": [{"element_id": "' + ctx["text"].encode()
           + rb'", "value": "\ud83d\ude00"}]}')
    response = send(client, auth, "PATCH", ctx["task_url"], raw)
    assert response.status_code == 200
    assert response.get_json()["data"]["custom_elements"][0]["value"] == "\U0001f600"
    assert stored(ctx)[0] == before[0]


def test_every_refused_string_is_named_in_document_order_up_to_twenty(client, auth, ctx):
    items = [{"element_id": "x\x00", "value": "\udc00"} for _ in range(15)]
    response = send(client, auth, "PATCH", ctx["task_url"], {"custom_elements": items})
    expected = {}
    for i in range(10):
        expected[f"custom_elements.{i}.element_id"] = [NUL]
        expected[f"custom_elements.{i}.value"] = [SURROGATE]
    assert response.get_json() == validation(expected)


def test_a_raw_control_byte_is_not_json(client, auth, ctx):
    response = send(client, auth, "PATCH", ctx["task_url"], b'{"assignee": "a\x00b"}')
    assert response.get_json() == {"error": {"code": "bad_request",
                                             "message": "The request body is not valid JSON"}}


def test_services_refuse_such_strings_too():
    """clean_value is the rule for any caller, not only for bodies the API has checked."""
    for text, message in BAD.values():
        for kind, value in (("shortText", text), ("multiSelect", ["a", text])):
            element = {"id": "e", "type": kind, "options": ["a", "b"]}
            with pytest.raises(ValueError) as refused:
                clean_value(element, value, {})
            assert str(refused.value) == message


# --- numbers ------------------------------------------------------------------------------

BIG_NUMBERS = [b"18446744073709551616", b"18446744073709551615", b"9223372036854775808",
               b"-9223372036854775809", b"1000000000000001", b"-1000000000000001", b"1e16",
               b"1.0000000000000002e15", b"1e400", b"-1e400", b"9" * 5000]


def number_patch(ctx, literal):
    return (b'{"custom_elements": [{"element_id": "' + ctx["number"].encode()
            + b'", "value": ' + literal + b"}]}")


@pytest.mark.parametrize("literal", BIG_NUMBERS, ids=lambda b: b[:24].decode())
def test_a_number_beyond_1e15_is_422_and_the_task_stays_readable(client, auth, ctx, literal):
    before = stored(ctx)
    response = send(client, auth, "PATCH", ctx["task_url"], number_patch(ctx, literal))
    assert (response.status_code, response.get_json()) == (
        422, validation({"custom_elements.0.value": [TOO_LARGE]}))
    assert stored(ctx) == before
    readable(client, auth, ctx)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_numbers_stay_refused_as_not_finite(client, auth, ctx, literal):
    response = send(client, auth, "PATCH", ctx["task_url"], number_patch(ctx, literal))
    assert response.get_json() == validation({"custom_elements.0.value": [
        "Must be a finite number."]})


@pytest.mark.parametrize("literal, value", [
    (b"1000000000000000", 10 ** 15), (b"-1000000000000000", -10 ** 15), (b"1e15", 1e15),
    (b"-0.5", -0.5), (b"123456789012345", 123456789012345)])
def test_numbers_up_to_1e15_are_stored_as_sent(client, auth, ctx, literal, value):
    response = send(client, auth, "PATCH", ctx["task_url"], number_patch(ctx, literal))
    assert response.status_code == 200
    assert response.get_json()["data"]["custom_elements"][1]["value"] == value
    assert row(RunTask, ctx["task"])["custom_elements"][1]["value"] == value


@pytest.mark.parametrize("literal", [b"18446744073709551616", b"1e400", b"-1000000000000001"])
def test_a_prefill_beyond_1e15_is_422_and_starts_nothing(client, auth, ctx, literal):
    before = stored(ctx)
    raw = (b'{"template_id": "' + ctx["template"].encode() + b'", "custom_elements": [{'
           b'"task_id": "' + ctx["template_task"].encode() + b'", "element_id": "'
           + ctx["number"].encode() + b'", "value": ' + literal + b"}]}")
    response = send(client, auth, "POST", RUNS, raw)
    assert (response.status_code, response.get_json()) == (
        422, validation({"custom_elements.0.value": [TOO_LARGE]}))
    assert stored(ctx) == before
    assert client.get(f"{RUNS}?limit=100", headers=auth).status_code == 200


# --- nesting ------------------------------------------------------------------------------

def nested_value(ctx, depth):
    """A PATCH body whose custom_elements.0.value is `depth` arrays deep (the body is
    depth + 3 levels: object, list, item)."""
    return (b'{"custom_elements": [{"element_id": "' + ctx["number"].encode()
            + b'", "value": ' + b"[" * depth + b"]" * depth + b"}]}")


DEEP_BODIES = [
    ("100,000 arrays", lambda c: b"[" * 100_000 + b"]" * 100_000),
    ("100,000 arrays, unclosed", lambda c: b"[" * 100_000),
    ("50,000 objects", lambda c: b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("2,000-deep value", lambda c: nested_value(c, 2_000)),
    ("1,000-deep value", lambda c: nested_value(c, 1_000)),  # within orjson's own limit
    ("62-deep value", lambda c: nested_value(c, 62)),  # 65 levels
    ("deep with a lone surrogate", lambda c: b'["\\udc00", ' + b"[" * 70 + b"]" * 70 + b"]"),
]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("name, body", DEEP_BODIES, ids=[b[0] for b in DEEP_BODIES])
def test_json_deeper_than_64_levels_is_400(client, auth, ctx, method, name, body):
    before = stored(ctx)
    url = RUNS if method == "POST" else ctx["task_url"]
    response = send(client, auth, method, url, body(ctx))
    assert (response.status_code, response.get_json()) == (400, TOO_DEEP)
    assert stored(ctx) == before


def test_64_levels_reach_the_schema(client, auth, ctx):
    response = send(client, auth, "PATCH", ctx["task_url"], nested_value(ctx, 61))
    assert response.get_json() == validation({"custom_elements.0.value": [
        "Must be a JSON number."]})


def test_the_order_of_body_checks_is_kept(client, auth, ctx):
    url = ctx["task_url"]
    response = client.patch(url, data=b"[" * 100_000, headers=auth, content_type="text/plain")
    assert response.status_code == 415
    for raw, message in ((b"{nope", "The request body is not valid JSON"),
                         (b"", "The request body is not valid JSON"),
                         (b'"\\u0000"', "The request body must be a JSON object"),
                         (b"[1]", "The request body must be a JSON object")):
        response = send(client, auth, "PATCH", url, raw)
        assert response.get_json() == {"error": {"code": "bad_request", "message": message}}


def test_bodies_orjson_refuses_but_json_allows_still_parse(client, auth, ctx):
    """A byte order mark and UTF-16 were read by Flask's parser; they still are."""
    for raw in (b"\xef\xbb\xbf{}", "{}".encode("utf-16")):
        assert send(client, auth, "PATCH", ctx["task_url"], raw).status_code == 200


# --- path segments and query parameters ---------------------------------------------------

def paths(c):
    return [f"{RUNS}/%00", f"{RUNS}/{c['run']}%00", f"{RUNS}/%00/tasks",
            f"{RUNS}/{c['run']}/tasks/%00", f"{RUNS}/%00/tasks/{c['task']}",
            f"{TEMPLATES}/%00", f"{TEMPLATES}/a%00b/tasks", f"{TEMPLATES}/%ED%B0%80%00"]


@pytest.mark.parametrize("index", range(8))
def test_a_nul_in_a_path_segment_names_nothing(client, auth, ctx, index):
    before = stored(ctx)
    response = client.get(paths(ctx)[index], headers=auth)
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    assert stored(ctx) == before


@pytest.mark.parametrize("url", ["{task_url}%00", "{runs}/%00/tasks/{task}"])
def test_a_patch_to_a_nul_path_is_404_and_writes_nothing(client, auth, ctx, url):
    before = stored(ctx)
    url = url.format(runs=RUNS, **ctx)
    response = send(client, auth, "PATCH", url, {"custom_elements": [
        {"element_id": ctx["text"], "value": "x"}]})
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)
    assert stored(ctx) == before


def test_unknown_paths_and_wrong_methods_answer_as_ever(client, auth, ctx):
    response = client.delete(f"{RUNS}/%00", headers=auth)
    assert (response.status_code, response.headers["Allow"]) == (405, "GET, HEAD, OPTIONS")
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    response = client.get("/api/v1/no%00pe?cursor=%00", headers=auth)
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)


def test_without_a_key_a_nul_path_is_still_401(client, ctx):
    assert client.get(f"{RUNS}/%00").status_code == 401


QUERIES = [
    (RUNS, "cursor=%00", "cursor"), (RUNS, "cursor={run}%00", "cursor"),
    (RUNS, "template_id=%00", "template_id"), (RUNS, "status=active%00", "status"),
    (RUNS, "limit=1%00", "limit"), (RUNS, "unknown=%00", "unknown"),
    (RUNS, "limit=5&fo%00o=1", "fo\\u0000o"),
    (TEMPLATES, "cursor=%00", "cursor"), (TEMPLATES, "is_published=true%00", "is_published"),
    ("{runs}/{run}/tasks", "cursor=%00", "cursor"),
    ("{templates}/{template}/tasks", "cursor=%00", "cursor"),
]


@pytest.mark.parametrize("url, query, name", QUERIES, ids=[q[1] for q in QUERIES])
def test_a_nul_in_a_query_parameter_is_400(client, auth, ctx, url, query, name):
    before = stored(ctx)
    url = url.format(runs=RUNS, templates=TEMPLATES, **ctx)
    response = client.get(f"{url}?{query.format(**ctx)}", headers=auth)
    assert (response.status_code, response.get_json()) == (400, bad_query(name))
    assert stored(ctx) == before


def test_a_query_string_that_is_not_utf8_is_400(client, auth, ctx):
    """Waitress refuses such a request target itself; another WSGI server may pass it on."""
    response = client.get(RUNS, headers=auth, environ_overrides={"QUERY_STRING": "cursor=\xff"})
    assert (response.status_code, response.get_json()) == (400, {"error": {
        "code": "bad_request", "message": "The query string is not valid UTF-8"}})


# --- limit --------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["²", "١٠", "9" * 5000, "0" * 5000 + "1" + "0" * 4999, "0",
                                   "101", "-1", "+5", " 5", "5 ", "1e2", "0x10", "1_0", "",
                                   "٣", "５"])
def test_limit_is_ascii_digits_from_1_to_100(client, auth, ctx, limit):
    response = client.get(RUNS, query_string={"limit": limit}, headers=auth)
    assert (response.status_code, response.get_json()) == (400, BAD_LIMIT)


@pytest.mark.parametrize("limit", ["1", "100", "007", "0" * 5000 + "1"])
def test_limits_in_range_are_accepted(client, auth, ctx, limit):
    response = client.get(f"{RUNS}/{ctx['run']}/tasks", query_string={"limit": limit},
                          headers=auth)
    assert response.status_code == 200
    assert len(response.get_json()["data"]) == 1


# --- template files -----------------------------------------------------------------------

def template_file(title="Onboarding", task_title="T", key="title"):
    return {"title": title, "tasks": [{key: task_title}]}


TEMPLATE_FILES = [
    (json.dumps(template_file(title="a\x00")), "title: " + NUL),
    (json.dumps(template_file(task_title="\udc00")), "tasks.0.title: " + SURROGATE),
    (json.dumps(template_file(key="ti\x00tle")), "tasks.0.ti\\u0000tle: " + NUL),
    ('{"title": "a", "tasks": [{"title": "t"}], "d\\udc00": 1, "d\\udc00": 2}',
     '(top level): Field "d\\udc00" appears twice in one object.'),
    ('"\\u0000"', "(top level): " + NUL),
    ('{"title": "x", "tasks": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "(top level): Nested deeper than 64 levels."),
    ('{"a":' * 50_000 + "1" + "}" * 50_000, "(top level): Nested deeper than 64 levels."),
    ('{"title": ' + "9" * 5000 + ', "tasks": [{"title": "t"}]}', "title: Not a valid string."),
]


@pytest.mark.parametrize("text, fault", TEMPLATE_FILES, ids=range(len(TEMPLATE_FILES)))
def test_a_template_file_with_refused_text_is_refused(runner, tmp_path, team, text, fault):
    path = tmp_path / "template.json"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["import-template", "--team", "acme", str(path)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[0] == f"Import failed: {fault}"
    assert (Template.select().count(), TemplateTask.select().count()) == (0, 0)


# --- the same over HTTP -------------------------------------------------------------------

def test_the_same_answers_through_a_real_server(app, auth, ctx):
    with serving_in_thread(app) as server:
        port = server.effective_port

        def call(method, path, body=None):
            headers = dict(auth, **({"Content-Type": "application/json"} if body else {}))
            status, _headers, raw = request(port, method, path, body, headers)
            return status, json.loads(raw)

        before = stored(ctx)
        assert call("PATCH", ctx["task_url"], number_patch(ctx, b"18446744073709551616")) == (
            422, validation({"custom_elements.0.value": [TOO_LARGE]}))
        assert call("PATCH", ctx["task_url"], b'{"assignee": "\\udc00"}') == (
            422, validation({"assignee": [SURROGATE]}))
        assert call("POST", RUNS, b"[" * 100_000 + b"]" * 100_000) == (400, TOO_DEEP)
        assert call("POST", RUNS, b'{"a":' * 50_000 + b"1" + b"}" * 50_000) == (400, TOO_DEEP)
        assert call("PATCH", ctx["task_url"], nested_value(ctx, 2_000)) == (400, TOO_DEEP)
        assert call("PATCH", ctx["task_url"] + "%00", b"{}") == (404, NOT_FOUND)
        assert call("GET", f"{RUNS}/%00/tasks") == (404, NOT_FOUND)
        assert call("GET", f"{RUNS}?cursor=%00") == (400, bad_query("cursor"))
        assert call("GET", f"{RUNS}?limit=%C2%B2") == (400, BAD_LIMIT)
        assert call("GET", ctx["task_url"])[0] == 200
        assert stored(ctx) == before
