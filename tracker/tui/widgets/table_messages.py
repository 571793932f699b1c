"""The messages of a virtual table (virtual_table.py), known by their usual names as its
attributes (`VirtualTable.RowsWanted`). Their namespace is the table's, so the handlers named
by convention are the same as for messages nested in the class (`on_virtual_table_page_loaded`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.message import Message
from textual.widget import Widget

from .table_lines import Row


class PageLoaded(Message, namespace="virtual_table"):
    """A worker fetched rows from `offset` for query `generation`: post it to the table."""

    def __init__(self, generation: int, offset: int, rows: Sequence[Row]) -> None:
        super().__init__()
        self.generation = generation
        self.offset = offset
        self.rows = rows


class RowsWanted(Message, namespace="virtual_table"):
    """The table needs rows `offset .. offset+limit-1` of query `generation` (of `total`).
    `after` is the record of the loaded row just above them, `before` that of the loaded
    row just below (None where that row is not loaded): keyset paging starts there."""

    def __init__(
        self,
        table: Widget,
        generation: int,
        offset: int,
        limit: int,
        total: int,
        after: Any = None,
        before: Any = None,
    ) -> None:
        super().__init__()
        self.table = table
        self.generation = generation
        self.offset = offset
        self.limit = limit
        self.total = total
        self.after = after
        self.before = before


class RowHighlighted(Message, namespace="virtual_table"):
    def __init__(self, table: Widget, index: int, key: str | None) -> None:
        super().__init__()
        self.table = table
        self.index = index
        self.key = key


class RowSelected(Message, namespace="virtual_table"):
    def __init__(self, table: Widget, index: int, key: str) -> None:
        super().__init__()
        self.table = table
        self.index = index
        self.key = key


class MarksChanged(Message, namespace="virtual_table"):
    """The set of marked keys changed (`marks` holds them)."""

    def __init__(self, table: Widget) -> None:
        super().__init__()
        self.table = table


class HeaderClicked(Message, namespace="virtual_table"):
    def __init__(self, table: Widget, column: str) -> None:
        super().__init__()
        self.table = table
        self.column = column
