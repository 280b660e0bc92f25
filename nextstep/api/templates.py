"""GET /process-templates, /process-templates/:id and /process-templates/:id/tasks."""
from flask import g, request

from ..errors import bad_request
from ..models import Template, TemplateTask
from ..schemas.template import TemplateSchema, TemplateTaskSchema
from ..services.templates import (
    attach_elements,
    attach_sections,
    get_template,
    template_or_none,
    template_task_or_none,
)
from .authoring import archived_filter
from .pagination import by_position, cursor_row, newest_first, page, page_args
from .responses import listing, single
from .routing import ApiBlueprint

templates = ApiBlueprint("templates", __name__)
template_schema = TemplateSchema()
template_list_schema = TemplateSchema(many=True)
task_list_schema = TemplateTaskSchema(many=True)

BOOLEANS = {"true": True, "false": False}


@templates.get("/process-templates")
def list_templates():
    limit, cursor = page_args()
    query = Template.select().where(Template.team == g.nextstep_team)
    published = request.args.get("is_published")
    if published is not None:
        if published not in BOOLEANS:
            raise bad_request("is_published must be true or false",
                              {"is_published": ["Must be true or false."]})
        query = query.where(Template.is_published == BOOLEANS[published])
    query = query.where(archived_filter(request.args.get("archived")))
    after = cursor_row(cursor, lambda id_: template_or_none(g.nextstep_team, id_))
    rows, pagination = page(newest_first(query, Template, after, limit), limit)
    return listing(template_list_schema.dump(attach_sections(rows)), pagination)


@templates.get("/process-templates/<template_id>")
def show_template(template_id):
    template = get_template(g.nextstep_team, template_id)
    return single(template_schema.dump(attach_sections([template])[0]))


@templates.get("/process-templates/<template_id>/tasks")
def list_template_tasks(template_id):
    limit, cursor = page_args()
    template = get_template(g.nextstep_team, template_id)
    after = cursor_row(cursor, lambda id_: template_task_or_none(template, id_))
    query = TemplateTask.select().where(TemplateTask.template == template)
    rows, pagination = page(by_position(query, TemplateTask, after, limit), limit)
    return listing(task_list_schema.dump(attach_elements(rows)), pagination)
