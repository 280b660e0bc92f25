"""GET /process-templates/:id/export: the working copy as a template file (contract §10),
not enveloped, as a download. Part of authoring, so an `admin` key's."""
from flask import current_app, g

from ..services.exporter import export_filename, export_text
from ..services.templates import get_template
from .responses import JSON_CONTENT_TYPE
from .routing import ApiBlueprint
from .scopes import requires

template_export = ApiBlueprint("template_export", __name__)


@template_export.get("/process-templates/<template_id>/export")
@requires("admin")
def export_template(template_id):
    template = get_template(g.nextstep_team, template_id)
    response = current_app.response_class(export_text(template).encode("utf-8"),
                                          content_type=JSON_CONTENT_TYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export_filename(template)}"')
    return response
