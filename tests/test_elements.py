"""Custom element values by type: what each accepts, how it is stored, what it refuses."""
import json

import pytest
from test_run_helpers import RUNS, counts, patch, row, started, tasks_of, validation

from nextstep.models import RunTask
from nextstep.services.elements import has_value

TYPES = ["shortText", "longText", "email", "url", "number", "date", "checkbox", "dropdown",
         "multiSelect", "member", "text", "heading", "image", "video"]
OPTIONS = {"dropdown": ["Red", "Green", "1"], "multiSelect": ["a", "b", "c"]}
NOT_MEMBER = "Must be the user id or email of an active member of the team."
DATE = "Must be a date (YYYY-MM-DD) or an ISO 8601 timestamp."
URL = "Must be an http or https URL."
EMAIL = "Must be a valid email address."
DISPLAY = "Display-only elements hold no value."


@pytest.fixture
def board(client, auth, team, make_template, make_member, make_team):
    """One run task holding one element of every type."""
    people = {"member": make_member(team, email="Mia@Example.com"),
              "gone": make_member(team, email="gone@example.com", is_active=False),
              "stranger": make_member(make_team(), email="stranger@example.com")}
    template = make_template(team, tasks=[{"elements": [
        {"type": t, "label": t, "options": OPTIONS.get(t)} for t in TYPES]}])
    run = started(client, auth, template)
    task = tasks_of(client, auth, run["id"])[0]
    ids = {e["type"]: e["id"] for e in task["custom_elements"]}

    def put_many(pairs):
        return patch(client, auth, run["id"], task["id"], {"custom_elements": [
            {"element_id": ids[kind], "value": value} for kind, value in pairs]})
    return {"put": lambda kind, value: put_many([(kind, value)]), "put_many": put_many,
            "people": people, "task": task, "run": run, "ids": ids}


def resolve(value, people):
    """Let the tables name members symbolically: ("id", "member") -> that member's id."""
    if isinstance(value, tuple):
        attribute, who = value
        person = people[who]
        return person.email.upper() if attribute == "EMAIL" else getattr(person, attribute)
    return value


ACCEPTED = [
    ("shortText", "hello", "hello"), ("shortText", "", ""), ("shortText", "x" * 500, "x" * 500),
    ("shortText", "ünïcødé ✓", "ünïcødé ✓"),
    ("longText", "x" * 20_000, "x" * 20_000), ("longText", "line\nline", "line\nline"),
    ("email", "a@b.co", "a@b.co"),
    ("email", "first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
    ("url", "http://example.com", "http://example.com"),
    ("url", "https://example.com/p?q=1#f", "https://example.com/p?q=1#f"),
    ("url", "HTTPS://EXAMPLE.COM", "HTTPS://EXAMPLE.COM"),
    ("number", 0, 0), ("number", -3, -3), ("number", 2.5, 2.5),
    ("number", 10 ** 15, 10 ** 15),
    ("date", "2026-03-27", "2026-03-27"),
    ("date", "2026-03-27T02:08:05.224Z", "2026-03-27T02:08:05.224Z"),
    ("date", "2026-03-27T10:00:00+02:00", "2026-03-27T08:00:00.000Z"),
    ("date", "2026-03-27 10:00", "2026-03-27T10:00:00.000Z"),
    ("checkbox", True, True), ("checkbox", False, False),
    ("dropdown", "Red", "Red"), ("dropdown", "1", "1"),
    ("multiSelect", ["a"], ["a"]), ("multiSelect", ["c", "a"], ["c", "a"]),
    ("multiSelect", [], []),
    ("member", ("id", "member"), ("id", "member")),
    ("member", ("EMAIL", "member"), ("id", "member")),
] + [(t, None, None) for t in TYPES[:10]]

REJECTED = [
    ("shortText", "x" * 501, "Must be at most 500 characters long."),
    ("shortText", 5, "Must be a string."), ("shortText", ["a"], "Must be a string."),
    ("shortText", True, "Must be a string."),
    ("longText", "x" * 20_001, "Must be at most 20000 characters long."),
    ("longText", {"a": 1}, "Must be a string."),
    ("email", "nope", EMAIL), ("email", "a@b", EMAIL), ("email", "a b@c.de", EMAIL),
    ("email", "", EMAIL), ("email", 5, EMAIL),
    ("url", "ftp://example.org", URL), ("url", "example.com", URL), ("url", "http://", URL),
    ("url", "https://exa mple.com", URL), ("url", "javascript:alert(1)", URL), ("url", 5, URL),
    ("number", "12", "Must be a JSON number."), ("number", True, "Must be a JSON number."),
    ("number", [1], "Must be a JSON number."), ("number", {"n": 1}, "Must be a JSON number."),
    ("date", "27/03/2026", DATE), ("date", "2026-02-30", DATE), ("date", "2026-03-27T25:00", DATE),
    ("date", "20260327", DATE), ("date", "", DATE), ("date", 20260327, DATE),
    ("checkbox", "true", "Must be true or false."), ("checkbox", 1, "Must be true or false."),
    ("checkbox", 0, "Must be true or false."),
    ("dropdown", "Blue", "Must be one of the element's options."),
    ("dropdown", "red", "Must be one of the element's options."),
    ("dropdown", 1, "Must be one of the element's options."),
    ("dropdown", True, "Must be one of the element's options."),
    ("dropdown", ["Red"], "Must be one of the element's options."),
    ("multiSelect", "a", "Must be a list of the element's options."),
    ("multiSelect", ["a", "a"], "Must not list an option twice."),
    ("multiSelect", ["d"], "Must be a list of the element's options."),
    ("multiSelect", [1], "Must be a list of the element's options."),
    ("multiSelect", [["a"]], "Must be a list of the element's options."),
    ("member", "nobody@example.com", NOT_MEMBER), ("member", ("email", "gone"), NOT_MEMBER),
    ("member", ("id", "gone"), NOT_MEMBER), ("member", ("id", "stranger"), NOT_MEMBER),
    ("member", ("email", "stranger"), NOT_MEMBER), ("member", 5, NOT_MEMBER),
] + [(t, v, DISPLAY) for t in TYPES[10:] for v in ("x", None)]


def case_id(case):
    return f"{case[0]}-{str(case[1])[:20]}"


@pytest.mark.parametrize("kind, value, stored", ACCEPTED, ids=[case_id(c) for c in ACCEPTED])
def test_accepted_values(board, kind, value, stored):
    response = board["put"](kind, resolve(value, board["people"]))
    assert response.status_code == 200, response.get_json()
    element = next(e for e in response.get_json()["data"]["custom_elements"]
                   if e["type"] == kind)
    assert element["value"] == resolve(stored, board["people"])
    saved = next(e for e in RunTask.get_by_id(board["task"]["id"]).custom_elements
                 if e["type"] == kind)
    assert saved["value"] == resolve(stored, board["people"])


@pytest.mark.parametrize("kind, value, message", REJECTED, ids=[case_id(c) for c in REJECTED])
def test_rejected_values(board, kind, value, message):
    before = row(RunTask, board["task"]["id"]), counts()
    response = board["put"](kind, resolve(value, board["people"]))
    assert response.status_code == 422
    assert response.get_json() == validation({"custom_elements.0.value": [message]})
    assert (row(RunTask, board["task"]["id"]), counts()) == before


def test_non_finite_numbers_are_refused(board, client, auth):
    raw = json.dumps({"custom_elements": [{"element_id": board["ids"]["number"],
                                           "value": float("nan")}]})
    response = client.patch(f"{RUNS}/{board['run']['id']}/tasks/{board['task']['id']}",
                            data=raw, headers=auth, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json() == validation({"custom_elements.0.value": [
        "Must be a finite number."]})


def test_null_clears_a_value(board):
    board["put"]("shortText", "kept")
    response = board["put"]("shortText", None)
    assert response.get_json()["data"]["custom_elements"][0]["value"] is None


@pytest.mark.parametrize("kind, value, filled", [
    ("checkbox", False, False), ("checkbox", True, True), ("checkbox", None, False),
    ("shortText", "  ", False), ("shortText", "x", True), ("multiSelect", [], False),
    ("multiSelect", ["a"], True), ("number", 0, True), ("member", None, False),
])
def test_what_counts_as_a_value_for_required_elements(kind, value, filled):
    assert has_value({"type": kind, "value": value}) is filled


def test_a_required_checkbox_must_be_ticked(client, auth, team, make_template):
    template = make_template(team, tasks=[{"elements": [
        {"type": "checkbox", "label": "I agree", "required": True}]}])
    run = started(client, auth, template)
    task = tasks_of(client, auth, run["id"])[0]
    element_id = task["custom_elements"][0]["id"]
    response = patch(client, auth, run["id"], task["id"], {"completed": True, "custom_elements": [
        {"element_id": element_id, "value": False}]})
    assert response.get_json() == validation({f"custom_elements.{element_id}": [
        'Required element "I agree" needs a value before the task can be completed.']})
    response = patch(client, auth, run["id"], task["id"], {"completed": True, "custom_elements": [
        {"element_id": element_id, "value": True}]})
    assert response.status_code == 200


def test_several_bad_items_are_all_reported(board):
    response = board["put"]("number", "1")
    assert list(response.get_json()["error"]["details"]) == ["custom_elements.0.value"]
    response = board["put_many"]([("number", "1"), ("email", "ok@example.com"), ("url", "x")])
    assert response.get_json() == validation({"custom_elements.0.value": ["Must be a JSON number."],
                                              "custom_elements.2.value": [URL]})

