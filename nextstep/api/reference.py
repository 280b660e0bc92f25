"""GET /openapi.json and GET /docs: the API described, without a key or a rate limit.

The document is built once per app (api/openapi.py) and served as it is, not enveloped:
it is what OpenAPI tools read. The reference page is HTML rendered here, on the server,
from that same document (api/reference_page.py): no script, stylesheet or font from
anywhere, so it reads the same with no internet.
"""
import orjson
from flask import current_app

from .openapi import build_document
from .operations import operation
from .reference_page import render_reference
from .routing import ApiBlueprint

reference = ApiBlueprint("reference", __name__)
DOCUMENT_SCHEMA = {"type": "object", "description": "An OpenAPI 3.1 document."}


def document():
    state = current_app.extensions["nextstep"]
    if state.openapi is None:
        state.openapi = build_document(current_app)
    return state.openapi


@reference.get("/openapi.json")
@operation("This document", tag="Server", public=True, raw_answer=DOCUMENT_SCHEMA,
           description="The OpenAPI 3.1 document of every endpoint, generated from the "
                       "schemas that validate requests and shape answers.")
def openapi_document():
    return current_app.response_class(orjson.dumps(document(), option=orjson.OPT_INDENT_2),
                                      content_type="application/json; charset=utf-8")


@reference.get("/docs")
@operation("The reference page", tag="Server", public=True, content_type="text/html",
           raw_answer={"type": "string"},
           description="This document as a readable HTML page that works offline.")
def reference_page():
    return current_app.response_class(render_reference(document()),
                                      content_type="text/html; charset=utf-8")
