"""The reference page: the OpenAPI document rendered as HTML on the server.

No script, stylesheet, font or image from anywhere: the styles are inline and every link
points into the page, so it reads the same offline. Rendered with Flask's Jinja
(autoescaped); the words around the endpoints (envelopes, errors, pagination, limits,
the §12 headers) come from the same document and api/openapi.ERROR_CODES.
"""
import re

from flask import render_template_string
from markupsafe import Markup, escape

from .openapi import ERROR_CODES

METHOD_ORDER = ("get", "post", "patch", "put", "delete")
CODE = re.compile(r"`([^`]+)`")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ info.title }} {{ info.version }} reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;display:flex}
nav{width:17rem;flex:none;height:100vh;overflow:auto;position:sticky;top:0;
background:#f4f6f9;padding:1rem;box-sizing:border-box;font-size:13px}
nav a{display:block;color:#1d2430;text-decoration:none;padding:2px 0}
main{padding:1rem 2rem;max-width:60rem}
code{background:#eef1f5;padding:0 3px;border-radius:3px}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
td,th{border:1px solid #d5dae1;padding:4px 8px;text-align:left;vertical-align:top}
.method{font-weight:700;padding:1px 6px;border-radius:3px;color:#fff;background:#3a6ea5}
.post{background:#2f855a}.patch{background:#b7791f}.delete{background:#c53030}
section.op{border-top:1px solid #d5dae1;padding-top:.5rem;margin-top:1.5rem}
pre{background:#1d2430;color:#f4f6f9;padding:.6rem;overflow:auto;border-radius:4px}
</style></head><body>
<nav><strong>{{ info.title }}</strong> {{ info.version }}
<a href="#conventions">Conventions</a><a href="#errors">Errors</a>
{% for tag, ops in groups %}<p><strong>{{ tag }}</strong></p>
{% for op in ops %}<a href="#{{ op.anchor }}">{{ op.method|upper }} {{ op.path }}</a>{% endfor %}
{% endfor %}<p><strong>Schemas</strong></p>
{% for name in schemas %}<a href="#schema-{{ name }}">{{ name }}</a>{% endfor %}
</nav><main>
<h1>{{ info.title }} {{ info.version }}</h1>
{% for paragraph in description %}<p>{{ prose(paragraph) }}</p>{% endfor %}
<p>Base URL: <code>{{ base }}</code>. The machine-readable document:
<a href="openapi.json">openapi.json</a>.</p>
<h2 id="conventions">Conventions</h2>
<ul>
<li><strong>Authentication.</strong> <code>Authorization: Bearer nxs_live_...</code> on every
request but those marked <em>no key</em>.</li>
<li><strong>Envelopes.</strong> <code>{"data": {...}}</code> for one resource;
<code>{"data": [...], "pagination": {"next_cursor": "...", "has_more": true}}</code> for a
list; <code>{"error": {"code": "...", "message": "...", "details": {...}}}</code> for every
failure. Every field of a resource is present, <code>null</code> when empty.</li>
<li><strong>Pagination.</strong> <code>limit</code> 1-100 (default 20); pass
<code>next_cursor</code> back as <code>cursor</code> for the next page; filters combine
with the cursor.</li>
<li><strong>Rate limits.</strong> Per API key; every authenticated answer carries
<code>X-RateLimit-Limit</code>, <code>X-RateLimit-Remaining</code> and
<code>X-RateLimit-Reset</code>; past the limit, <code>429 rate_limited</code> with
<code>Retry-After</code>.</li>
<li><strong>Request ids.</strong> Every answer carries <code>X-Request-Id</code>: yours
(1-200 visible ASCII characters) or a generated one.</li>
<li><strong>Idempotency.</strong> POST and PATCH take <code>Idempotency-Key</code>
(1-255 visible ASCII characters): a retry with the same key and request within 24 hours
gets the first answer again with <code>Idempotent-Replayed: true</code>.</li>
<li><strong>ETags.</strong> Single resources carry an <code>ETag</code>;
<code>If-None-Match</code> answers <code>304</code>; <code>If-Match</code> on PATCH
answers <code>412 precondition_failed</code> when stale.</li>
</ul>
<h2 id="errors">Errors</h2>
<table><tr><th>status</th><th>code</th><th>when</th></tr>
{% for code, (status, when) in errors %}<tr><td>{{ status }}</td><td><code>{{ code }}</code>
</td><td>{{ prose(when) }}</td></tr>{% endfor %}</table>
{% for tag, ops in groups %}<h2>{{ tag }}</h2>
{% for op in ops %}<section class="op" id="{{ op.anchor }}">
<h3><span class="method {{ op.method }}">{{ op.method|upper }}</span>
<code>{{ op.path }}</code> {{ op.summary }}{% if op.public %} <em>(no key)</em>{% endif %}</h3>
{% if op.description %}<p>{{ prose(op.description) }}</p>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>type</th>
<th>required</th><th>meaning</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p.in }}</td>
<td>{{ p.type }}</td><td>{{ "yes" if p.required else "no" }}</td>
<td>{{ prose(p.description) }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.body %}<p>Body (JSON): {{ op.body }}</p>{% endif %}
<table><tr><th>status</th><th>answer</th><th>headers</th></tr>
{% for r in op.responses %}<tr><td>{{ r.status }}</td><td>{{ r.body }}
{{ prose(r.description) }}</td><td>{{ r.headers }}</td></tr>{% endfor %}</table>
<p>Example:</p><pre>{{ op.example }}</pre>
</section>{% endfor %}{% endfor %}
<h2>Schemas</h2>
{% for name, fields in schemas.items() %}<section id="schema-{{ name }}"><h3>{{ name }}</h3>
<table><tr><th>field</th><th>type</th><th>required</th><th>meaning</th></tr>
{% for f in fields %}<tr><td><code>{{ f.name }}</code></td><td>{{ f.type }}</td>
<td>{{ "yes" if f.required else "no" }}</td><td>{{ prose(f.description) }}</td></tr>
{% endfor %}</table></section>{% endfor %}
</main></body></html>
"""


def prose(text):
    """Escaped text with `code` spans."""
    return Markup(CODE.sub(lambda m: f"<code>{m[1]}</code>", str(escape(text or ""))))


def type_of(node):
    """A property's type in words, with links to the schemas it names."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return Markup(f'<a href="#schema-{escape(name)}">{escape(name)}</a>')
    if "anyOf" in node:
        return Markup(" or ").join(type_of(part) for part in node["anyOf"])
    if "allOf" in node:
        return Markup(" and ").join(type_of(part) for part in node["allOf"])
    kinds = node.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append(Markup("array of ") + type_of(node.get("items", {})))
        else:
            words.append(escape(kind) + (Markup(f" ({escape(node['format'])})")
                                         if node.get("format") and kind != "null" else ""))
    text = Markup(" or ").join(words)
    if node.get("enum"):
        text += Markup(": ") + Markup(", ").join(
            Markup(f"<code>{escape(value)}</code>") for value in node["enum"]
            if value is not None)
    return text


def render_reference(document):
    prefix = document["servers"][0]["url"].rstrip("/")
    components = document["components"]
    groups = {}
    for path, item in document["paths"].items():
        for method in METHOD_ORDER:
            if method in item:
                op = _operation(prefix, path, method, item[method], components)
                groups.setdefault(op["tag"], []).append(op)
    schemas = {name: _fields(schema) for name, schema in components["schemas"].items()
               if "properties" in schema and name != "ErrorEnvelope"}
    return render_template_string(
        PAGE, info=document["info"], base=prefix, groups=list(groups.items()),
        description=document["info"]["description"].split("\n\n"), schemas=schemas,
        errors=sorted(ERROR_CODES.items(), key=lambda item: (item[1][0], item[0])),
        prose=prose)


def _operation(prefix, path, method, op, components):
    parameters = []
    for parameter in op.get("parameters", []):
        if "$ref" in parameter:
            parameter = components["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        parameters.append({"name": parameter["name"], "in": parameter["in"],
                           "required": parameter.get("required", False),
                           "type": type_of(parameter.get("schema", {})),
                           "description": parameter.get("description", "")})
    for argument in re.findall(r"{(\w+)}", path):
        parameters.insert(0, {"name": argument, "in": "path", "required": True,
                              "type": "string", "description": "An id."})
    body = None
    if "requestBody" in op:
        body = type_of(op["requestBody"]["content"]["application/json"]["schema"])
    responses = []
    for status, answer in op["responses"].items():
        content = answer.get("content", {})
        schema = next(iter(content.values()), {}).get("schema")
        responses.append({"status": status, "description": answer.get("description", ""),
                          "body": _envelope(schema) if schema else "",
                          "headers": ", ".join(answer.get("headers", {}))})
    full_path = prefix + path
    example = f"curl -X {method.upper()} "
    if op.get("security") != []:
        example += '-H "Authorization: Bearer $KEY" '
    if body is not None:
        example += "-H 'Content-Type: application/json' -d '{...}' "
    example += f'"http://127.0.0.1:8080{full_path}"'
    return {"anchor": f"op-{op['operationId']}-{method}", "method": method,
            "path": full_path, "summary": op.get("summary", ""),
            "description": op.get("description", ""), "tag": op.get("tags", ["API"])[0],
            "public": op.get("security") == [], "parameters": parameters, "body": body,
            "responses": responses, "example": example}


def _envelope(schema):
    """`{"data": X}`, `{"data": [X], "pagination"}` or the error envelope, in words."""
    if "allOf" in schema:
        codes = schema["properties"]["error"]["properties"]["code"]["enum"]
        return Markup("error envelope (") + Markup(", ").join(
            Markup(f"<code>{escape(code)}</code>") for code in codes) + Markup(")")
    data = schema.get("properties", {}).get("data")
    if data is None:
        return type_of(schema)
    if "pagination" in schema["properties"]:
        return Markup("list of ") + type_of(data["items"]) + Markup(" with pagination")
    return Markup("one ") + type_of(data)


def _fields(schema):
    required = set(schema.get("required", []))
    return [{"name": name, "type": type_of(node), "required": name in required,
             "description": node.get("description", "")}
            for name, node in schema["properties"].items()]
