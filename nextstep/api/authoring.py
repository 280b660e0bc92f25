"""Template authoring (contract §10): thin views over services/authoring*.py.

Every view needs an `admin` key (§9); the answer of a write is rendered inside its
transaction, so an answer that cannot be produced leaves nothing written.
"""
from flask import g, request, url_for

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
TEMPLATE = "/process-templates/<template_id>"


def no_content():
    return "", 204


def template_answer(status=200, headers=None):
    return lambda template: single(template_schema.dump(template), status, headers)


@authoring.post("/process-templates")
@requires("admin")
def create_template():
    def answer(template):
        location = url_for("nextstep.templates.show_template", template_id=template.id)
        return template_answer(201, {"Location": location})(template)
    return service.create_template(g.nextstep_team, json_body(), answer)


@authoring.patch(TEMPLATE)
@requires("admin")
def patch_template(template_id):
    return service.patch_template(g.nextstep_team, template_id, json_body(), template_answer())


@authoring.delete(TEMPLATE)
@requires("admin")
def delete_template(template_id):
    service.delete_template(g.nextstep_team, template_id)
    return no_content()


@authoring.post(TEMPLATE + "/publish")
@requires("admin")
def publish_template(template_id):
    return service.publish(g.nextstep_team, template_id, template_answer())


@authoring.post(TEMPLATE + "/unpublish")
@requires("admin")
def unpublish_template(template_id):
    return service.unpublish(g.nextstep_team, template_id, template_answer())


@authoring.get(TEMPLATE + "/versions")
def list_versions(template_id):
    page = service.version_page(g.nextstep_team, template_id,
                                **version_list_args.load(request.args))
    return listing(version_list_schema.dump(page.items), page.pagination)


@authoring.get(TEMPLATE + "/versions/<version>")
def show_version(template_id, version):
    row = service.get_version(g.nextstep_team, template_id, version)
    return single(version_schema.dump(service.version_body(row)))


@authoring.post(TEMPLATE + "/sections")
@requires("admin")
def add_section(template_id):
    return create_section(g.nextstep_team, template_id, json_body(),
                          lambda section: single(section_schema.dump(section), 201))


@authoring.patch(TEMPLATE + "/sections/<section_id>")
@requires("admin")
def change_section(template_id, section_id):
    return patch_section(g.nextstep_team, template_id, section_id, json_body(),
                         lambda section: single(section_schema.dump(section)))


@authoring.delete(TEMPLATE + "/sections/<section_id>")
@requires("admin")
def remove_section(template_id, section_id):
    delete_section(g.nextstep_team, template_id, section_id)
    return no_content()


@authoring.post(TEMPLATE + "/tasks")
@requires("admin")
def add_task(template_id):
    def answer(task):
        location = url_for(".show_template_task", template_id=template_id, task_id=task.id)
        return single(task_schema.dump(task), 201, {"Location": location})
    return create_task(g.nextstep_team, template_id, json_body(), answer)


@authoring.get(TEMPLATE + "/tasks/<task_id>")
def show_template_task(template_id, task_id):
    """One task of the working copy (the path PATCH and DELETE already have)."""
    return single(task_schema.dump(get_template_task(g.nextstep_team, template_id, task_id)))


@authoring.patch(TEMPLATE + "/tasks/<task_id>")
@requires("admin")
def change_task(template_id, task_id):
    return patch_task(g.nextstep_team, template_id, task_id, json_body(),
                      lambda task: single(task_schema.dump(task)))


@authoring.delete(TEMPLATE + "/tasks/<task_id>")
@requires("admin")
def remove_task(template_id, task_id):
    delete_task(g.nextstep_team, template_id, task_id)
    return no_content()
