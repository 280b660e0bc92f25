"""Strange values in every field of every authoring body (contract §13): never a 5xx,
always the envelope, and a refused request leaves the template's rows as they were."""
from authoring_helpers import BASE, admin_key, template_state
from test_hostile_battery import RAW_BODIES, STRANGE_IDS, STRANGE_VALUES, answer_problem

TEMPLATE_FIELDS = ("title", "description", "cover_image", "icon", "icon_type", "visibility",
                   "is_archived")
SECTION_FIELDS = ("title", "description", "color", "order")
TASK_FIELDS = ("title", "description", "section_id", "type", "is_essential",
               "webhook_enabled", "assignee", "due_date", "depends_on", "custom_elements",
               "order")


def battery(tid, section, task):
    """(method, path, body) for each field and strange value, plus raw bodies."""
    found = []
    for value in STRANGE_VALUES:
        found += [("PATCH", f"/{tid}", {name: value}) for name in TEMPLATE_FIELDS]
        found += [("PATCH", f"/{tid}/sections/{section}", {name: value})
                  for name in SECTION_FIELDS]
        found += [("POST", f"/{tid}/tasks", {"title": "T", name: value})
                  for name in TASK_FIELDS if name != "title"]
        found += [("PATCH", f"/{tid}/tasks/{task}", {name: value}) for name in TASK_FIELDS]
        found += [("PATCH", f"/{tid}/tasks/{task}", {"custom_elements": [
                      {"type": "dropdown", "label": "L", "options": value}]}),
                  ("PATCH", f"/{tid}/tasks/{task}", {"custom_elements": [
                      {"id": value, "type": "text", "label": "L"}]}),
                  ("PATCH", f"/{tid}/tasks/{task}", {"due_date": {
                      "type": "relative", "from": value, "offset": "P1D"}}),
                  ("PATCH", f"/{tid}/tasks/{task}", {"due_date": {
                      "type": "relative", "from": "run_start", "offset": value}}),
                  ("POST", "", {"title": "T", "tasks": [{"title": value}]}),
                  ("POST", "", {"title": "T", "sections": value})]
    for strange in STRANGE_IDS:
        found += [("PATCH", f"/{tid}/tasks/{strange}", {"title": "x"}),
                  ("DELETE", f"/{tid}/sections/{strange}", None),
                  ("GET", f"/{tid}/versions/{strange}", None),
                  ("POST", f"/{strange}/publish", None)]
    found += [(method, path, body) for body in RAW_BODIES
              for method, path in (("POST", ""), ("POST", f"/{tid}/tasks"),
                                   ("PATCH", f"/{tid}/tasks/{task}"))]
    return found


def test_no_strange_value_gets_a_5xx_or_changes_a_refused_template(app, client, team,
                                                                   make_member):
    admin = {"Authorization": f"Bearer {admin_key(team, make_member(team, role='admin'))}"}
    app.config["NEXTSTEP_MAX_CONTENT_LENGTH"] = 2_000_000  # the 1.1 MB body is a 413 still
    created = client.post(BASE, json={"title": "Target", "sections": [{"title": "S"}],
                                      "tasks": [{"title": "A"}]}, headers=admin).json["data"]
    tid, section = created["id"], created["sections"][0]["id"]
    task = client.get(f"{BASE}/{tid}/tasks", headers=admin).json["data"][0]["id"]
    requests = battery(tid, section, task)
    assert len(requests) > 1000
    bad = []
    for method, path, body in requests:
        before = template_state(tid)
        kwargs = {"data": body, "content_type": "application/json"} if isinstance(
            body, bytes) else {"json": body}
        response = client.open(BASE + path, method=method, headers=admin, **kwargs)
        problem = answer_problem(method, response.status_code, response.headers,
                                 response.data)
        if problem is None and response.status_code >= 400 and template_state(tid) != before:
            problem = "refused, yet the template changed"
        if problem:
            bad.append((method, path[:60], repr(body)[:80], response.status_code, problem,
                        response.data[:200]))
    assert bad == [], f"{len(bad)} of {len(requests)} answers were wrong: {bad[:10]}"


def test_unknown_field_names_that_look_like_digits_are_named_not_counted(client, team,
                                                                         make_member):
    """"¹" and "٣" pass str.isdigit; error paths sort them as names (found by schemathesis:
    int("¹") was a 500)."""
    admin = {"Authorization": f"Bearer {admin_key(team, make_member(team, role='admin'))}"}
    body = {"title": "T", "tasks": [{"title": "A"}],
            "sections": [{"title": "S", "¹": 1, "٣": 2, "3": 3}]}
    response = client.post(BASE, json=body, headers=admin)
    assert response.status_code == 422, response.data
    details = response.json["error"]["details"]
    assert details == {"sections.0.3": ["Unknown field."], "sections.0.¹": ["Unknown field."],
                       "sections.0.٣": ["Unknown field."]}
    assert list(details) == ["sections.0.3", "sections.0.¹", "sections.0.٣"]
