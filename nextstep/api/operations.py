"""What each view is, for the OpenAPI document: one `@operation(...)` beside its route,
naming the very schema objects the view loads and dumps with, so a field added to a
schema reaches the document with no other edit (api/openapi.py builds it).

A route without `@operation` is a route the document lacks: the document refuses to
build (tests/test_openapi.py), so no endpoint can be added undescribed.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str = ""
    tag: str = ""
    query: object = None  # a marshmallow schema of the query arguments
    body: object = None  # the schema the JSON body is loaded with
    answer: object = None  # the schema `data` is dumped with (RunTaskSchema: its .shape)
    many: bool = False  # a list: `data` is an array, with `pagination`
    status: int = 200
    errors: tuple = ()  # codes beyond those every such route gives (openapi.ERROR_CODES)
    public: bool = False  # no key needed, no rate limit
    headers: tuple = ()  # extra headers of the success answer (e.g. "Location")
    content_type: str = "application/json"
    raw_answer: dict = field(default=None)  # the answer is not enveloped: its schema
    if_match: bool = False  # a PATCH that checks If-Match (412 when stale)


def operation(summary, **details):
    def describe(view):
        view.nextstep_operation = Operation(summary, **details)
        return view
    return describe
