"""POST /process-runs refused: bad bodies (422), unknown templates (404), drafts (409),
wrong media types; a refused or failed start leaves no row behind."""
import pytest
from test_run_helpers import RUNS, counts, start, validation

from nextstep.models import CustomElement, Template


@pytest.fixture
def other(make_team, make_template, make_member):
    """Another team with a published template and a member."""
    team = make_team()
    template = make_template(team, title="Theirs")
    template.member = make_member(team, email="them@example.com")
    return template


@pytest.fixture
def prefill_ctx(team, make_template, make_member):
    make_member(team, email="gone@example.com", is_active=False)
    template = make_template(team, tasks=[
        {"elements": [{"type": "shortText", "label": "A"}, {"type": "image", "label": "Pic"}]},
        {"elements": [{"type": "number", "label": "N"}]}])
    first, second = template.task_rows
    text, image = CustomElement.select().where(CustomElement.task == first.id).order_by(
        CustomElement.position)
    number = CustomElement.get(CustomElement.task == second.id)
    return {"template": template, "t1": first.id, "t2": second.id, "text": text.id,
            "image": image.id, "number": number.id}


DROP = object()
BAD_BODIES = [
    ("missing template_id", lambda c: {"template_id": DROP, "name": "x"},
     {"template_id": ["Missing data for required field."]}),
    ("template_id not a string", lambda c: {"template_id": 5},
     {"template_id": ["Not a valid string."]}),
    ("name and title", lambda c: {"name": "a", "title": "b"},
     {"title": ["Give name or its alias title, not both."]}),
    ("empty name", lambda c: {"name": ""}, {"name": ["Length must be between 1 and 255."]}),
    ("name not a string", lambda c: {"name": 3}, {"name": ["Not a valid string."]}),
    ("bad due_date", lambda c: {"due_date": "next friday"},
     {"due_date": ["Not a valid ISO 8601 timestamp."]}),
    ("due_date not a string", lambda c: {"due_date": 1700000000},
     {"due_date": ["Not a valid ISO 8601 timestamp."]}),
    ("impossible due_date", lambda c: {"due_date": "2026-02-30T10:00:00Z"},
     {"due_date": ["Not a valid ISO 8601 timestamp."]}),
    ("unknown actor", lambda c: {"actor_email": "nobody@example.com"},
     {"actor_email": ["No active member of this team has this email."]}),
    ("deactivated actor", lambda c: {"actor_email": "gone@example.com"},
     {"actor_email": ["No active member of this team has this email."]}),
    ("other team's member as actor", lambda c: {"actor_email": "them@example.com"},
     {"actor_email": ["No active member of this team has this email."]}),
    ("unknown field", lambda c: {"is_shared": True}, {"is_shared": ["Unknown field."]}),
    ("custom_elements not a list", lambda c: {"custom_elements": {"a": 1}},
     {"custom_elements": ["Not a valid list."]}),
    ("pre-fill not an object", lambda c: {"custom_elements": ["x"]},
     {"custom_elements.0": ["Invalid input type."]}),
    ("pre-fill unknown field", lambda c: {"custom_elements": [
        {"task_id": c["t1"], "element_id": c["text"], "value": "v", "label": "x"}]},
     {"custom_elements.0.label": ["Unknown field."]}),
    ("pre-fill without value", lambda c: {"custom_elements": [
        {"task_id": c["t1"], "element_id": c["text"]}]},
     {"custom_elements.0.value": ["Missing data for required field."]}),
    ("unknown task_id", lambda c: {"custom_elements": [
        {"task_id": "x" * 20, "element_id": c["text"], "value": "v"}]},
     {"custom_elements.0.task_id": ["No task with this id in the template's published "
                                    "version."]}),
    ("element of another task", lambda c: {"custom_elements": [
        {"task_id": c["t1"], "element_id": c["number"], "value": 1}]},
     {"custom_elements.0.element_id": ["No element with this id on this task."]}),
    ("bad value", lambda c: {"custom_elements": [
        {"task_id": c["t1"], "element_id": c["text"], "value": "ok"},
        {"task_id": c["t2"], "element_id": c["number"], "value": "12"}]},
     {"custom_elements.1.value": ["Must be a JSON number."]}),
    ("display-only value", lambda c: {"custom_elements": [
        {"task_id": c["t1"], "element_id": c["image"], "value": "http://x.io/a.png"}]},
     {"custom_elements.0.value": ["Display-only elements hold no value."]}),
    ("same element twice", lambda c: {"custom_elements": [
        {"task_id": c["t1"], "element_id": c["text"], "value": "a"},
        {"task_id": c["t1"], "element_id": c["text"], "value": "b"}]},
     {"custom_elements.1.element_id": ["This element is already set by an earlier item."]}),
    ("several problems at once", lambda c: {"actor_email": "nobody@example.com",
                                            "custom_elements": [
        {"task_id": c["t2"], "element_id": c["number"], "value": True}]},
     {"actor_email": ["No active member of this team has this email."],
      "custom_elements.0.value": ["Must be a JSON number."]}),
]


@pytest.mark.parametrize("body, details", [case[1:] for case in BAD_BODIES],
                         ids=[case[0] for case in BAD_BODIES])
def test_bad_bodies_are_422_and_write_nothing(client, auth, prefill_ctx, other, body, details):
    payload = {"template_id": prefill_ctx["template"].id, **body(prefill_ctx)}
    payload = {key: value for key, value in payload.items() if value is not DROP}
    response = client.post(RUNS, json=payload, headers=auth)
    assert response.status_code == 422
    assert response.get_json() == validation(details)
    assert counts() == (0, 0, 0)


def test_unknown_and_foreign_templates_are_404(client, auth, other):
    for template_id in ("nope", other.id):
        response = start(client, auth, template_id)
        assert response.status_code == 404
        assert response.get_json() == {"error": {"code": "not_found",
                                                 "message": "Process template not found"}}
    assert counts() == (0, 0, 0)


def test_unpublished_template_is_409(client, auth, team, make_template):
    draft = make_template(team, publish=False)
    unpublished = make_template(team)
    Template.update(is_published=False).where(Template.id == unpublished.id).execute()
    for template in (draft, unpublished):
        response = start(client, auth, template)
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "template_not_published"
    assert counts() == (0, 0, 0)


def test_body_must_be_a_json_object_sent_as_json(client, auth):
    response = client.post(RUNS, data='{"template_id": "x"}', headers=auth,
                           content_type="text/plain")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    for raw, message in (("[1]", "The request body must be a JSON object"),
                         ("{nope", "The request body is not valid JSON")):
        response = client.post(RUNS, data=raw, headers=auth, content_type="application/json")
        assert response.status_code == 400
        assert response.get_json() == {"error": {"code": "bad_request", "message": message}}
    assert counts() == (0, 0, 0)


def test_a_failing_write_leaves_no_partial_run(client, auth, team, make_template,
                                                monkeypatch):
    """The run row is inserted before the tasks: a failure after it must roll it back."""
    from nextstep.services import events

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(events, "record", explode)
    response = start(client, auth, make_template(team))
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert counts() == (0, 0, 0)
