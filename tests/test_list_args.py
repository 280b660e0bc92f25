"""The four lists' query arguments: every way to get them wrong, on every list.

Each refusal is asserted whole (status and body), with the queries it cost, and with every
row of every table as it was before.
"""
import pytest
from playhouse.test_utils import count_queries
from test_run_helpers import RUNS, started, tasks_of

from nextstep.models import ALL_MODELS, Run, Template

TEMPLATES = "/api/v1/process-templates"
LISTS = ["templates", "template-tasks", "runs", "run-tasks"]


def refusal(message, name, detail):
    return {"error": {"code": "bad_request", "message": message, "details": {name: [detail]}}}


BAD_LIMIT = refusal("limit must be a whole number from 1 to 100", "limit",
                    "Must be a whole number from 1 to 100.")
BAD_STATUS = refusal("status must be active or completed", "status",
                     "Must be one of: active, completed.")
BAD_PUBLISHED = refusal("is_published must be true or false", "is_published",
                        "Must be true or false.")
FOREIGN_CURSOR = refusal("cursor does not belong to this list", "cursor",
                         "Unknown cursor for this list.")
NO_RUN = {"error": {"code": "not_found", "message": "Process run not found"}}
NO_TEMPLATE = {"error": {"code": "not_found", "message": "Process template not found"}}
BAD_LIMITS = ["0", "00", "101", "1000", "-1", "+5", "%2B5", "2.5", "1e2", "0x10", "abc", "",
              "%205", "5%20", "%C2%B2", "%D9%A1%D9%A0", "%EF%BC%95", "9" * 5000]


def database_rows():
    """Every row of every table, to compare before and after a refused request."""
    return {model.__name__: sorted(map(repr, model.select().dicts())) for model in ALL_MODELS}


@pytest.fixture
def lists(client, auth, team, make_team, make_template):
    """Two runs of one template, another team's template and run; {list: its path}, and
    ids of rows of other lists (`other`) for cursors that must be refused."""
    template = make_template(team, tasks=[{"title": "A"}, {"title": "B"}])
    second = make_template(team, title="Second")
    first_run, second_run = started(client, auth, template), started(client, auth, template)
    theirs = make_template(make_team(subdomain="globex"), title="Globex")
    paths = {"templates": TEMPLATES, "template-tasks": f"{TEMPLATES}/{template.id}/tasks",
             "runs": RUNS, "run-tasks": f"{RUNS}/{first_run['id']}/tasks"}
    for path in paths.values():  # the key's once-a-minute last-used stamp, written now
        assert client.get(path, headers=auth).status_code == 200
    other = {"template": second.id, "their template": theirs.id,
             "template task": second.task_rows[0].id, "their task": theirs.task_rows[0].id,
             "run": second_run["id"],
             "run task": tasks_of(client, auth, second_run["id"])[0]["id"],
             "own task": tasks_of(client, auth, first_run["id"])[0]["id"]}
    return paths, other


def refused(client, auth, url, status, body, queries):
    before = database_rows()
    with count_queries() as counted:
        response = client.get(url, headers=auth)
    assert (response.status_code, response.get_json()) == (status, body)
    assert counted.count == queries
    assert database_rows() == before


@pytest.mark.parametrize("value", BAD_LIMITS)
@pytest.mark.parametrize("name", LISTS)
def test_a_bad_limit_is_400_before_any_row_is_read(client, auth, lists, name, value):
    paths, _other = lists
    refused(client, auth, f"{paths[name]}?limit={value}", 400, BAD_LIMIT, 1)  # the key


@pytest.mark.parametrize("value", ["1", "001", "100", "0100"])
@pytest.mark.parametrize("name", LISTS)
def test_a_limit_of_ascii_digits_from_1_to_100_is_taken(client, auth, lists, name, value):
    paths, _other = lists
    response = client.get(f"{paths[name]}?limit={value}", headers=auth)
    assert response.status_code == 200
    assert len(response.get_json()["data"]) == min(int(value), 2)


@pytest.mark.parametrize("value", ["done", "", "Active", "ACTIVE", "active,completed",
                                   "active%20", "x"])
def test_a_bad_status_is_400(client, auth, lists, value):
    paths, _other = lists
    refused(client, auth, f"{paths['runs']}?status={value}", 400, BAD_STATUS, 1)


@pytest.mark.parametrize("value", ["yes", "no", "TRUE", "True", "1", "0", "", "true%20"])
def test_a_bad_is_published_is_400(client, auth, lists, value):
    paths, _other = lists
    refused(client, auth, f"{paths['templates']}?is_published={value}", 400, BAD_PUBLISHED, 1)


@pytest.mark.parametrize("name, query", [
    ("runs", "status=done&limit=0"), ("runs", "limit=0&status=done"),
    ("templates", "is_published=yes&limit=abc"), ("runs", "cursor=nope&limit=0"),
    ("run-tasks", "cursor=nope&limit=101"), ("template-tasks", "limit=&cursor=nope"),
])
def test_limit_is_checked_first_and_alone(client, auth, lists, name, query):
    paths, _other = lists
    refused(client, auth, f"{paths[name]}?{query}", 400, BAD_LIMIT, 1)


def test_a_bad_filter_is_checked_before_the_cursor(client, auth, lists):
    paths, _other = lists
    refused(client, auth, f"{paths['runs']}?cursor=nope&status=done", 400, BAD_STATUS, 1)
    refused(client, auth, f"{paths['templates']}?cursor=nope&is_published=1", 400,
            BAD_PUBLISHED, 1)


# A cursor must name an item of the list's own scope; what a refusal costs: the key, the
# template (template tasks), the cursor's row, and the run (run tasks, to tell 404 from 400).
CURSOR_CASES = [
    ("templates", ["nope", "their template", "template task", "run"], 2),
    ("template-tasks", ["nope", "template task", "their task", "template", "own task"], 3),
    ("runs", ["nope", "template", "run task", "own task"], 2),
    ("run-tasks", ["nope", "run task", "run", "template task"], 3),
]


@pytest.mark.parametrize("name, cursors, queries", CURSOR_CASES, ids=[c[0] for c in CURSOR_CASES])
def test_a_cursor_from_outside_the_list_is_400(client, auth, lists, name, cursors, queries):
    paths, other = lists
    for cursor in cursors:
        refused(client, auth, f"{paths[name]}?cursor={other.get(cursor, cursor)}", 400,
                FOREIGN_CURSOR, queries)


def test_under_an_unknown_run_a_cursor_is_404(client, auth, lists):
    """The run is read to word the answer: a list that does not exist has no cursors."""
    _paths, other = lists
    for cursor in ("nope", other["own task"]):
        refused(client, auth, f"{RUNS}/nope/tasks?cursor={cursor}", 404, NO_RUN, 3)
    refused(client, auth, f"{RUNS}/nope/tasks", 404, NO_RUN, 3)  # key, empty page, run


def test_under_an_unknown_template_a_cursor_is_404(client, auth, lists):
    _paths, other = lists
    refused(client, auth, f"{TEMPLATES}/nope/tasks?cursor={other['template task']}", 404,
            NO_TEMPLATE, 2)
    refused(client, auth, f"{TEMPLATES}/{other['their template']}/tasks", 404, NO_TEMPLATE, 2)


def test_under_an_unknown_parent_a_bad_limit_is_still_400(client, auth, lists):
    refused(client, auth, f"{RUNS}/nope/tasks?limit=0", 400, BAD_LIMIT, 1)
    refused(client, auth, f"{TEMPLATES}/nope/tasks?limit=0", 400, BAD_LIMIT, 1)


@pytest.mark.parametrize("name", LISTS)
def test_unknown_parameters_and_empty_values_change_nothing(client, auth, lists, name):
    """`cursor=` and `template_id=` are as if absent; unknown parameters are ignored; a
    repeated parameter counts by its first value."""
    paths, _other = lists
    first_page = client.get(f"{paths[name]}?limit=1", headers=auth).get_json()
    queries = ["limit=1&cursor=", "limit=1&foo=bar&Limit=abc&STATUS=done", "limit=1&limit=abc",
               "limit=1&cursor=&cursor=nope", "limit=1&template_id="]
    if name != "templates":
        queries.append("limit=1&is_published=yes")
    if name != "runs":
        queries.append("limit=1&status=done")
    for query in queries:
        response = client.get(f"{paths[name]}?{query}", headers=auth)
        assert (response.status_code, response.get_json()) == (200, first_page), query


def test_a_cursor_still_continues_once_its_row_has_left_the_filter(client, auth, lists):
    """A run completed (a template published) between two pages: the next page starts
    after it all the same, where it was in the list."""
    paths, other = lists
    first = client.get(f"{RUNS}?status=active&limit=1", headers=auth).get_json()
    newest = first["data"][0]["id"]
    Run.update(status="completed").where(Run.id == newest).execute()
    rest = client.get(f"{RUNS}?status=active&cursor={newest}", headers=auth).get_json()
    both = {paths["run-tasks"].split("/")[-2], other["run"]}
    assert [run["id"] for run in rest["data"]] == list(both - {newest})
    assert rest["pagination"]["has_more"] is False
    Template.update(is_published=False).where(Template.id == other["template"]).execute()
    page = client.get(f"{TEMPLATES}?is_published=true&cursor={other['template']}",
                      headers=auth).get_json()
    assert [t["title"] for t in page["data"]] == ["Onboarding"]


def test_each_list_declares_its_arguments_in_one_schema():
    """What an OpenAPI document of the lists would be generated from."""
    from nextstep.schemas import queries
    declared = {schema.__name__: {name: (type(field).__name__, field.load_default)
                                  for name, field in schema().fields.items()}
                for schema in (queries.TemplateListArgs, queries.TemplateTaskListArgs,
                               queries.RunListArgs, queries.RunTaskListArgs)}
    paging = {"limit": ("Limit", 20), "cursor": ("OptionalId", None)}
    assert declared == {
        "TemplateListArgs": {**paging, "is_published": ("QueryBoolean", None),
                             "archived": ("QueryBoolean", False)},
        "TemplateTaskListArgs": paging,
        "RunListArgs": {**paging, "template_id": ("OptionalId", None),
                        "status": ("Choice", None)},
        "RunTaskListArgs": paging,
    }
    assert queries.RunListArgs().fields["status"].choices == ("active", "completed")
    fields = queries.ListArgs().fields  # the types an OpenAPI generator reads off the MRO
    assert isinstance(fields["limit"], queries.fields.Integer)
    assert fields["limit"].metadata["maximum"] == queries.MAX_LIMIT == 100
    assert isinstance(queries.QueryBoolean(), queries.fields.Boolean)
