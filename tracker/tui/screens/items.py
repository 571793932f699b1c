"""The items screen (the first screen): a paged table, filter as you type, sort by column,
counts per state, and time travel (every item's state as of a date, read-only). Here: its keys
and the actions they start (open, fire, comment, add, edit, mark, bulk fire, approve); what the
table shows is in items_table.py, the saved views in items_views.py."""

from __future__ import annotations

import builtins
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, Input, Static

from ...records import Item
from ..gates import waiting_items
from ..messages import DataChanged, OpenHistory, OpenItem, OpenTimeline
from ..query import Query
from ..widgets.footer import KeysFooter
from ..widgets.item_rows import ITEM_COLUMNS
from ..widgets.state_counts import StateCounts
from ..widgets.views_list import ViewsList
from ..widgets.virtual_table import VirtualTable
from .base import TrackerModal, refused_while_reading
from .items_views import ItemsViews

WRITES = {"fire", "add", "edit", "comment", "mark_all", "unmark", "bulk_fire", "approve"}


class ItemsScreen(ItemsViews):
    """Every item, a page at a time, with the keys to open, fire, add, edit and travel,
    mark items for a bulk fire, and switch between saved views."""

    AUTO_FOCUS = "#items"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows the most used keys, in that order, then q and ? (the app's);
        # at 80 columns that is all it has room for: the rest are in ?.
        Binding("slash", "focus_filter", "Filter", id="items.filter"),
        Binding("escape", "leave_filter", "List", id="items.leave_filter"),
        Binding("f", "fire", "Fire", id="items.fire"),
        Binding("b", "bulk_fire", "Bulk", id="items.bulk_fire"),
        Binding("A", "approve", "Approve", id="items.approve"),
        Binding("u", "unmark", "Unmark", show=False, id="items.unmark"),
        Binding("h", "history", "History", id="items.history"),
        Binding("n", "now", "Now", id="items.now"),
        Binding("c", "comment", "Comment", show=False, id="items.comment"),
        Binding("e", "edit", "Edit", show=False, id="items.edit"),
        Binding("a", "add", "Add", show=False, id="items.add"),
        Binding("m", "mark_all", "Mark all", show=False, id="items.mark_all"),
        Binding("s", "sort", "Sort", show=False, id="items.sort"),
        Binding("S", "reverse", "Reverse", show=False, id="items.reverse"),
        Binding("T", "timeline", "Timeline", show=False, id="items.timeline"),
        Binding("t", "time_travel", "As of…", show=False, id="items.as_of"),
        Binding("v", "save_view", "Save view", show=False, id="items.save_view"),
        Binding("V", "toggle_views", "Views", show=False, id="items.toggle_views"),
        Binding("w", "waiting", "Waiting on me", show=False, id="items.waiting"),
        *[
            Binding(str(n), f"view({n})", f"View {n}", show=False, id=f"items.view_{n}")
            for n in range(10)
        ],
        Binding("q", "app.quit", "Quit", id="items.quit"),
    ]

    class Located(Message):
        """Where the item just added is in the table (None: the filter leaves it out)."""

        def __init__(self, key: str, index: int | None) -> None:
            super().__init__()
            self.key = key
            self.index = index

    class ItemFetched(Message):
        def __init__(self, item: Item, purpose: str) -> None:
            super().__init__()
            self.item = item
            self.purpose = purpose

    class MarksResolved(Message):
        def __init__(self, keys: builtins.list[str]) -> None:
            super().__init__()
            self.keys = keys

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="banner")
        with Horizontal(id="body"):
            with Vertical(id="views-box"):
                yield Static(Text("views", style="bold"), id="views-title")
                yield ViewsList(id="views")
            with Vertical(id="main"):
                yield Input(
                    placeholder="filter: words in key or title, state:stalled kind:exercise "
                    "party:JPN",
                    id="filter",
                )
                yield StateCounts(id="counts")
                yield VirtualTable(ITEM_COLUMNS, id="items")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.table.markable = self.as_of is None
        self.table.focus()
        self._show_mode()
        self.reload()
        self.load_views()

    @property
    def marks(self) -> set[str]:
        return self.table.marks

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.reload(keep_cursor=True)
        self.load_views()

    # -- opening, firing, commenting, adding, editing ---------------------------------------

    @on(VirtualTable.RowSelected)
    def _open(self, message: VirtualTable.RowSelected) -> None:
        self.open_item(message.key)

    def open_item(self, key: str) -> None:
        self.app.post_message(OpenItem(key, self.as_of))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITES:
            if self.read_only:
                return False
            if action == "unmark":
                return True if self.marks else None  # shown dimmed until something is marked
            return True
        if action == "now":
            return self.read_only
        if action == "leave_filter":
            return self.query_one("#filter", Input).has_focus
        return True

    def on_key(self, event: events.Key) -> None:
        if self.read_only:
            refused_while_reading(self, event, WRITES, "n returns to now")

    def action_fire(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.fetch_item(key, "fire")

    def action_edit(self) -> None:
        key = self.table.current_key
        if key is not None:
            self.fetch_item(key, "edit")

    def action_comment(self) -> None:
        from .comment import CommentModal

        key = self.table.current_key
        if key is not None:
            self.app.push_screen(CommentModal(self.tracker, key), self._after_write)

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

        self.app.push_screen(ItemForm(self.tracker), self._added)

    def _added(self, result: object) -> None:
        if isinstance(result, Item):
            self._after_write(result)
            self.locate(self.wanted, result.key)

    @work(thread=True, exclusive=True, group="locate", exit_on_error=False)
    def locate(self, query: Query, key: str) -> None:
        """The row of `key` in the table, in any sort and filter: the service counts the
        matches sorted before it (no rows are loaded for it); the table then fetches the page
        around that row."""
        if query.waiting:
            keys = [i.key for i in waiting_items(self.tracker, query.order_by, query.descending)]
            index = keys.index(key) if key in keys else None
        else:
            index = self.tracker.position(
                key, query.filter, order_by=query.order_by, descending=query.descending
            )
        self.post_message(self.Located(key, index))

    @on(Located)
    def _located(self, message: Located) -> None:
        if message.index is None:
            self.notify(
                f"{message.key} is not in this list (the filter leaves it out)",
                markup=False,
                timeout=4,
            )
            return
        # The reload after the write may come later and clamp the cursor to the rows it
        # has: the count that follows it puts the cursor here again.
        self._cursor_to = message.index
        self.table.cursor = message.index

    def _after_write(self, result: object) -> None:
        if result is not None:
            self.app.call_later(self._announce_write)

    def _announce_write(self) -> None:
        data_changed = getattr(self.app, "data_changed", None)
        if data_changed is not None:
            data_changed()

    def action_history(self) -> None:
        self.app.post_message(OpenHistory())

    def action_timeline(self) -> None:
        self.app.post_message(OpenTimeline(self.wanted))

    # -- marks and bulk fire ----------------------------------------------------------------

    @on(VirtualTable.MarksChanged)
    def _marks_changed(self) -> None:
        self.query_one(StateCounts).show_marked(len(self.marks))
        self.refresh_bindings()

    def action_mark_all(self) -> None:
        """Mark every item the filter matches: the filter, resolved to keys by the service
        (no rows are loaded for it)."""
        self.resolve_marks(self.wanted)

    @work(thread=True, exclusive=True, group="marks", exit_on_error=False)
    def resolve_marks(self, query: Query) -> None:
        if query.waiting:
            keys = [item.key for item in waiting_items(self.tracker)]
        else:
            keys = self.tracker.keys(query.filter)
        self.post_message(self.MarksResolved(keys))

    @on(MarksResolved)
    def _marks_resolved(self, message: MarksResolved) -> None:
        self.table.set_marks(self.marks | set(message.keys))

    def action_unmark(self) -> None:
        self.table.set_marks(set())

    def action_bulk_fire(self) -> None:
        from .bulk import BulkFireModal

        if not self.marks:
            self.notify("nothing is marked: space marks an item, m all that match", timeout=4)
            return
        self.app.push_screen(BulkFireModal(self.tracker, sorted(self.marks)), self._bulk_done)

    def action_approve(self) -> None:
        """A consent: on every marked item (one batch, all or nothing), else on the item
        under the cursor."""
        from .bulk_consent import BulkConsentModal
        from .consent import ConsentModal

        if self.marks:
            modal: TrackerModal = BulkConsentModal(self.tracker, sorted(self.marks))
            self.app.push_screen(modal, self._bulk_done)
            return
        key = self.table.current_key
        if key is not None:
            self.app.push_screen(ConsentModal(self.tracker, key), self._after_write)

    def _bulk_done(self, result: object) -> None:
        if result is None:
            return
        self.table.set_marks(set())
        self.app.call_later(self._announce_write)
