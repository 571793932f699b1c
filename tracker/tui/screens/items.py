"""The items screen (the first screen): a paged table, filter as you type, sort by column,
counts per state, and time travel (every item's state as of a date, read-only)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Header, Input, Static
from textual.worker import get_current_worker

from ...records import Item, ItemState
from ...service import Tracker
from .. import text as lit
from ..messages import DataChanged
from ..widgets.virtual_table import Column, Row, VirtualTable
from .base import TrackerScreen

ITEM_COLUMNS = (
    Column("key", "key", 14),
    Column("title", "title"),
    Column("kind", "kind", 12),
    Column("parties", "parties", 16),
    Column("state", "state", 10),
    Column("changed_at", "last change", 16),
)
AS_OF_COLUMNS = (
    Column("key", "key", 14),
    Column("title", "title"),
    Column("kind", "kind", 12),
    Column("state", "state then", 10),
    Column("changed_at", "since", 16),
)
SORT_CYCLE = ("key", "title", "kind", "parties", "state", "changed_at")
AS_OF_SORT_CYCLE = ("key", "title", "kind", "state", "changed_at")
FIRST_PAGE = 120


@dataclass(frozen=True, slots=True)
class Query:
    """What the table shows: filters from the filter box, and the sort."""

    text: str = ""
    state: str | None = None
    kind: str | None = None
    party: str | None = None
    order_by: str = "key"
    descending: bool = False

    @classmethod
    def parse(cls, typed: str, order_by: str = "key", descending: bool = False) -> Query:
        """`state:stalled kind:exercise party:JPN words` — the words match key or title."""
        fields: dict[str, str] = {}
        words = []
        for word in typed.split():
            name, sep, value = word.partition(":")
            if sep and name.lower() in ("state", "kind", "party") and value:
                fields[name.lower()] = value
            else:
                words.append(word)
        return cls(
            text=" ".join(words),
            state=fields.get("state"),
            kind=fields.get("kind"),
            party=fields.get("party"),
            order_by=order_by,
            descending=descending,
        )

    @property
    def filters(self) -> dict[str, str | None]:
        return {"text": self.text or None, "kind": self.kind, "party": self.party}


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


def as_of_row(found: ItemState) -> Row:
    return Row(
        found.key,
        (
            lit.literal(found.key, "bold"),
            lit.literal(found.title),
            lit.literal(found.kind),
            lit.state(found.state),
            Text(lit.when(found.occurred_at)),
        ),
    )


def as_of_matches(found: ItemState, query: Query) -> bool:
    needle = query.text.lower()
    if needle and needle not in found.key.lower() and needle not in found.title.lower():
        return False
    if query.state and found.state != query.state.lower():
        return False
    return not (query.kind and found.kind != query.kind.lower())


def as_of_sort_key(column: str) -> object:
    def by(found: ItemState) -> tuple[str, str]:
        value = {
            "key": found.key.lower(),
            "title": found.title.lower(),
            "kind": found.kind,
            "state": found.state or "",
            "changed_at": lit.when(found.occurred_at),
        }.get(column, found.key.lower())
        return (value, found.key.lower())

    return by


class StateCounts(Static):
    """`proposed 3 · stalled 1 · ...` for the items the filter matches."""

    def show(self, counts: dict[str, int], states: Sequence[str], total: int) -> None:
        line = Text()
        for name in [*states, *sorted(set(counts) - set(states))]:
            line.append_text(lit.state(name))
            line.append(f" {counts.get(name, 0):,}   ")
        line.append(f"total {total:,}", style="bold")
        self.update(line)


class ItemsScreen(TrackerScreen):
    """Every item, a page at a time, with the keys to open, fire, add, edit and travel."""

    AUTO_FOCUS = "#items"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="items.filter"),
        Binding("f", "fire", "Fire", id="items.fire"),
        Binding("a", "add", "Add", id="items.add"),
        Binding("e", "edit", "Edit", id="items.edit"),
        Binding("s", "sort", "Sort", id="items.sort"),
        Binding("S", "reverse", "Reverse", id="items.reverse"),
        Binding("h", "history", "History", id="items.history"),
        Binding("t", "time_travel", "As of…", id="items.as_of"),
        Binding("n", "now", "Back to now", id="items.now"),
        Binding("q", "app.quit", "Quit", id="items.quit"),
    ]

    class Loaded(Message):
        def __init__(
            self,
            query: Query,
            counts: dict[str, int],
            total: int | None,
            offset: int,
            rows: builtins.list[Row],
            keep_cursor: bool,
        ) -> None:
            super().__init__()
            self.query = query
            self.counts = counts
            self.total = total
            self.offset = offset
            self.rows = rows
            self.keep_cursor = keep_cursor

    class Counted(Message):
        def __init__(self, query: Query, counts: dict[str, int], total: int) -> None:
            super().__init__()
            self.query = query
            self.counts = counts
            self.total = total

    class AsOfLoaded(Message):
        def __init__(self, when: datetime, states: builtins.list[ItemState]) -> None:
            super().__init__()
            self.when = when
            self.states = states

    class PageLoaded(Message):
        def __init__(self, generation: int, offset: int, rows: builtins.list[Row]) -> None:
            super().__init__()
            self.generation = generation
            self.offset = offset
            self.rows = rows

    class ItemFetched(Message):
        def __init__(self, item: Item, purpose: str) -> None:
            super().__init__()
            self.item = item
            self.purpose = purpose

    def __init__(self, tracker: Tracker, *, as_of: datetime | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.as_of = as_of
        self.shown = Query()  # what the table's rows answer
        self.wanted = Query()  # what the filter box and sort ask for
        self._as_of_all: builtins.list[ItemState] = []
        self._as_of_rows: builtins.list[ItemState] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="banner")
        yield Input(
            placeholder="filter: words in key or title, state:stalled kind:exercise party:JPN",
            id="filter",
        )
        yield StateCounts(id="counts")
        yield VirtualTable(ITEM_COLUMNS, id="items")
        yield Footer()

    def on_mount(self) -> None:
        self.table.focus()
        self._show_mode()
        self.reload()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#items", VirtualTable)

    @property
    def read_only(self) -> bool:
        return self.as_of is not None

    # -- loading ----------------------------------------------------------------------------

    def reload(self, *, keep_cursor: bool = False) -> None:
        if self.as_of is not None:
            self.load_as_of(self.as_of)
            return
        table = self.table
        offset = max(0, int(table.scroll_y) - table.MARGIN) if keep_cursor else 0
        self.load(self.wanted, offset, FIRST_PAGE + (offset and 2 * table.MARGIN), keep_cursor)

    @work(thread=True, exclusive=True, group="items", exit_on_error=False)
    def load(self, query: Query, offset: int, limit: int, keep_cursor: bool) -> None:
        # The page first (fast: it stops at `limit` matches), then the counts (a full scan
        # when filtering by text): the rows answer the keystroke, the counts follow.
        found = self.tracker.list(
            state=query.state,
            **query.filters,
            order_by=query.order_by,
            descending=query.descending,
            limit=limit,
            offset=offset,
        )
        rows = [item_row(item) for item in found]
        known = offset + len(rows) if len(rows) < limit else None
        self.post_message(self.Loaded(query, {}, known, offset, rows, keep_cursor))
        if get_current_worker().is_cancelled:
            return
        counts = self.tracker.count(**query.filters)
        total = counts.get(query.state.lower(), 0) if query.state else sum(counts.values())
        self.post_message(self.Counted(query, counts, total))

    @work(thread=True, exclusive=True, group="rows", exit_on_error=False)
    def load_page(self, query: Query, generation: int, offset: int, limit: int) -> None:
        found = self.tracker.list(
            state=query.state,
            **query.filters,
            order_by=query.order_by,
            descending=query.descending,
            limit=limit,
            offset=offset,
        )
        self.post_message(self.PageLoaded(generation, offset, [item_row(i) for i in found]))

    @work(thread=True, exclusive=True, group="items", exit_on_error=False)
    def load_as_of(self, when: datetime) -> None:
        self.post_message(self.AsOfLoaded(when, self.tracker.as_of(when)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if self.as_of is not None:
            return
        self.shown = message.query
        table = self.table
        table.set_columns(ITEM_COLUMNS)
        table.sorted_by = (message.query.order_by, message.query.descending)
        # Until the count arrives, the table holds what it has (and one page more if full).
        total = message.total
        if total is None:
            total = max(message.offset + len(message.rows) + FIRST_PAGE, table.total)
            if not message.keep_cursor:
                total = message.offset + len(message.rows)
        table.reset(total, message.offset, message.rows, keep_cursor=message.keep_cursor)
        if message.total is not None:
            self._show_counts(message.query, None, message.total)

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        if self.as_of is not None or message.query != self.shown:
            return
        self.table.set_total(message.total)
        self._show_counts(message.query, message.counts, message.total)

    def _show_counts(self, query: Query, counts: dict[str, int] | None, total: int) -> None:
        if counts is None:
            return
        states = self.tracker.workflow().states
        self.query_one(StateCounts).show(counts, states, total)

    @on(AsOfLoaded)
    def _as_of_loaded(self, message: AsOfLoaded) -> None:
        if self.as_of != message.when:
            return
        self._as_of_all = message.states
        self._refilter_as_of(keep_cursor=False)

    def _refilter_as_of(self, keep_cursor: bool) -> None:
        query = self.wanted
        self.shown = query
        chosen = [s for s in self._as_of_all if as_of_matches(s, query)]
        column = query.order_by if query.order_by != "parties" else "key"
        chosen.sort(key=as_of_sort_key(column), reverse=query.descending)  # type: ignore[arg-type]
        self._as_of_rows = chosen
        table = self.table
        table.set_columns(AS_OF_COLUMNS)
        table.sorted_by = (column, query.descending)
        counts: dict[str, int] = {}
        for found in chosen:
            counts[found.state or "-"] = counts.get(found.state or "-", 0) + 1
        table.reset(len(chosen), keep_cursor=keep_cursor)
        states = self.tracker.workflow().states
        self.query_one(StateCounts).show(counts, states, len(chosen))

    @on(VirtualTable.RowsWanted)
    def _rows_wanted(self, message: VirtualTable.RowsWanted) -> None:
        if self.as_of is None:
            self.load_page(self.shown, message.generation, message.offset, message.limit)
            return
        window = self._as_of_rows[message.offset : message.offset + message.limit]
        self.table.set_rows(message.generation, message.offset, [as_of_row(s) for s in window])

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        self.table.set_rows(message.generation, message.offset, message.rows)

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.reload(keep_cursor=True)

    # -- filter and sort --------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.wanted = Query.parse(event.value, self.wanted.order_by, self.wanted.descending)
        self._apply_wanted()

    def _apply_wanted(self) -> None:
        if self.as_of is not None:
            self._refilter_as_of(keep_cursor=False)
        else:
            self.load(self.wanted, 0, FIRST_PAGE, False)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    @on(VirtualTable.HeaderClicked)
    def _header_clicked(self, message: VirtualTable.HeaderClicked) -> None:
        same = message.column == self.wanted.order_by
        self.sort_by(message.column, not self.wanted.descending if same else False)

    def sort_by(self, column: str, descending: bool) -> None:
        self.wanted = replace(self.wanted, order_by=column, descending=descending)
        self._apply_wanted()

    def action_sort(self) -> None:
        cycle = (
            SORT_CYCLE if self.as_of is None else ("key", "title", "kind", "state", "changed_at")
        )
        current = self.wanted.order_by
        following = cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else "key"
        self.sort_by(following, False)

    def action_reverse(self) -> None:
        self.sort_by(self.wanted.order_by, not self.wanted.descending)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    # -- opening, firing, adding, editing ---------------------------------------------------

    @on(VirtualTable.RowSelected)
    def _open(self, message: VirtualTable.RowSelected) -> None:
        self.open_item(message.key)

    def open_item(self, key: str) -> None:
        from .item import ItemScreen

        self.app.push_screen(ItemScreen(self.tracker, key, as_of=self.as_of))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("fire", "add", "edit"):
            return not self.read_only
        if action == "now":
            return self.read_only
        return True

    def action_fire(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.fetch_item(key, "fire")

    def action_edit(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.fetch_item(key, "edit")

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def fetch_item(self, key: str, purpose: str) -> None:
        self.post_message(self.ItemFetched(self.tracker.get(key), purpose))

    @on(ItemFetched)
    def _item_fetched(self, message: ItemFetched) -> None:
        from .fire import FireModal
        from .item_form import ItemForm

        if message.purpose == "fire":
            self.app.push_screen(FireModal(self.tracker, message.item), self._after_write)
        else:
            self.app.push_screen(ItemForm(self.tracker, message.item), self._after_write)

    def action_add(self) -> None:
        from .item_form import ItemForm

        self.app.push_screen(ItemForm(self.tracker), self._after_write)

    def _after_write(self, result: object) -> None:
        if result is not None:
            self.app.call_later(self._announce_write)

    def _announce_write(self) -> None:
        data_changed = getattr(self.app, "data_changed", None)
        if data_changed is not None:
            data_changed()

    def action_history(self) -> None:
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.tracker))

    # -- time travel ------------------------------------------------------------------------

    def action_time_travel(self) -> None:
        from .as_of import AsOfModal

        self.app.push_screen(AsOfModal(self.as_of), self.travel_to)

    def travel_to(self, when: datetime | None) -> None:
        if when is None:
            return
        self.as_of = when
        self._show_mode()
        self.table.reset(0)
        self.table.waiting = True
        self.load_as_of(when)

    def action_now(self) -> None:
        self.as_of = None
        self._as_of_all = []
        self._as_of_rows = []
        self._show_mode()
        self.load(self.wanted, 0, FIRST_PAGE, False)

    def _show_mode(self) -> None:
        banner = self.query_one("#banner", Static)
        self.set_class(self.read_only, "-as-of")
        if self.as_of is None:
            banner.update("")
            self.sub_title = "items"
        else:
            banner.update(
                Text(
                    f" TIME TRAVEL: as of {lit.when(self.as_of)} UTC · read-only · "
                    "n returns to now ",
                    style="bold",
                )
            )
            self.sub_title = f"as of {lit.when(self.as_of)} (read-only)"
        self.refresh_bindings()
