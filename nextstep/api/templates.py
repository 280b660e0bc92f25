"""GET /process-templates, /process-templates/:id and /process-templates/:id/tasks."""
from flask import g, request

from ..models import Template, TemplateTask
from ..schemas.queries import TemplateListArgs, TemplateTaskListArgs
from ..schemas.template import TemplateSchema, TemplateTaskSchema
from ..services.templates import (
    attach_elements,
    attach_sections,
    get_template,
    template_or_none,
    template_task_or_none,
)
from .operations import operation
from .pagination import by_position, cursor_row, newest_first, page
from .responses import listing, single
from .routing import ApiBlueprint

templates = ApiBlueprint("templates", __name__)
template_schema = TemplateSchema()
template_list_schema = TemplateSchema(many=True)
task_list_schema = TemplateTaskSchema(many=True)
list_args = TemplateListArgs()
task_list_args = TemplateTaskListArgs()


@templates.get("/process-templates")
@operation("List templates", tag="Templates", query=list_args, answer=template_list_schema,
           many=True, description="Newest first, drafts included.")
def list_templates():
    args = list_args.load(request.args)
    limit, cursor = args["limit"], args["cursor"]
    query = Template.select().where(Template.team == g.nextstep_team)
    if args["is_published"] is not None:
        query = query.where(Template.is_published == args["is_published"])
    after = cursor_row(cursor, lambda id_: template_or_none(g.nextstep_team, id_))
    rows, pagination = page(newest_first(query, Template, after, limit), limit)
    return listing(template_list_schema.dump(attach_sections(rows)), pagination)


@templates.get("/process-templates/<template_id>")
@operation("Get a template", tag="Templates", answer=template_schema)
def show_template(template_id):
    template = get_template(g.nextstep_team, template_id)
    return single(template_schema.dump(attach_sections([template])[0]))


@templates.get("/process-templates/<template_id>/tasks")
@operation("List a template's tasks", tag="Templates", query=task_list_args,
           answer=task_list_schema, many=True, description="By position (`order`).")
def list_template_tasks(template_id):
    args = task_list_args.load(request.args)
    limit, cursor = args["limit"], args["cursor"]
    template = get_template(g.nextstep_team, template_id)
    after = cursor_row(cursor, lambda id_: template_task_or_none(template, id_))
    query = TemplateTask.select().where(TemplateTask.template == template)
    rows, pagination = page(by_position(query, TemplateTask, after, limit), limit)
    return listing(task_list_schema.dump(attach_elements(rows)), pagination)
