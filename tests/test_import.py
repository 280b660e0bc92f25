"""Template import (docs/import-format.md) and the import/publish commands."""
import json
import re

import pytest

from nextstep.models import CustomElement, Section, Template, TemplateTask, TemplateVersion
from nextstep.models.template import ELEMENT_TYPES
from nextstep.schemas.importer import DURATION_HELP
from nextstep.services import importer
from nextstep.services.importer import import_template
from nextstep.services.publishing import published_snapshot

NOTHING_WRITTEN = ("Nothing was written. Fix the file (see docs/import-format.md) and run the "
                   "command again.")
MONTHS = ("Months and years are not supported (their length varies); use weeks or days, "
          "such as P30D.")


def task(**fields):
    return {"title": "T", **fields}


def template(*tasks, **fields):
    return {"title": "Onboarding", "tasks": list(tasks) or [task()], **fields}


def due(**rule):
    """A template whose one task (key "a") has this due-date rule."""
    return template(task(key="a", due_date=rule))


def relative(offset="P1D", origin="run_start", **fields):
    return due(type="relative", offset=offset, **{"from": origin}, **fields)


def element(kind, **fields):
    """A template whose one task has one element of this type."""
    return template(task(custom_elements=[{"type": kind, "label": "L", **fields}]))


def counts():
    return [model.select().count() for model in (Template, Section, TemplateTask,
                                                 CustomElement, TemplateVersion)]


def run_import(runner, tmp_path, data, *options):
    """Write `data` (bytes, text, or JSON data) to a file and import it into team acme."""
    path = tmp_path / "template.json"
    if not isinstance(data, bytes):
        data = (data if isinstance(data, str) else json.dumps(data)).encode()
    path.write_bytes(data)
    return runner.invoke(args=["import-template", "--team", "acme", str(path), *options])


E, D = "tasks.0.custom_elements.0.", "tasks.0.due_date."  # paths of elements and due dates
BAD_FILES = [
    ('{"title": "Caf\u00e9"}'.encode("latin-1"), "(top level): Not UTF-8 text."),
    ("{", "(top level): Not valid JSON: Expecting property name enclosed in double quotes at "
          "line 1, column 2."),
    ('{"title": "a", "title": "b"}', '(top level): Field "title" appears twice in one object.'),
    ([], "(top level): Must be a JSON object, not an array."),
    ({"tasks": [task()]}, "title: Missing data for required field."),
    (template(title=" "), "title: Must not be empty."),
    (template(colour="red"), "colour: Unknown field."),
    (template(tasks=[]), "tasks: Must contain at least one task."),
    (template(task(assignee_email="a@example.com")), "tasks.0.assignee_email: Unknown field."),
    (template(task(type="review")), "tasks.0.type: Must be one of: task, approval."),
    (template(task(is_essential="false")), "tasks.0.is_essential: Not a valid boolean."),
    (element("slider"), f"{E}type: Must be one of: {', '.join(ELEMENT_TYPES)}."),
    (template(task(section="nope")), 'tasks.0.section: Unknown section key "nope".'),
    (template(task(key="a"), task(depends_on=["x"])), 'tasks.1.depends_on.0: Unknown task key '
                                                      '"x".'),
    (template(task(key="a"), task(key="a")), 'tasks.1.key: Duplicate task key "a".'),
    (template(sections=[{"key": "s", "title": "S"}] * 2),
     'sections.1.key: Duplicate section key "s".'),
    (template(task(custom_elements=[{"key": "e", "type": "number", "label": "L"}] * 2)),
     'tasks.0.custom_elements.1.key: Duplicate element key "e".'),
    (template(task(key="a", depends_on=["a"])),
     "tasks.0.depends_on.0: A task cannot depend on itself."),
    (template(task(key="a"), task(key="b", depends_on=["a", "a"])),
     'tasks.1.depends_on.1: Task key "a" appears twice.'),
    (template(task(key="a", depends_on=["b"]), task(key="b", depends_on=["c"]),
              task(key="c", depends_on=["a"])),
     "tasks.0.depends_on: Dependency cycle: a -> b -> c -> a."),
    (element("shortText", options=["a"]), f"{E}options: shortText elements take no options."),
    (element("dropdown"), f"{E}options: dropdown needs a non-empty list of options."),
    (element("multiSelect", options=[]),
     f"{E}options: multiSelect needs a non-empty list of options."),
    (element("dropdown", options=["a", "a"]), f'{E}options: Option "a" appears twice.'),
    (element("dropdown", options=["a", " "]), f"{E}options: Option 1 must not be empty."),
    (element("heading", required=True),
     f"{E}required: heading elements are display-only and cannot be required."),
    (template(sections=[{"title": "S", "color": "#FFF"}]),
     "sections.0.color: Must be a color like #1A2B3C."),
    (due(type="soon"), f"{D}type: Must be one of: fixed, relative."),
    (due(type="fixed"), f"{D}at: Missing data for required field."),
    (due(type="fixed", at="next monday"),
     f"{D}at: Not a valid ISO 8601 timestamp, such as 2026-04-01T09:00:00Z."),
    (due(type="fixed", at="2026-04-01", offset="P1D"), f"{D}offset: Not allowed in a fixed rule."),
    (due(type="relative", offset="P1D"), f"{D}from: Missing data for required field."),
    (due(type="relative", **{"from": "run_start"}), f"{D}offset: Missing data for required field."),
    (relative(at="2026-04-01"), f"{D}at: Not allowed in a relative rule."),
    (relative(origin="yesterday"), f'{D}from: Must be "run_start" or "task:<task key>".'),
    (relative(origin="task:zzz"), f'{D}from: Unknown task key "zzz".'),
    (relative(origin="task:a"), f"{D}from: A due date cannot be relative to its own task."),
    (relative("P1M"), f"{D}offset: {MONTHS}"),
    (relative("P1Y2D"), f"{D}offset: {MONTHS}"),
    (relative("3 days"), f"{D}offset: {DURATION_HELP}"),
    (relative("P1.5D"), f"{D}offset: {DURATION_HELP}"),
    (relative("P1DT"), f"{D}offset: {DURATION_HELP}"),
    (relative(business_days="yes"), f"{D}business_days: Not a valid boolean."),
    (template(task(assignee="ghost@example.com")),
     'tasks.0.assignee: "ghost@example.com" is not an active member of this team.'),
    (template(task(assignee="gone@example.com")),
     'tasks.0.assignee: "gone@example.com" is not an active member of this team.'),
]


@pytest.mark.parametrize("data, message", BAD_FILES)
def test_a_bad_file_names_its_fault_and_writes_nothing(runner, tmp_path, team, make_member,
                                                       data, message):
    make_member(team, email="gone@example.com", is_active=False)
    result = run_import(runner, tmp_path, data)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [f"Import failed: {message}", NOTHING_WRITTEN]
    assert counts() == [0, 0, 0, 0, 0]


def test_every_fault_is_reported_in_file_order(runner, tmp_path, team):
    data = template(task(key="a", depends_on=["b"], assignee="x@example.com"),
                    task(key="b", depends_on=["a"], section="s"))
    result = run_import(runner, tmp_path, data)
    assert result.stderr.splitlines() == [
        'Import failed: tasks.0.assignee: "x@example.com" is not an active member of this team.',
        "Import failed: tasks.0.depends_on: Dependency cycle: a -> b -> a.",
        'Import failed: tasks.1.section: Unknown section key "s".', NOTHING_WRITTEN]


def test_a_missing_file_is_a_usage_error(runner, tmp_path, team):
    result = runner.invoke(args=["import-template", "--team", "acme", str(tmp_path / "no")])
    assert result.exit_code == 2 and "No such file or directory" in result.stderr


GOOD = {
    "title": "Onboarding", "description": "New hires", "icon": "rocket", "icon_type": "emoji",
    "sections": [{"key": "before", "title": "Before", "color": "#1a2b3c"},
                 {"title": "After", "description": "Later"}],
    "tasks": [
        {"key": "a", "title": "Collect details", "section": "before",
         "due_date": {"type": "relative", "from": "run_start", "offset": "p1w"},
         "custom_elements": [
             {"key": "name", "type": "shortText", "label": "Name", "required": True},
             {"type": "dropdown", "label": "Team", "options": ["Sales", "Ops"]}]},
        {"key": "b", "title": "Approve", "type": "approval", "depends_on": ["a"],
         "assignee": "Ann@Example.com", "webhook_enabled": True,
         "due_date": {"type": "relative", "from": "task:a", "offset": "P2D",
                      "business_days": True}},
        {"title": "Lunch", "is_essential": False, "depends_on": ["a", "b"],
         "due_date": {"type": "fixed", "at": "2026-04-01T09:00:00+02:00"}},
    ],
}


def test_a_good_file_makes_the_rows_in_order_with_ids_for_keys(runner, client, tmp_path, team,
                                                               make_member, make_key):
    ann = make_member(team, email="ann@example.com", role="admin")
    result = run_import(runner, tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    tpl = Template.get()
    assert result.stdout == f'Imported template "Onboarding": draft saved.\n{tpl.id}\n'
    assert (tpl.team_id, tpl.description, tpl.icon, tpl.icon_type, tpl.cover_image) == (
        team.id, "New hires", "rocket", "emoji", None)
    assert (tpl.version, tpl.is_published, tpl.visibility) == (0, False, "private")
    before, after = Section.select().order_by(Section.position)
    assert [(s.title, s.position, s.color, s.description) for s in (before, after)] == [
        ("Before", 0, "#1a2b3c", None), ("After", 1, None, "Later")]
    a, b, c = TemplateTask.select().order_by(TemplateTask.position)
    assert all(re.fullmatch(r"[A-Za-z0-9]{20}", row.id) for row in (tpl, before, a, b, c))
    assert [(t.title, t.position, t.type, t.is_essential, t.webhook_enabled) for t in (a, b, c)] \
        == [("Collect details", 0, "task", True, False), ("Approve", 1, "approval", True, True),
            ("Lunch", 2, "task", False, False)]
    assert (a.section_id, b.section_id, b.assignee_id, a.assignee_id) == (
        before.id, None, ann.id, None)
    assert (a.depends_on, b.depends_on, c.depends_on) == ([], [a.id], [a.id, b.id])
    assert a.due_date == {"type": "relative", "from": "run_start", "offset": "P1W",
                          "business_days": False}
    assert b.due_date == {"type": "relative", "from": "task:" + a.id, "offset": "P2D",
                          "business_days": True}
    assert c.due_date == {"type": "fixed", "at": "2026-04-01T07:00:00.000Z"}
    elements = list(CustomElement.select().order_by(CustomElement.position))
    assert [(e.task_id, e.position, e.type, e.label, e.required, e.options) for e in elements] \
        == [(a.id, 0, "shortText", "Name", True, None),
            (a.id, 1, "dropdown", "Team", False, ["Sales", "Ops"])]
    key, _row = make_key(team)
    listed = client.get(f"/api/v1/process-templates/{tpl.id}/tasks",
                        headers={"Authorization": "Bearer " + key}).json["data"]
    assert [task["id"] for task in listed] == [a.id, b.id, c.id]


def test_template_replaces_the_draft_in_place_and_keeps_published_snapshots(runner, tmp_path,
                                                                           team):
    first = run_import(runner, tmp_path, template(task(title="Old")), "--publish")
    tpl_id = first.stdout.splitlines()[-1]
    old_task = TemplateTask.get()
    replaced = run_import(runner, tmp_path, template(task(title="New"), task(title="Newer"),
                                                     title="Renamed"), "--template", tpl_id)
    assert replaced.exit_code == 0, replaced.output
    assert replaced.stdout.splitlines() == [
        'Replaced the content of template "Renamed": draft saved.',
        f"New runs start from version 1 until you run `nextstep publish-template --team acme "
        f"{tpl_id}`.", tpl_id]
    tpl = Template.get()
    assert (tpl.id, tpl.title, tpl.version, tpl.is_published) == (tpl_id, "Renamed", 1, True)
    titles = [t.title for t in TemplateTask.select().order_by(TemplateTask.position)]
    assert titles == ["New", "Newer"]
    assert TemplateTask.get_or_none(TemplateTask.id == old_task.id) is None
    assert [t.title for t in published_snapshot(tpl).tasks] == ["Old"]
    published = runner.invoke(args=["publish-template", "--team", "acme", tpl_id])
    assert published.stdout == (f'Published template "Renamed" as version 2; new runs start '
                                f"from it.\n{tpl_id}\n")
    assert [t.title for t in published_snapshot(Template.get()).tasks] == ["New", "Newer"]


def test_template_with_a_bad_file_leaves_the_old_content(runner, tmp_path, team):
    tpl_id = run_import(runner, tmp_path, template(task(title="Old"))).stdout.split()[-1]
    result = run_import(runner, tmp_path, template(task(type="x")), "--template", tpl_id)
    assert result.exit_code == 1
    assert [t.title for t in TemplateTask.select()] == ["Old"]


def test_a_template_of_another_team_is_not_found(runner, tmp_path, team, make_team,
                                                 make_template):
    other = make_template(make_team(subdomain="other"), publish=False)
    message = (f'Error: No template "{other.id}" in team "acme". Use the id that import-template '
               f"printed, or GET /api/v1/process-templates to list them.\n")
    for result in (run_import(runner, tmp_path, template(), "--template", other.id),
                   runner.invoke(args=["publish-template", "--team", "acme", other.id])):
        assert (result.exit_code, result.stderr) == (1, message)
    assert Template.get_by_id(other.id).version == 0


def test_a_failure_after_writing_rolls_the_whole_import_back(team, monkeypatch):
    def broken(template):
        raise RuntimeError("disk full")
    monkeypatch.setattr(importer, "publish_template", broken)
    with pytest.raises(RuntimeError):
        import_template(team, GOOD | {"tasks": GOOD["tasks"][:1]}, publish=True)
    assert counts() == [0, 0, 0, 0, 0]
