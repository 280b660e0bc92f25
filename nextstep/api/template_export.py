"""GET /process-templates/:id/export: the working copy as a template file (contract §10),
not enveloped, as a download. A GET, so a `read` key's too (§9: a read key sees all of
a template and changes nothing)."""
from flask import current_app, g

from ..services.exporter import export_filename, export_text
from ..services.templates import get_template
from .operations import operation
from .responses import JSON_CONTENT_TYPE
from .routing import ApiBlueprint

template_export = ApiBlueprint("template_export", __name__)


@template_export.get("/process-templates/<template_id>/export")
@operation("Export a template", tag="Templates", raw_answer={"type": "object"},
           description="The working copy in the template file format (not enveloped), as "
           "a download: `Content-Disposition: attachment; filename=\"<slug>.json\"`.")
def export_template(template_id):
    template = get_template(g.nextstep_team, template_id)
    response = current_app.response_class(export_text(template).encode("utf-8"),
                                          content_type=JSON_CONTENT_TYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export_filename(template)}"')
    return response
