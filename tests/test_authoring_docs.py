"""docs/authoring.md's walk-through, run as a reader pastes it against the real
`nextstep serve`: every request answers the status the step expects, and the template it
builds holds exactly the sample file's content. Only the key and the port are changed."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from authoring_helpers import SAMPLE, admin_key
from test_readme import clean_env, curl_recorder, substituted

from nextstep.models import Run, Template, TemplateTask
from nextstep.services.importer import import_template

DOC = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"
STATUSES = [201, 200,  # 1. create, read its tasks
            201, 200,  # 2. add a section, move the check-in into it
            201, 200,  # 3. insert the laptop order, the welcome meeting waits for it
            200,       # 4. reorder
            200, 201,  # 5. publish v1, 6. start a run
            200, 200,  # 7. edit, 8. publish v2
            200, 200,  # 9. version 1, the versions
            200, 200]  # 10. unpublish, 11. archive


def walk_through():
    text = DOC.read_text(encoding="utf-8")
    start = text.index("\n## A walk-through with curl\n")
    return "\n".join(re.findall(r"```sh\n(.*?)```", text[start:], re.S))


def content(template):
    """What a template holds, with rows named by title instead of id."""
    tasks = list(TemplateTask.select().where(TemplateTask.template == template)
                 .order_by(TemplateTask.position))
    titles = {task.id: task.title for task in tasks}
    sections = {s.id: s.title for s in template.sections}

    def rule(due):
        if due and due.get("from", "").startswith("task:"):
            return dict(due, **{"from": "task:" + titles[due["from"][5:]]})
        return due
    return {
        "template": [getattr(template, name) for name in
                     ("title", "description", "cover_image", "icon", "icon_type")],
        "sections": [(s.title, s.description, s.color, s.position)
                     for s in template.sections.order_by(Template.sections.rel_model.position)],
        "tasks": [(t.position, t.title, t.description, sections.get(t.section_id), t.type,
                   t.is_essential, t.webhook_enabled, t.assignee_id, rule(t.due_date),
                   [titles[d] for d in t.depends_on],
                   [(e.type, e.label, e.required, e.options)
                    for e in t.custom_elements.order_by(
                        TemplateTask.custom_elements.rel_model.position)])
                  for t in tasks]}


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None,
                    reason="the walk-through needs curl and jq (make test installs jq)")
def test_the_walk_through_builds_the_sample_as_pasted(tmp_path, database_url, team,
                                                      make_member, make_team, serve_process):
    key = admin_key(team, make_member(team, role="admin"))
    server = serve_process()
    block = substituted(walk_through(), {
        "KEY=nxs_live_...": f"KEY={key}",
        "API=http://127.0.0.1:8080/api/v1": f"API=http://127.0.0.1:{server.port}/api/v1"})
    bin_dir, log = curl_recorder(tmp_path)
    env = clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = [int((log / name).read_bytes().decode().split("\r\n")[0].split()[1])
                for name in sorted(os.listdir(log))]
    assert statuses == STATUSES
    assert len(STATUSES) == block.count("curl -sS")

    template = Template.get(Template.team == team)
    assert (template.version, template.is_published, template.has_unpublished_changes,
            template.archived_at is not None) == (2, False, False, True)
    run = Run.get()
    assert (run.title, run.template_version) == ("Onboarding: Sam", 1)
    reference = import_template(make_team(), SAMPLE)
    assert content(template) == content(reference)
