"""GET /process-templates, /process-templates/:id and /process-templates/:id/tasks."""
from flask import Blueprint, g, request

from ..errors import bad_request
from ..models import Template, TemplateTask
from ..schemas.template import TemplateSchema, TemplateTaskSchema
from ..services.templates import (
    attach_elements,
    attach_sections,
    get_template,
    template_task_or_none,
)
from .pagination import bad_cursor, by_position, newest_first, page, page_args
from .responses import listing, single

templates = Blueprint("templates", __name__)
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
    cursor_row = None
    if cursor is not None:
        cursor_row = Template.get_or_none((Template.id == cursor)
                                          & (Template.team == g.nextstep_team))
        if cursor_row is None:
            raise bad_cursor()
    rows, pagination = page(newest_first(query, Template, cursor_row, limit), limit)
    return listing(template_list_schema.dump(attach_sections(rows)), pagination)


@templates.get("/process-templates/<template_id>")
def show_template(template_id):
    template = get_template(g.nextstep_team, template_id)
    return single(template_schema.dump(attach_sections([template])[0]))


@templates.get("/process-templates/<template_id>/tasks")
def list_template_tasks(template_id):
    limit, cursor = page_args()
    template = get_template(g.nextstep_team, template_id)
    cursor_row = None
    if cursor is not None:
        cursor_row = template_task_or_none(template, cursor)
        if cursor_row is None:
            raise bad_cursor()
    query = TemplateTask.select().where(TemplateTask.template == template)
    rows, pagination = page(by_position(query, TemplateTask, cursor_row, limit), limit)
    return listing(task_list_schema.dump(attach_elements(rows)), pagination)
