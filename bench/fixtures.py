"""The benchmark's database: a team, its owner, a key, a published 50-task template and
120 runs of it.

Built with the real models and services (create_api_key, publish_template, start_run), so
the rows are exactly what NextStep itself would have written. Both servers get a copy of
the same file, so every id in it (the run read, the tasks patched) is the same on both.
"""
import os

from nextstep import create_app
from nextstep.db import create_tables
from nextstep.models import (
    CustomElement,
    Member,
    RunTask,
    Section,
    Team,
    Template,
    TemplateTask,
    database,
)
from nextstep.services.keys import create_api_key
from nextstep.services.publishing import publish_template
from nextstep.services.runs import start_run

TASK_COUNT = 50
SECTION_COUNT = 5
RUN_COUNT = 120  # GET /process-runs?limit=100 answers a full page, with has_more


def task_spec(position):
    """Task `position`: two custom elements, a relative due date, some dependencies."""
    spec = {
        "title": f"Step {position + 1}: check and record",
        "type": "approval" if position % 10 == 9 else "task",
        "is_essential": position % 7 != 3,
        "webhook_enabled": position % 5 == 0,
        "elements": [
            {"type": "shortText", "label": "Reference", "required": position % 4 == 0},
            {"type": "dropdown", "label": "Outcome", "options": ["ok", "needs work", "n/a"]}
            if position % 2 else {"type": "checkbox", "label": "Checked"},
        ],
        "depends_on": [position - 1] if position % 5 == 4 else [],
    }
    if position % 10 == 5:  # resolved only once the task it names completes
        spec["due_date"] = {"type": "relative", "from": f"task:{position - 1}",
                            "offset": "P1D", "business_days": False}
    else:
        spec["due_date"] = {"type": "relative", "from": "run_start",
                            "offset": f"P{position // 5 + 1}D",
                            "business_days": position % 2 == 0}
    return spec


def build_database(path, runs=RUN_COUNT):
    """Create the SQLite file at `path`; returns {"key", "template_id", "run_id" (the
    oldest run), "patch_targets": [(run id, task id, shortText element id), ...] over
    every task of every run}."""
    app = create_app({"NEXTSTEP_DATABASE_URL": f"sqlite:///{path}",
                      "NEXTSTEP_RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        create_tables()
        database.connect(reuse_if_open=True)
        try:
            team = Team.create(name="Bench", subdomain="bench", timezone="Europe/Berlin")
            owner = Member.create(team=team, email="owner@example.com", name="Owner",
                                  role="owner")
            _row, key = create_api_key(team, owner, "bench")
            template = make_template(team)
            publish_template(template)
            run_ids = [start_run(team, {"template_id": template.id}).id for _ in range(runs)]
            targets = [(task.run_id, task.id, task.custom_elements[0]["id"])
                       for task in RunTask.select().order_by(RunTask.position, RunTask.run)]
        finally:
            database.close()
    return {"key": key, "template_id": template.id, "run_id": run_ids[0],
            "patch_targets": targets}


def make_template(team):
    template = Template.create(team=team, title="Supplier onboarding",
                               description="Fifty steps, two fields each")
    sections = [Section.create(template=template, title=f"Phase {i + 1}", position=i,
                               color="#3366CC") for i in range(SECTION_COUNT)]
    specs = [task_spec(p) for p in range(TASK_COUNT)]
    per_section = TASK_COUNT // SECTION_COUNT
    rows = [TemplateTask.create(template=template, title=spec["title"], position=p,
                                type=spec["type"], is_essential=spec["is_essential"],
                                webhook_enabled=spec["webhook_enabled"],
                                section=sections[p // per_section])
            for p, spec in enumerate(specs)]
    for row, spec in zip(rows, specs, strict=True):
        rule = dict(spec["due_date"])
        if rule["from"].startswith("task:"):
            rule["from"] = "task:" + rows[int(rule["from"][5:])].id
        row.due_date = rule
        row.depends_on = [rows[i].id for i in spec["depends_on"]]
        row.save()
        for i, element in enumerate(spec["elements"]):
            CustomElement.create(task=row, position=i, type=element["type"],
                                 label=element["label"],
                                 required=element.get("required", False),
                                 options=element.get("options"))
    return template


if __name__ == "__main__":  # python -m bench.fixtures /tmp/x.sqlite3
    import sys
    os.environ.setdefault("NEXTSTEP_INSTANCE_PATH", os.path.dirname(sys.argv[1]) or ".")
    print(build_database(sys.argv[1]))
