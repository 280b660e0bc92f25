"""The one pagination helper: validated limit and cursor, keyset pages, no OFFSET.

Row-value comparisons, `(created_at, id) < (?, ?)`, let SQLite and PostgreSQL seek
straight to the cursor on the index, so a deep page costs what the first one does.
"""
from flask import request
from peewee import Tuple

from ..errors import bad_request

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def page_args():
    """(limit, cursor) from the query string, or 400 bad_request."""
    raw = request.args.get("limit")
    limit = DEFAULT_LIMIT if raw is None else parse_limit(raw)
    cursor = request.args.get("cursor")
    if cursor == "":
        cursor = None
    return limit, cursor


def parse_limit(raw):
    """ASCII digits only, 1..MAX_LIMIT. str.isdigit() alone lets "²" through (int() then
    fails) and reads "١٠" as 10; int() of a 5,000-digit string raises."""
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit() and len(digits) <= len(str(MAX_LIMIT))
            and 1 <= int(digits or "0") <= MAX_LIMIT):
        raise bad_request(f"limit must be a whole number from 1 to {MAX_LIMIT}",
                          {"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
    return int(digits)


def cursor_row(cursor, find):
    """The row `cursor` names, looked up with `find(cursor)` in the list's own scope; None
    without a cursor, 400 bad_request when it names nothing in this list."""
    if cursor is None:
        return None
    row = find(cursor)
    if row is None:
        raise bad_request("cursor does not belong to this list",
                          {"cursor": ["Unknown cursor for this list."]})
    return row


def newest_first(query, model, cursor_row, limit):
    """Keyset page over (created_at, id) descending, starting after `cursor_row`."""
    if cursor_row is not None:
        query = query.where(Tuple(model.created_at, model.id)
                            < Tuple(cursor_row.created_at, cursor_row.id))
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def by_position(query, model, cursor_row, limit):
    """Keyset page over (position, id) ascending, starting after `cursor_row`."""
    if cursor_row is not None:
        query = query.where(Tuple(model.position, model.id)
                            > Tuple(cursor_row.position, cursor_row.id))
    return query.order_by(model.position, model.id).limit(limit + 1)


def page(rows, limit):
    """Split `limit + 1` fetched rows (models, or dicts from `.dicts()`) into the page
    and the pagination object."""
    rows = list(rows)
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = None if last is None else last["id"] if isinstance(last, dict) else last.id
    return rows, {"next_cursor": next_cursor, "has_more": has_more}
