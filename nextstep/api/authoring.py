"""Template authoring (contract §10): thin views over services/authoring*.py.

Every write needs an `admin` key (§9), the reads (versions, one task) only `read`; the
answer of a write is rendered inside its transaction, so an answer that cannot be
produced leaves nothing written.
"""
from flask import g, request, url_for

from ..schemas.authoring import (
    SectionBodySchema,
    TaskBodySchema,
    TemplateCreateSchema,
    TemplatePatchSchema,
)
from ..schemas.queries import VersionListArgs
from ..schemas.template import (
    SectionSchema,
    TemplateSchema,
    TemplateTaskSchema,
    VersionSchema,
    VersionSummarySchema,
)
from ..services import authoring as service
from ..services.authoring_sections import create_section, delete_section, patch_section
from ..services.authoring_tasks import create_task, delete_task, get_template_task, patch_task
from .body import json_body
from .operations import operation
from .responses import listing, single
from .routing import ApiBlueprint
from .scopes import requires

authoring = ApiBlueprint("authoring", __name__)
template_schema = TemplateSchema()
section_schema = SectionSchema()
task_schema = TemplateTaskSchema()
version_schema = VersionSchema()
version_list_schema = VersionSummarySchema(many=True)
version_list_args = VersionListArgs()
# The bodies are loaded by the services; these describe them (OpenAPI).
create_body = TemplateCreateSchema()
patch_body = TemplatePatchSchema()
section_body = SectionBodySchema()
task_body = TaskBodySchema()
TEMPLATE = "/process-templates/<template_id>"


def no_content():
    return "", 204


def template_answer(status=200, headers=None):
    return lambda template: single(template_schema.dump(template), status, headers)


@authoring.post("/process-templates")
@operation("Create a template", tag="Authoring", body=create_body, answer=template_schema,
           status=201, headers=("Location",), description="A draft from the template file "
           "format of the import (its `tasks` may be empty or absent). Scope admin.")
@requires("admin")
def create_template():
    def answer(template):
        location = url_for("nextstep.templates.show_template", template_id=template.id)
        return template_answer(201, {"Location": location})(template)
    return service.create_template(g.nextstep_team, json_body(), answer)


@authoring.patch(TEMPLATE)
@operation("Change a template", tag="Authoring", body=patch_body, answer=template_schema,
           description="Any of title, description, cover_image, icon, icon_type, "
           "visibility, is_archived. Scope admin.")
@requires("admin")
def patch_template(template_id):
    return service.patch_template(g.nextstep_team, template_id, json_body(), template_answer())


@authoring.delete(TEMPLATE)
@operation("Delete a template", tag="Authoring", status=204,
           errors=("template_has_runs",), description="Refused once a run was ever "
           "started from it (archive it instead). Scope admin.")
@requires("admin")
def delete_template(template_id):
    service.delete_template(g.nextstep_team, template_id)
    return no_content()


@authoring.post(TEMPLATE + "/publish")
@operation("Publish a template", tag="Authoring", answer=template_schema,
           description="The working copy becomes the next version; with no unpublished "
           "changes no version is taken. Scope admin.")
@requires("admin")
def publish_template(template_id):
    return service.publish(g.nextstep_team, template_id, template_answer())


@authoring.post(TEMPLATE + "/unpublish")
@operation("Unpublish a template", tag="Authoring", answer=template_schema,
           description="New runs are refused; existing runs go on. Scope admin.")
@requires("admin")
def unpublish_template(template_id):
    return service.unpublish(g.nextstep_team, template_id, template_answer())


@authoring.get(TEMPLATE + "/versions")
@operation("List a template's versions", tag="Authoring", query=version_list_args,
           answer=version_list_schema, many=True, description="Newest first; the cursor "
           "is a version number.")
def list_versions(template_id):
    page = service.version_page(g.nextstep_team, template_id,
                                **version_list_args.load(request.args))
    return listing(version_list_schema.dump(page.items), page.pagination)


@authoring.get(TEMPLATE + "/versions/<version>")
@operation("Get a version", tag="Authoring", answer=version_schema,
           description="The snapshot that runs of that version started from.")
def show_version(template_id, version):
    row = service.get_version(g.nextstep_team, template_id, version)
    return single(version_schema.dump(service.version_body(row)))


@authoring.post(TEMPLATE + "/sections")
@operation("Add a section", tag="Authoring", body=section_body, answer=section_schema,
           status=201, description="Appended, or placed at `order`. Scope admin.")
@requires("admin")
def add_section(template_id):
    return create_section(g.nextstep_team, template_id, json_body(),
                          lambda section: single(section_schema.dump(section), 201))


@authoring.patch(TEMPLATE + "/sections/<section_id>")
@operation("Change a section", tag="Authoring", body=section_body,
           answer=section_schema, description="Scope admin.")
@requires("admin")
def change_section(template_id, section_id):
    return patch_section(g.nextstep_team, template_id, section_id, json_body(),
                         lambda section: single(section_schema.dump(section)))


@authoring.delete(TEMPLATE + "/sections/<section_id>")
@operation("Delete a section", tag="Authoring", status=204,
           errors=("section_not_empty",), description="Refused while tasks are in it. "
           "Scope admin.")
@requires("admin")
def remove_section(template_id, section_id):
    delete_section(g.nextstep_team, template_id, section_id)
    return no_content()


@authoring.post(TEMPLATE + "/tasks")
@operation("Add a task", tag="Authoring", body=task_body, answer=task_schema, status=201,
           headers=("Location",), description="A template task as in the import format, "
           "with ids for references; appended, or placed at `order`. Scope admin.")
@requires("admin")
def add_task(template_id):
    def answer(task):
        location = url_for(".show_template_task", template_id=template_id, task_id=task.id)
        return single(task_schema.dump(task), 201, {"Location": location})
    return create_task(g.nextstep_team, template_id, json_body(), answer)


@authoring.get(TEMPLATE + "/tasks/<task_id>")
@operation("Get a template task", tag="Authoring", answer=task_schema)
def show_template_task(template_id, task_id):
    """One task of the working copy (the path PATCH and DELETE already have)."""
    return single(task_schema.dump(get_template_task(g.nextstep_team, template_id, task_id)))


@authoring.patch(TEMPLATE + "/tasks/<task_id>")
@operation("Change a task", tag="Authoring", body=task_body, answer=task_schema,
           description="Any field of the POST; `custom_elements` replaces the whole "
           "list. Scope admin.")
@requires("admin")
def change_task(template_id, task_id):
    return patch_task(g.nextstep_team, template_id, task_id, json_body(),
                      lambda task: single(task_schema.dump(task)))


@authoring.delete(TEMPLATE + "/tasks/<task_id>")
@operation("Delete a task", tag="Authoring", status=204,
           errors=("task_has_dependents",), description="Refused while another task "
           "depends on it or counts a due date from it. Scope admin.")
@requires("admin")
def remove_task(template_id, task_id):
    delete_task(g.nextstep_team, template_id, task_id)
    return no_content()
