"""The OpenAPI 3.1 document of our blueprint, generated with apispec and its marshmallow
plugin from the schemas the views use (declared with api/operations.py), never written
by hand: every route, its parameters, body, answers with their envelopes, error codes,
the bearer scheme and the rate-limit, request-id, idempotency and ETag headers.
"""
from importlib.metadata import PackageNotFoundError, version

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from ..schemas.common import ErrorSchema, OutputSchema, PaginationSchema
from .routing import CATCH_ALL_ENDPOINT

IGNORED_METHODS = {"HEAD", "OPTIONS"}
WRITE_METHODS = {"POST", "PATCH"}

# code: (status, when). The one table of error codes the document (and the reference
# page) shows; every code an endpoint can give is here.
ERROR_CODES = {
    "bad_request": (400, "Body not JSON, not an object or nested too deep; a bad query "
                         "argument; a malformed Idempotency-Key."),
    "unauthorized": (401, "Authorization header missing or malformed; key unknown or "
                          "revoked; key not of this subdomain's team."),
    "forbidden": (403, "The team's subscription is inactive, or the key lacks the scope."),
    "not_found": (404, "No such resource for this team."),
    "method_not_allowed": (405, "Known path, wrong method (see Allow)."),
    "idempotency_key_in_use": (409, "A request with this Idempotency-Key is still being "
                                    "processed; retry after Retry-After."),
    "template_not_published": (409, "Starting a run from an unpublished template."),
    "template_archived": (409, "Starting a run from an archived template."),
    "template_has_runs": (409, "Deleting a template a run was ever started from."),
    "section_not_empty": (409, "Deleting a section that still holds tasks."),
    "task_has_dependents": (409, "Deleting a task another task depends on or counts a due "
                                 "date from."),
    "webhook_limit_reached": (409, "Creating a 21st webhook for the team."),
    "webhook_disabled": (409, "Testing or redelivering on a disabled webhook."),
    "run_completed": (409, "Changing a task of a completed run."),
    "task_blocked": (409, "Completing a task whose prerequisites are not done."),
    "precondition_failed": (412, "If-Match names another version; nothing was written."),
    "payload_too_large": (413, "Body over the configured limit."),
    "unsupported_media_type": (415, "Body not sent as application/json."),
    "validation_error": (422, "Well-formed JSON that breaks the schema or a rule; "
                              "`details` names the fields."),
    "idempotency_key_reused": (422, "This Idempotency-Key was used with another request."),
    "rate_limited": (429, "Over the rate limit; retry after Retry-After."),
    "internal_error": (500, "A bug; the message names the request id."),
    "unavailable": (503, "The database is not answering or busy; nothing was written."),
}
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content",
               304: "Not modified: the ETag in If-None-Match is current; no body.",
               400: "Bad request", 401: "Unauthorized",
               403: "Forbidden", 404: "Not found", 409: "Conflict",
               412: "Precondition failed", 413: "Payload too large",
               415: "Unsupported media type", 422: "Unprocessable content",
               429: "Too many requests", 500: "Internal server error",
               503: "Service unavailable"}

HEADERS = {
    "X-Request-Id": ("The client's own X-Request-Id when it is 1-200 visible ASCII "
                     "characters, else a generated one.", {"type": "string"}),
    "X-RateLimit-Limit": ("Requests allowed per window for this key.", {"type": "integer"}),
    "X-RateLimit-Remaining": ("Requests left in the window.", {"type": "integer"}),
    "X-RateLimit-Reset": ("Unix time (seconds) when the window has room again.",
                          {"type": "integer"}),
    "Retry-After": ("Whole seconds to wait before retrying.", {"type": "integer"}),
    "Location": ("The URL of the created resource.", {"type": "string"}),
    "ETag": ("Strong ETag of the body, for If-None-Match and If-Match.", {"type": "string"}),
    "Idempotent-Replayed": ("`true` when this is the stored answer of an earlier request "
                            "with the same Idempotency-Key.", {"type": "string",
                                                               "enum": ["true"]}),
}
PARAMETERS = {
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "1-255 visible ASCII characters. A retry with the "
                       "same key and request within 24 hours gets the first answer again.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                                  "pattern": "^[!-~]+$"}},
    "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False,
                    "description": "ETags the client has; the current one answers 304.",
                    "schema": {"type": "string"}},
    "IfMatch": {"name": "If-Match", "in": "header", "required": False,
                "description": "The ETag the change is based on; another one is 412.",
                "schema": {"type": "string"}},
    # Any value is accepted: one that is not 1-200 visible ASCII characters is replaced.
    "RequestId": {"name": "X-Request-Id", "in": "header", "required": False,
                  "description": "Your own id for this request (1-200 visible ASCII "
                  "characters), echoed back and logged; any other value is replaced by a "
                  "generated id, never refused.", "schema": {"type": "string"}},
}
DESCRIPTION = """The NextStep REST API: process templates, process runs and run tasks.

Every request but `/health`, `/openapi.json` and `/docs` needs `Authorization: Bearer
nxs_live_...`. Answers are JSON envelopes: `{"data": ...}` for one resource,
`{"data": [...], "pagination": {"next_cursor", "has_more"}}` for a list (keyset pages:
pass `next_cursor` back as `cursor`; `limit` 1-100, default 20), and
`{"error": {"code", "message", "details"?}}` for every failure. Each key has a rate limit
(100 requests a minute by default) shown in the X-RateLimit-* headers; past it, 429 with
Retry-After. Every answer carries X-Request-Id. POST and PATCH take an Idempotency-Key;
single resources carry an ETag (If-None-Match, If-Match)."""


def package_version():
    try:
        return version("nextstep")
    except PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "0"


class UndocumentedRoute(Exception):
    """A route of our blueprint has no @operation: the document would lack it."""


# Schemas of the template file format (import, export, authoring bodies) share their
# names with the API's output schemas (Section, Task): their components get a prefix.
FILE_FORMAT_MODULES = {"nextstep.schemas.importer": "File", "nextstep.schemas.exporter": "Export"}


def component_name(schema):
    cls = schema if isinstance(schema, type) else type(schema)
    name = FILE_FORMAT_MODULES.get(cls.__module__, "") + cls.__name__
    for suffix in ("Schema", "Shape"):
        if name.endswith(suffix) and name != suffix:
            name = name[: -len(suffix)]
    return name


def marshmallow_schema(schema):
    """The marshmallow schema class behind `schema` (RunTaskSchema writes its .shape)."""
    shape = getattr(schema, "shape", None)
    if shape is not None:
        return shape
    return schema if isinstance(schema, type) else type(schema)


def own_rules(app, blueprint_name="nextstep"):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith(blueprint_name + ".")
                   and not rule.endpoint.endswith("." + CATCH_ALL_ENDPOINT)),
                  key=lambda rule: rule.rule)


def openapi_path(rule, prefix):
    path = rule.rule[len(prefix):] if prefix and rule.rule.startswith(prefix) else rule.rule
    for argument in rule.arguments:
        path = path.replace(f"<{argument}>", "{" + argument + "}")
    return path


def build_document(app):
    """The document as a dict. Raises UndocumentedRoute for a route without @operation."""
    prefix = app.extensions["nextstep"].url_prefix
    spec = APISpec(title="NextStep API", version=package_version(), openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin(schema_name_resolver=component_name)],
                   info={"description": DESCRIPTION},
                   servers=[{"url": prefix or "/", "description": "This server"}],
                   security=[{"bearerAuth": []}])
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "bearerFormat": "nxs_live_<32 hex>",
        "description": "An API key made with `nextstep create-api-key`."})
    for name, (description, schema) in HEADERS.items():
        spec.components.header(name, {"description": description, "schema": schema})
    for name, parameter in PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], parameter)
    spec.components.schema("Pagination", schema=PaginationSchema)
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("ErrorEnvelope", {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {"$ref": "#/components/schemas/Error"}}})
    outputs = {"Pagination", "Error"}
    tags = {}
    for rule in own_rules(app):
        view = app.view_functions[rule.endpoint]
        described = getattr(view, "nextstep_operation", None)
        if described is None:
            raise UndocumentedRoute(f"{rule.rule} ({rule.endpoint}) has no @operation")
        operations = {}
        for method in sorted(rule.methods - IGNORED_METHODS):
            operations[method.lower()] = _operation(spec, described, method, rule, outputs)
        if described.tag:
            tags.setdefault(described.tag, None)
        parameters = [{"name": argument, "in": "path", "required": True,
                       "schema": {"type": "string"}} for argument in sorted(rule.arguments)]
        spec.path(path=openapi_path(rule, prefix), operations=operations,
                  parameters=parameters)
    for tag in tags:
        spec.tag({"name": tag})
    document = spec.to_dict()
    _require_every_output_field(document, outputs)
    return document


def _operation(spec, described, method, rule, outputs):
    codes = _error_codes(described, method, rule)
    parameters = ["RequestId"]
    if described.query is not None:
        parameters.append({"in": "query", "schema": marshmallow_schema(described.query)})
    if method in WRITE_METHODS:
        parameters.append("IdempotencyKey")
    single_get = method == "GET" and described.answer is not None and not described.many
    if single_get:
        parameters.append("IfNoneMatch")
    if method == "PATCH" and described.if_match:
        parameters.append("IfMatch")
    operation = {"summary": described.summary, "operationId": rule.endpoint.split(".")[-1],
                 "parameters": parameters, "responses": {}}
    if described.description:
        operation["description"] = described.description
    if described.tag:
        operation["tags"] = [described.tag]
    if described.public:
        operation["security"] = []
    if described.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _ref(spec, described.body, outputs)}}}
    operation["responses"][str(described.status)] = _success(spec, described, method,
                                                             outputs)
    if single_get:
        operation["responses"]["304"] = {"description": STATUS_TEXT[304],
                                         "headers": _headers(described, ["ETag"])}
    by_status = {}
    for code in codes:
        by_status.setdefault(ERROR_CODES[code][0], []).append(code)
    for status, status_codes in sorted(by_status.items()):
        extra = ["Retry-After"] if status in (429, 503) or "idempotency_key_in_use" in \
            status_codes else []
        if status == 405:
            extra.append("Allow")
        operation["responses"][str(status)] = {
            "description": STATUS_TEXT.get(status, "Error") + ": " + "; ".join(
                f"`{code}`: {ERROR_CODES[code][1]}" for code in status_codes),
            "headers": _headers(described, extra),
            "content": {"application/json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/ErrorEnvelope"}],
                "properties": {"error": {"properties": {"code": {"enum": status_codes}}}}}}}}
    return operation


def _error_codes(described, method, rule):
    codes = list(described.errors)
    if not described.public:
        codes += ["unauthorized", "forbidden", "rate_limited"]
    if rule.arguments:
        codes.append("not_found")
    if described.query is not None:
        codes.append("bad_request")
    if method in WRITE_METHODS:
        codes += ["bad_request", "payload_too_large", "unsupported_media_type",
                  "validation_error", "idempotency_key_reused", "idempotency_key_in_use"]
    if method == "PATCH" and described.if_match:
        codes.append("precondition_failed")
    codes += ["internal_error", "unavailable"]
    return list(dict.fromkeys(codes))


def _success(spec, described, method, outputs):
    names = list(described.headers)
    if described.answer is not None and not described.many:
        names.append("ETag")
    if method in WRITE_METHODS:
        names.append("Idempotent-Replayed")
    answer = {"description": STATUS_TEXT.get(described.status, "OK"),
              "headers": _headers(described, names)}
    if described.raw_answer is not None:
        answer["content"] = {described.content_type: {"schema": described.raw_answer}}
        return answer
    if described.answer is None:
        return answer
    data = _ref(spec, described.answer, outputs)
    if described.many:
        envelope = {"type": "object", "required": ["data", "pagination"],
                    "additionalProperties": False,
                    "properties": {"data": {"type": "array", "items": data},
                                   "pagination": {"$ref": "#/components/schemas/Pagination"}}}
    else:
        envelope = {"type": "object", "required": ["data"], "additionalProperties": False,
                    "properties": {"data": data}}
    answer["content"] = {"application/json": {"schema": envelope}}
    return answer


def _headers(described, names):
    shown = [] if described.public else ["X-RateLimit-Limit", "X-RateLimit-Remaining",
                                         "X-RateLimit-Reset"]
    headers = {name: {"$ref": f"#/components/headers/{name}"}
               for name in ["X-Request-Id", *shown, *names] if name in HEADERS}
    if "Allow" in names:
        headers["Allow"] = {"description": "The methods of this path.",
                            "schema": {"type": "string"}}
    return headers


def _ref(spec, schema, outputs):
    """A $ref to `schema`'s component, registered on first use (its nested schemas with
    it, by the plugin); output schemas are noted, to mark every field required."""
    cls = marshmallow_schema(schema)
    name = component_name(cls)
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=cls)
    if issubclass(cls, OutputSchema):
        outputs.add(name)
    return {"$ref": f"#/components/schemas/{name}"}


def _require_every_output_field(document, outputs):
    """Every field of an answer is present (null rather than left out): say so, and
    generated clients get non-optional fields."""
    schemas = document["components"]["schemas"]
    nested = _nested_outputs(schemas, outputs)
    for name in nested:
        properties = schemas[name].get("properties", {})
        schemas[name]["required"] = [key for key in properties if key != "details"]


def _nested_outputs(schemas, outputs):
    """Output components and every component they refer to (nested schemas)."""
    seen, todo = set(), list(outputs)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo += [ref.rsplit("/", 1)[-1] for ref in _refs(schemas[name])]
    return seen


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)

