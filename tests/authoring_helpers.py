"""Shared by the authoring tests: the one place that makes the keys they author with,
and small readers of what a request left in the database."""
import json
from pathlib import Path

from nextstep.models import CustomElement, Section, Template, TemplateTask, TemplateVersion
from nextstep.services.keys import create_api_key

BASE = "/api/v1/process-templates"
SAMPLE = json.loads((Path(__file__).resolve().parents[1] / "nextstep" / "examples"
                     / "onboarding.json").read_text(encoding="utf-8"))


def admin_key(team, member):
    """An `admin` key of `member`: the scope template authoring needs."""
    return create_api_key(team, member, "admin key", scope="admin")[1]


def template_state(template_id):
    """Every stored row of one template's working copy and versions, in a stable order."""
    def rows(query, *order):
        return [row for row in query.order_by(*order).dicts()]
    task_ids = [t.id for t in TemplateTask.select(TemplateTask.id)
                .where(TemplateTask.template == template_id)]
    return {
        "template": rows(Template.select().where(Template.id == template_id), Template.id),
        "sections": rows(Section.select().where(Section.template == template_id), Section.id),
        "tasks": rows(TemplateTask.select().where(TemplateTask.template == template_id),
                      TemplateTask.id),
        "elements": rows(CustomElement.select().where(CustomElement.task.in_(task_ids)),
                         CustomElement.id),
        "versions": rows(TemplateVersion.select().where(TemplateVersion.template == template_id),
                         TemplateVersion.version),
    }


def positions(model, template_id):
    return [row.position for row in model.select(model.position)
            .where(model.template == template_id).order_by(model.position)]
