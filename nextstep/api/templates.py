"""GET /process-templates, /process-templates/:id and /process-templates/:id/tasks."""
from flask import g, request

from ..schemas.queries import TemplateListArgs, TemplateTaskListArgs
from ..schemas.template import TemplateSchema, TemplateTaskSchema, template_task_shape
from ..services.templates import template_tasks_page, template_with_sections, templates_page
from .operations import operation
from .responses import listing, single
from .routing import ApiBlueprint

templates = ApiBlueprint("templates", __name__)
list_args = TemplateListArgs()
task_list_args = TemplateTaskListArgs()
template_schema = TemplateSchema()
template_list_schema = TemplateSchema(many=True)
task_list_schema = TemplateTaskSchema(many=True)  # describes template_task_shape (OpenAPI)


@templates.get("/process-templates")
@operation("List templates", tag="Templates", query=list_args, answer=template_list_schema,
           many=True, description="Newest first, drafts included.")
def list_templates():
    page = templates_page(g.nextstep_team, **list_args.load(request.args))
    return listing(template_list_schema.dump(page.items), page.pagination)


@templates.get("/process-templates/<template_id>")
@operation("Get a template", tag="Templates", answer=template_schema)
def show_template(template_id):
    return single(template_schema.dump(template_with_sections(g.nextstep_team, template_id)))


@templates.get("/process-templates/<template_id>/tasks")
@operation("List a template's tasks", tag="Templates", query=task_list_args,
           answer=task_list_schema, many=True, description="By position (`order`).")
def list_template_tasks(template_id):
    args = task_list_args.load(request.args)
    page = template_tasks_page(g.nextstep_team, template_id, **args)
    return listing([template_task_shape(t) for t in page.items], page.pagination)
