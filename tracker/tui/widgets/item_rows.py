"""The items table's columns and rows (now, and as of a date), and one page of them for a
query: what the items screen shows in its VirtualTable."""

from __future__ import annotations

import builtins

from rich.text import Text

from ...records import Item
from ...service import Tracker
from .. import text as lit
from ..gates import waiting_items
from ..query import Query
from .table_lines import Column, Row

ITEM_COLUMNS = (
    Column("key", "key", 14),
    Column("title", "title"),
    Column("kind", "kind", 12),
    Column("parties", "parties", 16, hide_below=100),
    Column("state", "state", 10),
    Column("changed_at", "last change", 16, hide_below=64),
)
AS_OF_COLUMNS = (
    Column("key", "key", 14),
    Column("title", "title"),
    Column("kind", "kind", 12),
    Column("state", "state then", 10),
    Column("changed_at", "since", 16, hide_below=64),
)


def item_row(item: Item) -> Row:
    return Row(
        item.key,
        (
            lit.literal(item.key, "bold"),
            lit.literal(item.title),
            lit.literal(item.kind),
            lit.literal(" ".join(item.parties)),
            lit.state(item.state),
            Text(lit.when(item.changed_at)),
        ),
    )


def as_of_row(item: Item) -> Row:
    return Row(
        item.key,
        (
            lit.literal(item.key, "bold"),
            lit.literal(item.title),
            lit.literal(item.kind),
            lit.state(item.state),
            Text(lit.when(item.changed_at)),
        ),
    )


def page(tracker: Tracker, query: Query, offset: int, limit: int) -> builtins.list[Row]:
    """One page of the table's rows for `query` (now, or as of its date)."""
    if query.waiting:
        waiting = waiting_items(tracker, query.order_by, query.descending)
        return [item_row(item) for item in waiting[offset : offset + limit]]
    found = tracker.list(
        query.filter,
        order_by=query.order_by,
        descending=query.descending,
        limit=limit,
        offset=offset,
        as_of=query.as_of,
    )
    make = item_row if query.as_of is None else as_of_row
    return [make(item) for item in found]
