"""Exporting a template (GET /process-templates/:id/export, `nextstep export-template`):
the import's file format, the same bytes for the same template, and a round trip through
an import that gives the export back."""
import copy
import json
from importlib import resources

import pytest
from playhouse.test_utils import count_queries

from nextstep.models import CustomElement, Section, Template, TemplateTask
from nextstep.models.template import ELEMENT_TYPES, OPTION_ELEMENT_TYPES
from nextstep.schemas.importer import TemplateFileSchema
from nextstep.services.exporter import export_filename, export_text, template_file
from nextstep.services.importer import import_template

TEMPLATES = "/api/v1/process-templates"
SAMPLE = json.loads(resources.files("nextstep.examples").joinpath("onboarding.json")
                    .read_text(encoding="utf-8"))
DISPLAY_ONLY = ("text", "heading", "image", "video")


def every_kind_of_template():
    """Every element type, both task types, every due-date rule (a relative one naming a
    task listed after it), sections (one empty, one unused by any task), dependencies,
    an assignee, a task with no section, and every template field set."""
    elements = [{"key": f"e{i}", "type": kind, "label": f"The {kind}",
                 "required": kind not in DISPLAY_ONLY and i % 2 == 0,
                 **({"options": ["One", "Two", "Three"]} if kind in OPTION_ELEMENT_TYPES
                    else {})}
                for i, kind in enumerate(ELEMENT_TYPES)]
    return {
        "title": "Équipe: the whole kit!", "description": "All of it.",
        "cover_image": "https://example.com/cover.png", "icon": "🧰", "icon_type": "emoji",
        "sections": [{"key": "a", "title": "First", "description": "Start here",
                      "color": "#aa00FF"},
                     {"key": "empty", "title": "Nobody here"},
                     {"key": "b", "title": "Then", "color": None}],
        "tasks": [
            {"key": "late", "title": "Due after the last one", "section": "b",
             "due_date": {"type": "relative", "from": "task:last", "offset": "p1w2dt30m",
                          "business_days": True}, "depends_on": ["first"]},
            {"key": "first", "title": "Fill everything", "section": "a",
             "description": "Every kind of field", "assignee": "Boss@Example.com",
             "webhook_enabled": True, "custom_elements": elements,
             "due_date": {"type": "relative", "from": "run_start", "offset": "PT4H"}},
            {"key": "approve", "title": "Approve", "type": "approval",
             "depends_on": ["first", "late"],
             "due_date": {"type": "fixed", "at": "2026-04-01T11:00:00+02:00"}},
            {"key": "last", "title": "Optional wrap-up", "is_essential": False,
             "section": "a", "depends_on": ["approve"]},
        ],
    }


@pytest.fixture
def other_team(make_team, make_member):
    other = make_team(name="Elsewhere", subdomain="elsewhere")
    make_member(other, email="boss@example.com", role="owner")
    return other


@pytest.fixture
def boss(team, make_member):
    return make_member(team, email="boss@example.com", role="owner")


@pytest.fixture
def admin_auth(team, make_key, boss):
    return {"Authorization": f"Bearer {make_key(team, boss, scope='admin')[0]}"}


def without_keys(data):
    """The file with every key renamed by first appearance: what "apart from the keys'
    spelling" leaves to compare."""
    data = copy.deepcopy(data)
    sections = {s["key"]: f"s{i}" for i, s in enumerate(data["sections"]) if "key" in s}
    tasks = {t["key"]: f"t{i}" for i, t in enumerate(data["tasks"]) if "key" in t}
    for section in data["sections"]:
        section.pop("key", None)
    for task in data["tasks"]:
        task.pop("key", None)
        task["section"] = sections.get(task["section"])
        task["depends_on"] = [tasks[key] for key in task["depends_on"]]
        rule = task["due_date"]
        if rule and rule.get("from", "").startswith("task:"):
            rule["from"] = "task:" + tasks[rule["from"][5:]]
        for element in task["custom_elements"]:
            element.pop("key", None)
    return data


def round_trip(team, other_team, data):
    """(export of `data` imported into team, export of that export imported elsewhere)."""
    first = export_text(import_template(team, data))
    second = export_text(import_template(other_team, json.loads(first)))
    return first, second


@pytest.mark.parametrize("data", [SAMPLE, every_kind_of_template()],
                         ids=["sample", "every-kind"])
def test_the_export_of_an_imported_export_is_the_export(team, other_team, boss, data):
    first, second = round_trip(team, other_team, data)
    assert without_keys(json.loads(second)) == without_keys(json.loads(first))
    assert second == first  # keys come from positions, so even their spelling is the same


@pytest.mark.parametrize("data", [SAMPLE, every_kind_of_template()],
                         ids=["sample", "every-kind"])
def test_the_export_says_all_the_file_said(team, boss, data):
    """The export, read as the import reads files, is the original file read the same way,
    apart from keys: nothing is lost, nothing invented (the importer's defaults spelled
    out, rules normalised as stored, assignees by their stored email)."""
    exported = json.loads(export_text(import_template(team, data)))
    original = TemplateFileSchema().load(copy.deepcopy(data))
    for task in original["tasks"]:
        if task["assignee"] is not None:
            task["assignee"] = task["assignee"].lower()
    assert without_keys(TemplateFileSchema().load(exported)) == without_keys(original)


def test_the_export_of_the_sample_reads_as_the_format_documents(team):
    exported = json.loads(export_text(import_template(team, SAMPLE)))
    assert list(exported) == ["title", "description", "cover_image", "icon", "icon_type",
                              "sections", "tasks"]
    assert list(exported["tasks"][0]) == [
        "key", "title", "description", "section", "type", "is_essential", "webhook_enabled",
        "assignee", "due_date", "depends_on", "custom_elements"]
    assert exported["sections"][0] == {"key": "section-1", "title": "Before day one",
                                       "description": "Paperwork, accounts and equipment.",
                                       "color": "#4F46E5"}
    contract = exported["tasks"][1]
    assert (contract["key"], contract["section"], contract["depends_on"]) == (
        "task-2", "section-1", ["task-1"])
    assert contract["due_date"] == {"type": "relative", "from": "task:task-1",
                                    "offset": "P3D", "business_days": True}
    assert contract["custom_elements"][0] == {"type": "heading",
                                              "label": "Check before approving",
                                              "required": False, "options": None}


def test_the_same_template_exports_the_same_bytes(team, boss):
    template = import_template(team, every_kind_of_template())
    text = export_text(template)
    assert export_text(Template.get_by_id(template.id)) == text
    assert text.endswith("}\n") and "🧰" in text and "\\u" not in text
    # stored positions with gaps (as after deletes) give the same keys: order is what counts
    TemplateTask.update(position=TemplateTask.position * 10 + 3).execute()
    Section.update(position=Section.position * 7).execute()
    CustomElement.update(position=CustomElement.position * 2).execute()
    assert export_text(template) == text


def test_an_export_is_the_working_copy_not_the_published_version(team, boss):
    template = import_template(team, SAMPLE, publish=True)
    TemplateTask.update(title="Renamed after publishing").where(
        (TemplateTask.template == template) & (TemplateTask.position == 0)).execute()
    exported = template_file(template)
    assert exported["tasks"][0]["title"] == "Renamed after publishing"


def test_an_assignee_who_left_the_team_keeps_their_email(team, boss):
    template = import_template(team, every_kind_of_template())
    boss.is_active = False
    boss.save()
    assert template_file(template)["tasks"][1]["assignee"] == "boss@example.com"


def test_an_export_costs_the_same_queries_whatever_the_number_of_tasks(team, boss):
    small = import_template(team, every_kind_of_template())
    big_file = every_kind_of_template()
    big_file["tasks"] += [{"key": f"more{i}", "title": f"More {i}", "assignee":
                           "boss@example.com", "depends_on": ["first"],
                           "custom_elements": [{"type": "shortText", "label": "x"}]}
                          for i in range(40)]
    big = import_template(team, big_file)
    costs = []
    for template in (small, big):
        with count_queries() as counter:
            export_text(template)
        costs.append(counter.count)
    assert costs == [4, 4]  # sections, tasks, elements, assignees


@pytest.mark.parametrize("title, filename", [
    ("Employee onboarding", "employee-onboarding.json"),
    ("Équipe: the whole kit!", "equipe-the-whole-kit.json"),
    ("  Q3 / Q4 -- plans ", "q3-q4-plans.json"),
    ("🎉🎉", "template.json"),
    ("x" * 200, "x" * 80 + ".json"),
])
def test_the_filename_is_a_slug_of_the_title(title, filename):
    assert export_filename(Template(title=title)) == filename


# --- the API ---------------------------------------------------------------------------

def test_get_export_answers_the_file_as_a_download(client, team, boss, admin_auth):
    template = import_template(team, SAMPLE)
    response = client.get(f"{TEMPLATES}/{template.id}/export", headers=admin_auth)
    assert response.status_code == 200
    assert response.get_data() == export_text(template).encode("utf-8")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="employee-onboarding.json"')
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert client.head(f"{TEMPLATES}/{template.id}/export",
                       headers=admin_auth).status_code == 200


def test_the_exported_file_imports_into_another_team_and_exports_the_same(
        client, runner, tmp_path, team, boss, other_team, admin_auth):
    template = import_template(team, every_kind_of_template())
    body = client.get(f"{TEMPLATES}/{template.id}/export", headers=admin_auth).get_data()
    path = tmp_path / "kit.json"
    path.write_bytes(body)
    imported = runner.invoke(args=["import-template", "--team", "elsewhere", str(path)])
    assert imported.exit_code == 0, imported.output
    again = runner.invoke(args=["export-template", "--team", "elsewhere",
                                imported.stdout.splitlines()[-1]])
    assert (again.exit_code, again.stdout) == (0, body.decode("utf-8"))


@pytest.mark.parametrize("scope", ["read", "write"])
def test_only_an_admin_key_exports(client, team, make_key, scope):
    template = import_template(team, SAMPLE)
    key = make_key(team, scope=scope)[0]
    response = client.get(f"{TEMPLATES}/{template.id}/export",
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert response.get_json() == {"error": {
        "code": "forbidden",
        "message": f"This request needs an API key with the admin scope; this key's scope "
                   f"is {scope}",
        "details": {"required_scope": "admin"}}}


def test_another_teams_template_or_no_template_is_not_found(client, team, other_team,
                                                            admin_auth):
    theirs = import_template(other_team, SAMPLE)
    for template_id in (theirs.id, "nosuchtemplate000000"):
        response = client.get(f"{TEMPLATES}/{template_id}/export", headers=admin_auth)
        assert (response.status_code, response.get_json()) == (404, {"error": {
            "code": "not_found", "message": "Process template not found"}})


def test_export_takes_no_other_method(client, team, admin_auth):
    template = import_template(team, SAMPLE)
    response = client.post(f"{TEMPLATES}/{template.id}/export", json={}, headers=admin_auth)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


# --- the CLI ---------------------------------------------------------------------------

def test_export_template_writes_stdout_without_a_file(runner, team):
    template = import_template(team, SAMPLE)
    result = runner.invoke(args=["export-template", "--team", "acme", template.id])
    assert (result.exit_code, result.stdout) == (0, export_text(template))
    dash = runner.invoke(args=["export-template", "--team", "acme", template.id, "-"])
    assert dash.stdout == result.stdout


def test_export_template_writes_a_file_and_names_it_last(runner, tmp_path, team):
    template = import_template(team, SAMPLE)
    target = tmp_path / "onboarding.json"
    result = runner.invoke(args=["export-template", "--team", "acme", template.id,
                                 str(target)])
    assert (result.exit_code, result.stdout) == (
        0, f'Exported template "Employee onboarding" to {target}.\n{target}\n')
    assert target.read_bytes() == export_text(template).encode("utf-8")


def test_export_template_does_not_overwrite_a_file_unless_told(runner, tmp_path, team):
    template = import_template(team, SAMPLE)
    target = tmp_path / "taken.json"
    target.write_text("mine", encoding="utf-8")
    result = runner.invoke(args=["export-template", "--team", "acme", template.id,
                                 str(target)])
    assert (result.exit_code, result.stderr) == (1, f"Error: {target} already exists; choose "
                                                    f"a new name, or pass --replace to "
                                                    f"overwrite it.\n")
    assert target.read_text(encoding="utf-8") == "mine"
    replaced = runner.invoke(args=["export-template", "--team", "acme", template.id,
                                   str(target), "--replace"])
    assert replaced.exit_code == 0
    assert target.read_bytes() == export_text(template).encode("utf-8")


def test_export_template_refuses_a_missing_folder(runner, tmp_path, team):
    template = import_template(team, SAMPLE)
    target = tmp_path / "nowhere" / "t.json"
    result = runner.invoke(args=["export-template", "--team", "acme", template.id,
                                 str(target)])
    assert (result.exit_code, result.stderr) == (
        1, f"Error: The folder {target.parent} does not exist; create it first.\n")


def test_export_template_of_another_team_is_not_found(runner, team, other_team):
    theirs = import_template(other_team, SAMPLE)
    result = runner.invoke(args=["export-template", "--team", "acme", theirs.id])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f'Error: No template "{theirs.id}" in team "acme". Use the id '
                             f"that import-template printed, or GET /api/v1/process-templates "
                             f"to list them.\n")


def test_an_export_pipes_into_import_template(runner, team, other_team):
    template = import_template(team, SAMPLE)
    exported = runner.invoke(args=["export-template", "--team", "acme", template.id]).stdout
    imported = runner.invoke(args=["import-template", "--team", "elsewhere", "-"],
                             input=exported)
    assert imported.exit_code == 0, imported.output
    copy_id = imported.stdout.splitlines()[-1]
    again = runner.invoke(args=["export-template", "--team", "elsewhere", copy_id]).stdout
    assert again == exported
