"""The query arguments of the four lists, one schema each, over one base for paging.

A list's arguments are a marshmallow schema (as flask-smorest's query-args schemas are),
so the API's OpenAPI document can describe them. Unknown parameters are ignored, as
APIs usually do for a query string. A bad value is `400 bad_request` naming the first bad
argument in declaration order (`limit` first), the answer the API has always given:
`{"message": "limit must be ...", "details": {"limit": ["Must be ..."]}}`.
"""
from marshmallow import EXCLUDE, Schema, fields, validate

from ..errors import bad_request
from ..models import RUN_STATUSES

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Limit(fields.Integer):
    """ASCII digits only, 1..MAX_LIMIT (an Integer, so OpenAPI tools see one).
    str.isdigit() alone lets "²" through (int() then fails) and reads "١٠" as 10; int()
    of a 5,000-digit string raises."""

    summary = f"must be a whole number from 1 to {MAX_LIMIT}"
    default_error_messages = {"invalid": f"Must be a whole number from 1 to {MAX_LIMIT}."}

    def _deserialize(self, value, attr, data, **kwargs):
        digits = value.lstrip("0")
        if not (value.isascii() and value.isdigit() and len(digits) <= len(str(MAX_LIMIT))
                and 1 <= int(digits or "0") <= MAX_LIMIT):
            raise self.make_error("invalid")
        return int(digits)


class OptionalId(fields.String):
    """An id; the empty string (`?cursor=`) means none, as if the argument were absent."""

    summary = "must be an id"

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs) or None


class Choice(fields.String):
    """One of a few words, spelled exactly."""

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        super().__init__(validate=validate.OneOf(self.choices), **kwargs)
        self.summary = "must be " + " or ".join(
            filter(None, [", ".join(self.choices[:-1]), self.choices[-1]]))


class QueryBoolean(fields.Boolean):
    """Exactly `true` or `false`: marshmallow's Boolean would also take "yes", "1", "TRUE"."""

    summary = "must be true or false"
    default_error_messages = {"invalid": "Must be true or false."}
    WORDS = {"true": True, "false": False}

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in self.WORDS:
            raise self.make_error("invalid")
        return self.WORDS[value]


class ListArgs(Schema):
    """`limit` and `cursor`, which every list takes. A cursor is the id of the item after
    which the page starts; whether it belongs to the list is the service's to say."""

    class Meta:
        unknown = EXCLUDE

    limit = Limit(load_default=DEFAULT_LIMIT, metadata={
        "minimum": 1, "maximum": MAX_LIMIT, "description": "Items per page."})
    cursor = OptionalId(load_default=None, metadata={
        "description": "The `next_cursor` of the previous page."})

    def handle_error(self, error, data, *, many, **kwargs):
        """The first bad argument, in declaration order, as the API's 400."""
        name = next(name for name in self.fields if name in error.messages)
        raise bad_request(f"{name} {self.fields[name].summary}",
                          {name: error.messages[name]}) from None


class TemplateListArgs(ListArgs):
    """GET /process-templates."""

    is_published = QueryBoolean(load_default=None, metadata={
        "description": "Only published (`true`) or unpublished (`false`) templates."})


class TemplateTaskListArgs(ListArgs):
    """GET /process-templates/:id/tasks."""


class RunListArgs(ListArgs):
    """GET /process-runs."""

    template_id = OptionalId(load_default=None, metadata={
        "description": "Only runs of this template."})
    status = Choice(RUN_STATUSES, load_default=None, metadata={
        "description": "Only runs in this status."})


class RunTaskListArgs(ListArgs):
    """GET /process-runs/:id/tasks."""
