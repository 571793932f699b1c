"""All history, newest first, a page at a time; filter by prefixes of item key, actor and
trigger, and by a date range. Opened from an item (`h`), it shows exactly that item's entries
until the item field is typed into (then it is a prefix again). The selected entry's reason and
source are shown in full below.

Pages come by keyset (`Tracker.history_page`) from the loaded row next to the ones wanted, or
from either end, so the last page of a million entries costs what the first does.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

from ... import dates
from ...errors import TrackerError
from ...records import HistoryEntry, HistorySearch
from ...service import Tracker
from .. import text as lit
from ..gates import noted_reason
from ..messages import DataChanged, OpenItem
from ..widgets.footer import KeysFooter
from ..widgets.table_lines import Column, Row
from ..widgets.virtual_table import VirtualTable
from .base import TrackerScreen

HISTORY_COLUMNS = (
    Column("occurred_at", "effective", 16),
    Column("item", "item", 10),
    Column("trigger", "trigger", 8),
    Column("change", "from → to", 21),
    Column("actor", "actor", 18, hide_below=100),
    Column("reason", "reason"),
    Column("source", "source", 20, hide_below=120),
)
# (field, label, placeholder): placeholders say what to type, never look like a value.
FILTERS = (
    ("item", "item", "key prefix"),
    ("actor", "actor", "prefix"),
    ("trigger", "trigger", "prefix"),
    ("since", "since", "YYYY-MM-DD"),
    ("until", "until", "YYYY-MM-DD"),
)
EXACT_LABEL = "exact key"  # the item field's title while it holds the opened item's key
FIRST_PAGE = 120


@dataclass(frozen=True, slots=True)
class Fields:
    """What the filter fields say, as typed; `exact`: the item field holds the exact key of
    the item the screen was opened for, not a prefix."""

    item: str = ""
    actor: str = ""
    trigger: str = ""
    since: str = ""
    until: str = ""
    exact: bool = False

    def search(self) -> HistorySearch:
        """The search the fields ask for (an empty date is no bound; `until 2025-11-30`
        includes that day, by the one rule, dates.period). Raises TrackerError naming the
        field whose date does not parse (yet)."""
        since, until = dates.period(self.since or None, self.until or None)
        if self.exact:
            return HistorySearch("", self.actor, self.trigger, since, until, key=self.item)
        return HistorySearch(self.item, self.actor, self.trigger, since, until)


def entry_row(entry: HistoryEntry) -> Row:
    return Row(
        entry.item,
        (
            Text(lit.when(entry.occurred_at)),
            lit.literal(entry.item, "bold"),
            lit.literal(entry.trigger),
            Text(f"{entry.from_state or '∅'} → {entry.to_state}"),
            lit.literal(entry.actor),
            lit.literal(noted_reason(entry)),
            lit.literal(entry.source),
        ),
        entry,
    )


def fetch_rows(
    tracker: Tracker, search: HistorySearch, wanted: VirtualTable.RowsWanted
) -> tuple[int, builtins.list[Row]]:
    """The rows a table asked for, as (offset, rows): by keyset from the loaded neighbour
    above or below, from either end, or (a jump into the middle) from the position of the
    row just above, which the service finds in the index alone."""
    offset, limit = wanted.offset, wanted.limit
    if wanted.after is not None:
        found = tracker.history_page(search, after=wanted.after.position, limit=limit)
    elif wanted.before is not None:
        found = tracker.history_page(
            search, after=wanted.before.position, backwards=True, limit=limit
        )
        offset += limit - len(found)
    elif offset == 0:
        found = tracker.history_page(search, limit=limit)
    elif offset + limit >= wanted.total:
        found = tracker.history_page(search, backwards=True, limit=wanted.total - offset)
    else:
        position = tracker.history_position(search, offset - 1)
        found = (
            [] if position is None else tracker.history_page(search, after=position, limit=limit)
        )
    return offset, [entry_row(entry) for entry in found]


class EntryDetail(Static):
    """The selected entry in full: what changed, when, by whom, the reason and the source."""

    def show(self, entry: HistoryEntry | None) -> None:
        if entry is None:
            self.update("")
            return
        line = Text()
        line.append_text(lit.literal(entry.item, "bold"))
        line.append(f"  {entry.trigger}: {entry.from_state or '∅'} → {entry.to_state}  ")
        line.append(f"{lit.when(entry.occurred_at)} UTC by ")
        line.append_text(lit.literal(entry.actor))
        line.append("\nreason: ", style="bold")
        line.append_text(lit.literal(noted_reason(entry) or "-"))
        line.append("\nsource: ", style="bold")
        line.append_text(lit.literal(entry.source or "-"))
        self.update(line)


class HistoryScreen(TrackerScreen):
    """Every history entry, newest first. Enter opens the entry's item."""

    AUTO_FOCUS = "#history"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="history.back"),
        Binding("slash", "focus_filter", "Filter", id="history.filter"),
        Binding("ctrl+r", "clear", "Clear filters", id="history.clear"),
    ]

    class Loaded(Message):
        """The first page of `fields` (the count follows in Counted)."""

        def __init__(self, fields: Fields, rows: builtins.list[Row], complete: bool) -> None:
            super().__init__()
            self.fields = fields
            self.rows = rows
            self.complete = complete

    class Refreshed(Message):
        """After a write: the count and the first page of `fields`, the cursor kept."""

        def __init__(self, fields: Fields, total: int, rows: builtins.list[Row]) -> None:
            super().__init__()
            self.fields = fields
            self.total = total
            self.rows = rows

    class Counted(Message):
        def __init__(self, fields: Fields, total: int) -> None:
            super().__init__()
            self.fields = fields
            self.total = total

    def __init__(self, tracker: Tracker, *, item: str | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.wanted = Fields(item=item or "", exact=bool(item))  # what the fields say
        self.shown: Fields | None = None  # what the table's rows answer

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="history-filters"):
            for name, label, hint in FILTERS:
                field = Input(
                    getattr(self.wanted, name),
                    placeholder=hint,
                    id=f"h-{name}",
                    classes="history-filter",
                )
                field.border_title = EXACT_LABEL if name == "item" and self.wanted.exact else label
                yield field
        yield Static(id="history-status")
        yield VirtualTable(HISTORY_COLUMNS, id="history")
        yield EntryDetail(id="history-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "history, newest first"
        table = self.table
        table.sorted_by = ("occurred_at", True)
        table.waiting = True
        table.focus()
        self.load(self.wanted)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#history", VirtualTable)

    def _status(self, text: Text) -> None:
        self.query_one("#history-status", Static).update(text)

    # -- loading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self, fields: Fields) -> None:
        # The first page answers the keystroke; the count (a scan when filtering by actor
        # or trigger) follows.
        search = fields.search()
        found = self.tracker.history_page(search, limit=FIRST_PAGE)
        complete = len(found) < FIRST_PAGE
        self.post_message(self.Loaded(fields, [entry_row(e) for e in found], complete))
        if complete or get_current_worker().is_cancelled:
            return
        self.post_message(self.Counted(fields, self.tracker.history_search_count(search)))

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def refresh_rows(self, fields: Fields) -> None:
        # The count first: the table keeps its cursor where it was, which needs the total.
        search = fields.search()
        total = self.tracker.history_search_count(search)
        found = self.tracker.history_page(search, limit=FIRST_PAGE)
        self.post_message(self.Refreshed(fields, total, [entry_row(e) for e in found]))

    @work(thread=True, exclusive=True, group="history-rows", exit_on_error=False)
    def load_page(self, fields: Fields, wanted: VirtualTable.RowsWanted) -> None:
        offset, rows = fetch_rows(self.tracker, fields.search(), wanted)
        self.table.post_message(VirtualTable.PageLoaded(wanted.generation, offset, rows))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.fields != self.wanted:
            return  # an answer to what the fields said before: dropped
        self.shown = message.fields
        rows = message.rows
        self.table.reset(len(rows), 0, rows, counting=not message.complete)
        if message.complete:
            self._counted(self.Counted(message.fields, len(rows)))
        else:
            self._status(Text(f"{len(rows):,}+ entries, counting…", style="bold"))

    @on(Refreshed)
    def _refreshed(self, message: Refreshed) -> None:
        if message.fields != self.wanted:
            return
        self.shown = message.fields
        self.table.reset(message.total, 0, message.rows, keep_cursor=True)
        self._status(Text(f"{message.total:,} entries", style="bold"))

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        if message.fields != self.shown or message.fields != self.wanted:
            return
        self.table.set_total(message.total)
        self._status(Text(f"{message.total:,} entries", style="bold"))

    @on(VirtualTable.RowsWanted)
    def _rows_wanted(self, message: VirtualTable.RowsWanted) -> None:
        if self.shown is not None:
            self.load_page(self.shown, message)

    @on(VirtualTable.RowHighlighted)
    def _highlighted(self, message: VirtualTable.RowHighlighted) -> None:
        row = self.table.row(message.index)
        self.query_one(EntryDetail).show(row.record if row and self.table.total else None)

    @on(DataChanged)
    def _data_changed(self) -> None:
        """Another write (live refresh): reload, the cursor staying where it is."""
        try:
            self.wanted.search()
        except TrackerError:
            return  # a half-typed date: nothing shown to refresh
        self.refresh_rows(self.wanted)

    # -- the filter fields ------------------------------------------------------------------

    @on(Input.Changed, ".history-filter")
    def _filter_changed(self) -> None:
        typed = {name: self.query_one(f"#h-{name}", Input).value.strip() for name, _, _ in FILTERS}
        # The opened item's key stays exact until the item field is typed into: what a
        # user types there is a prefix, for good (the field's title says which it is).
        exact = self.wanted.exact and typed["item"] == self.wanted.item
        if self.wanted.exact and not exact:
            self.query_one("#h-item", Input).border_title = FILTERS[0][1]
        self.wanted = Fields(**typed, exact=exact)
        try:
            self.wanted.search()
        except TrackerError as exc:
            # No toast while typing; no rows that the fields do not describe either.
            self.shown = None
            self.table.reset(0)
            self._status(Text(f"{exc} (no rows until it is a date)", style="bold red"))
            return
        self.load(self.wanted)

    @on(Input.Submitted, ".history-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        self.query_one("#h-item", Input).focus()

    def action_back(self) -> None:
        """Escape: from a filter field back to the list; from the list, back a screen."""
        if isinstance(self.focused, Input):
            self.table.focus()
            return
        self.app.pop_screen()

    def action_clear(self) -> None:
        for name, _, _ in FILTERS:
            self.query_one(f"#h-{name}", Input).value = ""

    @on(VirtualTable.RowSelected)
    def _open(self, message: VirtualTable.RowSelected) -> None:
        self.app.post_message(OpenItem(message.key))
