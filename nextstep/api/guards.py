"""Path segments and query parameters that must never reach a query.

A NUL in a string makes PostgreSQL refuse the whole statement (a 500 where SQLite would
just find nothing), and an unpaired surrogate cannot be written back out; werkzeug hands
`%00` over as a NUL. So a path segment holding either names nothing (404, as an unknown
path), and a query parameter holding either, in its name or its value, is a bad request
(400), before any view runs. Registered after authentication: 401 still comes first.
Unknown paths and wrong methods (the catch-all) touch no row and answer as they would.
"""
from flask import request
from werkzeug.exceptions import NotFound

from ..client_input import printable, text_fault
from ..errors import bad_request
from .routing import CATCH_ALL_ENDPOINT


def refuse_hostile_url():
    if request.endpoint is None or request.endpoint.endswith("." + CATCH_ALL_ENDPOINT):
        return
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and text_fault(value) is not None:
            raise NotFound()
    try:
        args = request.args
    except UnicodeDecodeError:  # raw bytes that are not UTF-8 in the query string
        raise bad_request("The query string is not valid UTF-8") from None
    for name, value in args.items(multi=True):
        message = text_fault(name) or text_fault(value)
        if message is not None:
            name = printable(name)
            raise bad_request(f"Query parameter {name} is not valid", {name: [message]})
