"""The items screen (the first screen): a paged table, filter as you type, sort by column,
counts per state, and time travel (every item's state as of a date, read-only)."""

from __future__ import annotations

import builtins
from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...errors import TrackerError
from ...records import Item, View
from ...service import Tracker
from .. import text as lit
from ..gates import waiting_items
from ..messages import DataChanged, OpenHistory, OpenItem, OpenTimeline
from ..query import Query
from ..widgets.footer import KeysFooter
from ..widgets.item_rows import AS_OF_COLUMNS, ITEM_COLUMNS, page
from ..widgets.state_counts import StateCounts, unknown_kind, unknown_state
from ..widgets.views_list import WAITING, ViewsList, view_number
from ..widgets.virtual_table import Row, VirtualTable
from .base import TrackerModal, TrackerScreen, refused_while_reading

SORT_CYCLE = ("key", "title", "kind", "parties", "state", "changed_at")
AS_OF_SORT_CYCLE = ("key", "title", "kind", "state", "changed_at")
FIRST_PAGE = 120
WRITES = {"fire", "add", "edit", "comment", "mark_all", "unmark", "bulk_fire", "approve"}


class ItemsScreen(TrackerScreen):
    """Every item, a page at a time, with the keys to open, fire, add, edit and travel,
    mark items for a bulk fire, and switch between saved views."""

    AUTO_FOCUS = "#items"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows the most used keys, in that order, then q and ? (the app's);
        # at 80 columns that is all it has room for: the rest are in ?.
        Binding("slash", "focus_filter", "Filter", id="items.filter"),
        Binding("escape", "leave_filter", "List", show=False, id="items.leave_filter"),
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

    class Loaded(Message):
        def __init__(
            self,
            query: Query,
            total: int | None,
            offset: int,
            rows: builtins.list[Row],
            keep_cursor: bool,
        ) -> None:
            super().__init__()
            self.query = query
            self.total = total
            self.offset = offset
            self.rows = rows
            self.keep_cursor = keep_cursor

    class Counted(Message):
        def __init__(
            self, query: Query, counts: dict[str, int], total: int, problem: str | None = None
        ) -> None:
            super().__init__()
            self.query = query
            self.counts = counts
            self.total = total
            self.problem = problem

    class FilterRefused(Message):
        """The service refused the filter (an unknown state, a party that is no code...)."""

        def __init__(self, query: Query, problem: str) -> None:
            super().__init__()
            self.query = query
            self.problem = problem

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

    class ViewsLoaded(Message):
        def __init__(self, views: builtins.list[View]) -> None:
            super().__init__()
            self.views = views

    def __init__(self, tracker: Tracker, *, as_of: datetime | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.shown = Query(as_of=as_of)  # what the table's rows answer
        self.wanted = Query(as_of=as_of)  # what the filter box, sort and date ask for
        self.saved_views: builtins.list[View] = []
        self._cursor_to: int | None = None

    @property
    def as_of(self) -> datetime | None:
        return self.wanted.as_of

    @property
    def states(self) -> tuple[str, ...]:
        from ..widgets.timeline import all_states  # not needed for the first rows

        return all_states(self.tracker)

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
    def table(self) -> VirtualTable:
        return self.query_one("#items", VirtualTable)

    @property
    def read_only(self) -> bool:
        return self.as_of is not None

    @property
    def marks(self) -> set[str]:
        return self.table.marks

    # -- loading ----------------------------------------------------------------------------

    def reload(self, *, keep_cursor: bool = False) -> None:
        table = self.table
        offset = max(0, int(table.scroll_y) - table.MARGIN) if keep_cursor else 0
        self.load(self.wanted, offset, FIRST_PAGE + (offset and 2 * table.MARGIN), keep_cursor)

    @work(thread=True, exclusive=True, group="items", exit_on_error=False)
    def load(self, query: Query, offset: int, limit: int, keep_cursor: bool) -> None:
        # The page first (fast: it stops at `limit` matches), then the counts (a full scan
        # when filtering by text): the rows answer the keystroke, the counts follow.
        try:
            if query.problem is not None:
                raise TrackerError(query.problem)
            rows = page(self.tracker, query, offset, limit)
        except TrackerError as exc:  # a filter the service refuses: said on the count line
            self.post_message(self.FilterRefused(query, str(exc)))
            return
        known = offset + len(rows) if len(rows) < limit else None
        self.post_message(self.Loaded(query, known, offset, rows, keep_cursor))
        if get_current_worker().is_cancelled:
            return
        if query.waiting:
            counts = dict(Counter(item.state for item in waiting_items(self.tracker)))
        else:
            counts = self.tracker.count(query.every_state, as_of=query.as_of)
        state, kind = query.filter.state, query.filter.kind
        total = counts.get(state, 0) if state else sum(counts.values())
        problem = None
        if kind and not total:
            problem = unknown_kind(kind, self.tracker.kinds())
        self.post_message(self.Counted(query, counts, total, problem))

    @work(thread=True, exclusive=True, group="rows", exit_on_error=False)
    def load_page(self, query: Query, generation: int, offset: int, limit: int) -> None:
        rows = page(self.tracker, query, offset, limit)
        self.table.post_message(VirtualTable.PageLoaded(generation, offset, rows))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.query != self.wanted:
            return
        self.shown = message.query
        table = self.table
        table.set_columns(ITEM_COLUMNS if message.query.as_of is None else AS_OF_COLUMNS)
        table.sorted_by = (message.query.order_by, message.query.descending)
        # Until the count arrives, the table holds what it has (and one page more if full).
        total = message.total
        if total is None:
            total = max(message.offset + len(message.rows) + FIRST_PAGE, table.total)
            if not message.keep_cursor:
                total = message.offset + len(message.rows)
        table.reset(
            total,
            message.offset,
            message.rows,
            keep_cursor=message.keep_cursor,
            counting=message.total is None,
        )

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        if message.query != self.shown:
            return
        self.table.set_total(message.total)
        if self._cursor_to is not None and self._cursor_to < message.total:
            self.table.cursor, self._cursor_to = self._cursor_to, None
        only = message.query.filter.state
        shown = self.query_one(StateCounts)
        filtered = bool(message.query.every_state)
        shown.show(
            message.counts, self.states, message.total, only, filtered, message.query.waiting
        )
        problem = message.problem or unknown_state(only, self.states)
        if problem:
            shown.show_problem(problem)

    @on(FilterRefused)
    def _filter_refused(self, message: FilterRefused) -> None:
        """No rows, and why, rather than an error toast on every keystroke."""
        if message.query != self.wanted:
            return
        self.shown = message.query
        self.table.reset(0)
        shown = self.query_one(StateCounts)
        shown.show({}, self.states, 0)
        shown.show_problem(
            unknown_state(message.query.filter.state, self.states) or message.problem
        )

    @on(VirtualTable.RowsWanted)
    def _rows_wanted(self, message: VirtualTable.RowsWanted) -> None:
        self.load_page(self.shown, message.generation, message.offset, message.limit)

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.reload(keep_cursor=True)
        self.load_views()

    # -- filter and sort --------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.wanted = Query.parse(
            event.value, self.wanted.order_by, self.wanted.descending, self.as_of
        )
        self._show_title()
        self._apply_wanted()

    def _apply_wanted(self) -> None:
        if self.wanted.as_of != self.shown.as_of:
            # Another moment: nothing on screen answers it any more, rows or counts.
            self.table.reset(0)
            self.table.waiting = True
            when = "now" if self.as_of is None else f"as of {lit.when(self.as_of)}"
            self.query_one(StateCounts).show_loading(when)
        self.load(self.wanted, 0, FIRST_PAGE, False)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_leave_filter(self) -> None:
        """Escape in the filter box: back to the list, the filter kept (as in k9s, lazygit)."""
        self.table.focus()

    @on(VirtualTable.HeaderClicked)
    def _header_clicked(self, message: VirtualTable.HeaderClicked) -> None:
        same = message.column == self.wanted.order_by
        self.sort_by(message.column, not self.wanted.descending if same else False)

    def sort_by(self, column: str, descending: bool) -> None:
        self.wanted = replace(self.wanted, order_by=column, descending=descending)
        self._apply_wanted()

    def action_sort(self) -> None:
        cycle = SORT_CYCLE if self.as_of is None else AS_OF_SORT_CYCLE
        current = self.wanted.order_by
        following = cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else "key"
        self.sort_by(following, False)

    def action_reverse(self) -> None:
        self.sort_by(self.wanted.order_by, not self.wanted.descending)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

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
            refused_while_reading(self, event, WRITES)

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
        from .consent import BulkConsentModal, ConsentModal

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

    # -- saved views ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="views", exit_on_error=False)
    def load_views(self) -> None:
        self.post_message(self.ViewsLoaded(self.tracker.views()))

    @on(ViewsLoaded)
    def _views_loaded(self, message: ViewsLoaded) -> None:
        self.saved_views = message.views
        listing = self.query_one("#views", ViewsList)
        highlighted = listing.highlighted
        listing.clear_options()
        listing.add_option(Option(Text("0 all items"), id="view-0"))
        listing.add_option(Option(Text("w waiting on me"), id=WAITING))
        for number, view in enumerate(message.views, start=1):
            label = Text(f"{number} " if number < 10 else "  ")
            label.append_text(lit.literal(view.name))
            if view.as_of is not None:
                label.append(" ⏲", style="dim")
            listing.add_option(Option(label, id=f"view-{number}"))
        if highlighted is not None and highlighted < listing.option_count:
            listing.highlighted = highlighted
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#views")
    def _view_chosen(self, event: OptionList.OptionSelected) -> None:
        number = view_number(event.option.id)
        if number is None:
            self.action_waiting()
        else:
            self.action_view(number)
        self.table.focus()

    def action_waiting(self) -> None:
        """The built-in view: items with a gated transition under way that awaits a party
        the current actor may consent for (typing a filter leaves it)."""
        self.use_filter("", None, waiting=True)

    def action_view(self, number: int) -> None:
        """Show saved view `number` (1-9, as the sidebar numbers them); 0 shows every item."""
        if number == 0:
            self.use_filter("", None)
            return
        if not 0 < number <= len(self.saved_views):
            self.notify(f"no view {number} (v saves the current filter as a view)", timeout=3)
            return
        view = self.saved_views[number - 1]
        if view.broken:  # its filters are unknown: showing every item would mislead
            self.notify(f"view {view.name} cannot be used: {view.broken}", markup=False)
            return
        self.use_filter(str(view.filter), view.as_of)
        self.notify(f"view {view.name}", markup=False, timeout=2)

    def use_filter(self, typed: str, as_of: datetime | None, *, waiting: bool = False) -> None:
        box = self.query_one("#filter", Input)
        with box.prevent(Input.Changed):
            box.value = typed
        self.wanted = Query.parse(typed, self.wanted.order_by, self.wanted.descending, as_of)
        if waiting:
            self.wanted = replace(self.wanted, waiting=True)
        self._show_mode()
        self._apply_wanted()

    def action_save_view(self) -> None:
        if self.wanted.waiting:
            self.notify("waiting on me is built in (w): type a filter to save one", timeout=4)
            return
        from .views import SaveViewModal

        self.app.push_screen(SaveViewModal(self.tracker, self.wanted), self._view_saved)

    def _view_saved(self, result: object) -> None:
        if result is not None:
            self.load_views()

    @on(ViewsList.DeleteWanted)
    def _delete_wanted(self, message: ViewsList.DeleteWanted) -> None:
        from .views import DeleteViewModal

        if message.number is None or not 0 < message.number <= len(self.saved_views):
            self.notify("0 and w are built in; they are not saved views", timeout=3)
            return
        view = self.saved_views[message.number - 1]
        self.app.push_screen(DeleteViewModal(self.tracker, view), self._view_saved)

    def action_toggle_views(self) -> None:
        shown = self.query_one("#views-box").display
        self.set_class(shown, "-views-closed")
        self.set_class(not shown, "-views-open")

    # -- time travel ------------------------------------------------------------------------

    def action_time_travel(self) -> None:
        from .as_of import AsOfModal

        self.app.push_screen(AsOfModal(self.as_of), self.travel_to)

    def travel_to(self, when: datetime | None) -> None:
        if when is None:
            return
        self.wanted = replace(self.wanted, as_of=when)
        self._show_mode()
        self._apply_wanted()

    def action_now(self) -> None:
        self.wanted = replace(self.wanted, as_of=None)
        self._show_mode()
        self._apply_wanted()

    def _show_mode(self) -> None:
        banner = self.query_one("#banner", Static)
        self.set_class(self.read_only, "-as-of")
        table = self.table
        table.markable = not self.read_only
        if self.read_only and table.marks:
            table.set_marks(set())
        self._show_title()
        if self.as_of is None:
            banner.update("")
        else:
            banner.update(
                Text(
                    f" TIME TRAVEL: as of {lit.when(self.as_of)} UTC · read-only · "
                    "n returns to now ",
                    style="bold",
                )
            )
        self.refresh_bindings()

    def _show_title(self) -> None:
        if self.as_of is not None:
            self.sub_title = f"as of {lit.when(self.as_of)} (read-only)"
        else:
            self.sub_title = "waiting on me" if self.wanted.waiting else "items"
