"""The one pagination helper: keyset pages, no OFFSET (the arguments are validated by
the lists' query-args schemas, schemas/queries.py).

Row-value comparisons, `(created_at, id) < (?, ?)`, let SQLite and PostgreSQL seek
straight to the cursor on the index, so a deep page costs what the first one does.
"""
from peewee import Tuple

from ..errors import bad_request


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
