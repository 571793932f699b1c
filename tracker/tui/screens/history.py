"""All history, newest first, a page at a time; filter by item, actor, trigger, date range."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Header, Input, Static

from ... import dates
from ...errors import TrackerError
from ...records import HistoryEntry
from ...service import Tracker
from .. import text as lit
from ..messages import DataChanged
from ..widgets.footer import KeysFooter
from ..widgets.virtual_table import Column, Row, VirtualTable
from .base import TrackerScreen

HISTORY_COLUMNS = (
    Column("occurred_at", "effective", 16),
    Column("item", "item", 10),
    Column("trigger", "trigger", 8),
    Column("change", "from → to", 21),
    Column("actor", "actor", 16),
    Column("reason", "reason"),
    Column("source", "source", 16),
)
FILTERS = ("item", "actor", "trigger", "since", "until")
FIRST_PAGE = 120


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    item: str | None = None
    actor: str | None = None
    trigger: str | None = None
    since: str | None = None
    until: str | None = None

    def arguments(self) -> dict[str, Any]:
        return {
            "key": self.item,
            "actor": self.actor,
            "trigger": self.trigger,
            "since": self.since,
            "until": _end_of_day(self.until),
        }


def _end_of_day(until: str | None) -> str | None:
    """`until 2025-11-30` means through the end of that day, as a person reads it."""
    if until and len(until.strip()) == 10:
        return until.strip() + "T23:59:59.999999+00:00"
    return until


def entry_row(entry: HistoryEntry) -> Row:
    return Row(
        entry.item,
        (
            Text(lit.when(entry.occurred_at)),
            lit.literal(entry.item, "bold"),
            lit.literal(entry.trigger),
            Text(f"{entry.from_state or '∅'} → {entry.to_state}"),
            lit.literal(entry.actor),
            lit.literal(entry.reason),
            lit.literal(entry.source),
        ),
    )


class HistoryScreen(TrackerScreen):
    """Every history entry, newest first. Enter opens the entry's item."""

    AUTO_FOCUS = "#history"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="history.back"),
        Binding("slash", "focus_filter", "Filter", id="history.filter"),
        Binding("ctrl+r", "clear", "Clear filters", id="history.clear"),
    ]

    class Loaded(Message):
        def __init__(self, query: HistoryQuery, total: int, rows: builtins.list[Row]) -> None:
            super().__init__()
            self.query = query
            self.total = total
            self.rows = rows

    def __init__(self, tracker: Tracker, *, item: str | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.shown = HistoryQuery(item=item)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="history-filters"):
            for name, hint in (
                ("item", "item key"),
                ("actor", "actor"),
                ("trigger", "trigger"),
                ("since", "since 2025-11-01"),
                ("until", "until 2025-11-30"),
            ):
                value = self.shown.item or "" if name == "item" else ""
                yield Input(value, placeholder=hint, id=f"h-{name}", classes="history-filter")
        yield Static(id="history-status")
        yield VirtualTable(HISTORY_COLUMNS, id="history")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "history, newest first"
        table = self.query_one("#history", VirtualTable)
        table.sorted_by = ("occurred_at", True)
        table.focus()
        self.load(self.shown)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#history", VirtualTable)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self, query: HistoryQuery) -> None:
        arguments = query.arguments()
        total = self.tracker.history_count(**arguments)
        found = self.tracker.history(**arguments, newest_first=True, limit=FIRST_PAGE, offset=0)
        self.post_message(self.Loaded(query, total, [entry_row(e) for e in found]))

    @work(thread=True, exclusive=True, group="history-rows", exit_on_error=False)
    def load_page(self, query: HistoryQuery, generation: int, offset: int, limit: int) -> None:
        found = self.tracker.history(
            **query.arguments(), newest_first=True, limit=limit, offset=offset
        )
        self.table.post_message(
            VirtualTable.PageLoaded(generation, offset, [entry_row(e) for e in found])
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.shown = message.query
        self.table.reset(message.total, 0, message.rows)
        self.query_one("#history-status", Static).update(
            Text(f"{message.total:,} entries", style="bold")
        )

    @on(VirtualTable.RowsWanted)
    def _rows_wanted(self, message: VirtualTable.RowsWanted) -> None:
        self.load_page(self.shown, message.generation, message.offset, message.limit)

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.load(self.shown)

    @on(Input.Changed, ".history-filter")
    def _filter_changed(self) -> None:
        values: dict[str, str | None] = {}
        status = self.query_one("#history-status", Static)
        for name in FILTERS:
            values[name] = self.query_one(f"#h-{name}", Input).value.strip() or None
        for name in ("since", "until"):
            typed = values[name]
            if typed is None:
                continue
            try:
                dates.parse_when(typed)
            except TrackerError as exc:
                status.update(Text(f"{name}: {exc}", style="bold red"))
                return  # keep showing the last good query until the date parses
        self.load(HistoryQuery(**values))

    @on(Input.Submitted, ".history-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#h-item", Input).focus()

    def action_clear(self) -> None:
        for name in FILTERS:
            self.query_one(f"#h-{name}", Input).value = ""

    @on(VirtualTable.RowSelected)
    def _open(self, message: VirtualTable.RowSelected) -> None:
        from .item import show_item

        show_item(self.app, self.tracker, message.key, None)
