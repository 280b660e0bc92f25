"""GET /process-templates, /process-templates/:id and /process-templates/:id/tasks."""
from datetime import datetime, timedelta

import pytest
from playhouse.test_utils import count_queries

from nextstep.models import Template

BASE = "/api/v1/process-templates"


def stamp(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def spread_creation(templates):
    """Give templates distinct, increasing creation times (oldest first)."""
    start = datetime(2026, 1, 1, 9, 0, 0)
    for n, template in enumerate(templates):
        created = start + timedelta(minutes=n)
        Template.update(created_at=created).where(Template.id == template.id).execute()


def test_a_template_in_full(client, auth, team, make_member, make_template):
    owner = make_member(team, role="admin")
    template = make_template(team, title="Onboarding", sections=["Before day one"], tasks=[
        {"title": "Send laptop", "section": 0, "assignee": owner, "webhook_enabled": True,
         "elements": [{"type": "dropdown", "label": "Model", "required": True,
                       "options": ["Air", "Pro"]},
                      {"type": "heading", "label": "Read this"}]},
        {"title": "Sign off", "type": "approval", "is_essential": False, "depends_on": [0],
         "due_date": {"type": "relative", "from": "task:0", "offset": "P2D",
                      "business_days": True}},
    ], description="For new hires", icon="rocket", icon_type="emoji")
    template = Template.get_by_id(template.id)
    section = template.sections.get()
    tasks = list(template.tasks.order_by(Template.tasks.rel_model.position))

    response = client.get(f"{BASE}/{template.id}", headers=auth)
    assert response.status_code == 200
    assert response.json == {"data": {
        "id": template.id, "title": "Onboarding", "description": "For new hires",
        "cover_image": None, "icon": "rocket", "icon_type": "emoji", "visibility": "team",
        "is_published": True, "version": 1, "has_unpublished_changes": False,
        "is_archived": False, "archived_at": None,
        "sections": [{"id": section.id, "title": "Before day one", "description": None,
                      "order": 0, "color": None}],
        "created_at": stamp(template.created_at), "updated_at": stamp(template.updated_at)}}

    response = client.get(f"{BASE}/{template.id}/tasks", headers=auth)
    assert response.status_code == 200
    elements = list(tasks[0].custom_elements.order_by(tasks[0].custom_elements.model.position))
    assert response.json == {"data": [
        {"id": tasks[0].id, "template_id": template.id, "title": "Send laptop",
         "description": None, "order": 0, "section_id": section.id, "type": "task",
         "is_essential": True, "webhook_enabled": True, "assignee": owner.id,
         "due_date": None, "depends_on": [],
         "custom_elements": [
             {"id": elements[0].id, "type": "dropdown", "label": "Model", "required": True,
              "display_only": False, "options": ["Air", "Pro"]},
             {"id": elements[1].id, "type": "heading", "label": "Read this",
              "required": False, "display_only": True, "options": None}],
         "created_at": stamp(tasks[0].created_at), "updated_at": stamp(tasks[0].updated_at)},
        {"id": tasks[1].id, "template_id": template.id, "title": "Sign off",
         "description": None, "order": 1, "section_id": None, "type": "approval",
         "is_essential": False, "webhook_enabled": False, "assignee": None,
         "due_date": {"type": "relative", "from": f"task:{tasks[0].id}", "offset": "P2D",
                      "business_days": True},
         "depends_on": [tasks[0].id], "custom_elements": [],
         "created_at": stamp(tasks[1].created_at), "updated_at": stamp(tasks[1].updated_at)},
    ], "pagination": {"next_cursor": tasks[1].id, "has_more": False}}


def test_a_never_published_draft_is_private_version_0(client, auth, team, make_template):
    draft = make_template(team, publish=False)
    body = client.get(f"{BASE}/{draft.id}", headers=auth).json["data"]
    assert (body["is_published"], body["visibility"], body["version"]) == (False, "private", 0)


def test_the_list_is_newest_first_drafts_included(client, auth, team, make_template):
    made = [make_template(team, title=f"T{n}", publish=n % 2 == 0) for n in range(5)]
    spread_creation(made)
    response = client.get(BASE, headers=auth)
    assert response.status_code == 200
    assert [t["title"] for t in response.json["data"]] == ["T4", "T3", "T2", "T1", "T0"]
    assert response.json["pagination"] == {"next_cursor": made[0].id, "has_more": False}


def test_ties_in_creation_time_break_on_id(client, auth, team, make_template):
    made = [make_template(team, title=f"T{n}") for n in range(4)]
    Template.update(created_at=datetime(2026, 1, 1)).execute()
    ids = [t["id"] for t in client.get(BASE, headers=auth).json["data"]]
    assert ids == sorted((t.id for t in made), reverse=True)
    first = client.get(BASE + "?limit=2", headers=auth).json
    second = client.get(BASE + f"?limit=2&cursor={first['pagination']['next_cursor']}",
                        headers=auth).json
    assert [t["id"] for t in first["data"] + second["data"]] == ids


@pytest.mark.parametrize("value,expected", [("true", ["T2", "T0"]), ("false", ["T1"])])
def test_the_is_published_filter(client, auth, team, make_template, value, expected):
    made = [make_template(team, title=f"T{n}", publish=n != 1) for n in range(3)]
    spread_creation(made)
    response = client.get(f"{BASE}?is_published={value}", headers=auth)
    assert [t["title"] for t in response.json["data"]] == expected


def test_paging_walks_the_whole_list_once(client, auth, team, make_template):
    made = [make_template(team, title=f"T{n}") for n in range(7)]
    spread_creation(made)
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{BASE}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=auth).json
        pages += 1
        seen += [t["title"] for t in body["data"]]
        cursor = body["pagination"]["next_cursor"]
        if not body["pagination"]["has_more"]:
            break
    assert seen == [f"T{n}" for n in range(6, -1, -1)]
    assert pages == 3
    assert cursor == made[0].id
    empty = client.get(f"{BASE}?cursor={made[0].id}", headers=auth).json
    assert empty == {"data": [], "pagination": {"next_cursor": None, "has_more": False}}


def test_a_cursor_continues_a_filtered_list(client, auth, team, make_template):
    made = [make_template(team, title=f"T{n}", publish=n % 2 == 0) for n in range(7)]
    spread_creation(made)
    first = client.get(f"{BASE}?is_published=true&limit=2", headers=auth).json
    assert [t["title"] for t in first["data"]] == ["T6", "T4"]
    cursor = first["pagination"]["next_cursor"]
    rest = client.get(f"{BASE}?is_published=true&limit=2&cursor={cursor}", headers=auth).json
    assert [t["title"] for t in rest["data"]] == ["T2", "T0"]
    assert rest["pagination"] == {"next_cursor": made[0].id, "has_more": False}


def test_template_tasks_page_by_position(client, auth, team, make_template):
    template = make_template(team, tasks=[{"title": f"Step {n}"} for n in range(5)])
    first = client.get(f"{BASE}/{template.id}/tasks?limit=2", headers=auth).json
    assert [t["title"] for t in first["data"]] == ["Step 0", "Step 1"]
    assert first["pagination"]["has_more"] is True
    cursor = first["pagination"]["next_cursor"]
    second = client.get(f"{BASE}/{template.id}/tasks?limit=3&cursor={cursor}",
                        headers=auth).json
    assert [t["order"] for t in second["data"]] == [2, 3, 4]
    assert second["pagination"] == {"next_cursor": template.task_rows[4].id, "has_more": False}


BAD_QUERIES = [
    ("limit=0", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("limit=101", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("limit=-1", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("limit=2.5", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("limit=abc", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("limit=", {"limit": ["Must be a whole number from 1 to 100."]}),
    ("cursor=nosuchcursor", {"cursor": ["Unknown cursor for this list."]}),
]


@pytest.mark.parametrize("query,details", BAD_QUERIES)
def test_bad_query_parameters_are_400(client, auth, team, make_template, query, details):
    template = make_template(team)
    for url in (f"{BASE}?{query}", f"{BASE}/{template.id}/tasks?{query}"):
        response = client.get(url, headers=auth)
        assert response.status_code == 400
        assert response.json["error"]["code"] == "bad_request"
        assert response.json["error"]["details"] == details


def test_a_bad_is_published_value_is_400(client, auth):
    response = client.get(f"{BASE}?is_published=yes", headers=auth)
    assert response.status_code == 400
    assert response.json == {"error": {"code": "bad_request",
                                       "message": "is_published must be true or false",
                                       "details": {"is_published": ["Must be true or false."]}}}


def test_a_task_cursor_from_another_template_is_400(client, auth, team, make_template):
    one, two = make_template(team), make_template(team)
    response = client.get(f"{BASE}/{one.id}/tasks?cursor={two.task_rows[0].id}", headers=auth)
    assert response.status_code == 400


class TestTenantIsolation:
    @pytest.fixture
    def other_template(self, make_team, make_template):
        return make_template(make_team(subdomain="globex"), title="Globex secret")

    def test_lists_never_show_another_teams_templates(self, client, auth, other_template):
        assert client.get(BASE, headers=auth).json["data"] == []

    @pytest.mark.parametrize("suffix", ["", "/tasks"])
    def test_another_teams_template_is_404(self, client, auth, other_template, suffix):
        response = client.get(f"{BASE}/{other_template.id}{suffix}", headers=auth)
        missing = client.get(f"{BASE}/{'x' * 20}{suffix}", headers=auth)
        assert response.status_code == missing.status_code == 404
        assert response.json == missing.json == {"error": {
            "code": "not_found", "message": "Process template not found"}}

    def test_another_teams_cursor_is_400(self, client, auth, other_template):
        response = client.get(f"{BASE}?cursor={other_template.id}", headers=auth)
        assert response.status_code == 400


def test_pages_cost_the_same_queries_deep_in_a_long_list(client, auth, team, make_template):
    made = [make_template(team, title=f"T{n}", sections=["A", "B"], publish=False)
            for n in range(30)]
    spread_creation(made)
    template = make_template(team, tasks=[{"elements": [{"type": "shortText"}] * 2}] * 60)
    client.get(BASE, headers=auth)  # the key's last-used stamp is written once a minute

    def queries(url):
        with count_queries() as counter:
            assert client.get(url, headers=auth).status_code == 200
        return counter.count

    first_page = queries(f"{BASE}?limit=5")
    deep_page = queries(f"{BASE}?limit=5&cursor={made[6].id}")
    assert first_page == 3  # key, templates, sections
    assert deep_page == first_page + 1  # plus the cursor row
    assert queries(f"{BASE}?limit=20&cursor={made[25].id}") == deep_page
    first_tasks = queries(f"{BASE}/{template.id}/tasks?limit=10")
    cursor = template.task_rows[40].id
    assert first_tasks == 4  # key, template, tasks, elements
    assert queries(f"{BASE}/{template.id}/tasks?limit=10&cursor={cursor}") == first_tasks + 1
    assert queries(f"{BASE}/{template.id}/tasks?limit=100") == first_tasks
