"""The one pagination call: keyset pages over an index, never OFFSET or COUNT(*).

Row-value comparisons, `(created_at, id) < (?, ?)`, let SQLite and PostgreSQL seek
straight to the cursor on the index, so a deep page costs what the first one does: the
cursor's row (two columns), then `limit + 1` rows, the extra one only to learn `has_more`.
"""
from typing import NamedTuple

from peewee import Tuple

from ..db import fetch
from ..errors import bad_request


class Keyset(NamedTuple):
    """The columns a list is ordered by and the direction. The last column is unique in
    the list: a cursor is its value in the row the page starts after."""

    columns: tuple
    descending: bool


NEWEST_FIRST = Keyset(("created_at", "id"), descending=True)
BY_POSITION = Keyset(("position", "id"), descending=False)


class Page(NamedTuple):
    items: list
    pagination: dict


def foreign_cursor():
    return bad_request("cursor does not belong to this list",
                       {"cursor": ["Unknown cursor for this list."]})


def page_of(scope, order, cursor, limit, where=()):
    """Up to `limit` rows of `scope` narrowed by the `where` filters, in `order`, after
    the row the `cursor` names; rows as `scope` yields them (models, or dicts).

    `scope` is the list before its filters (the team's runs, this run's tasks): a cursor
    must name one of its rows, else 400, but need not match the filters, so a cursor
    still works once its row has left the filter (a run completed between two pages of
    `?status=active`).
    """
    columns = [getattr(scope.model, name) for name in order.columns]
    query = scope.where(*where) if where else scope
    if cursor is not None:
        after = scope.where(columns[-1] == cursor).select(*columns).tuples().first()
        if after is None:
            raise foreign_cursor()
        keyset = Tuple(*columns)
        query = query.where(keyset < Tuple(*after) if order.descending
                            else keyset > Tuple(*after))
    ordering = [column.desc() for column in columns] if order.descending else columns
    rows = fetch(query.order_by(*ordering).limit(limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if rows:
        last, key = rows[-1], order.columns[-1]
        next_cursor = last[key] if isinstance(last, dict) else getattr(last, key)
    return Page(rows, {"next_cursor": next_cursor, "has_more": has_more})
