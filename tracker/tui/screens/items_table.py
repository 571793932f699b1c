"""The items table's query and how its rows get there: the filter as you type, the sort,
the moment shown (now, or time travel: every item's state as of a date, read-only), the pages
loaded in workers and the counts per state. The items screen (items.py) adds its keys and
actions; the saved views (items_views.py) set the query too."""

from __future__ import annotations

import builtins
from collections import Counter
from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from ...errors import TrackerError
from ...service import Tracker
from .. import text as lit
from ..gates import waiting_items
from ..query import Query
from ..widgets.item_rows import AS_OF_COLUMNS, ITEM_COLUMNS, page
from ..widgets.state_counts import StateCounts, unknown_kind, unknown_state
from ..widgets.table_lines import Row
from ..widgets.virtual_table import VirtualTable
from .base import TrackerScreen

SORT_CYCLE = ("key", "title", "kind", "parties", "state", "changed_at")
AS_OF_SORT_CYCLE = ("key", "title", "kind", "state", "changed_at")
FIRST_PAGE = 120


class ItemsTable(TrackerScreen):
    """What the items screen's table shows (`wanted`: what the filter box, sort and date ask
    for; `shown`: what its rows answer), loaded a page at a time."""

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

    def __init__(self, tracker: Tracker, *, as_of: datetime | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.shown = Query(as_of=as_of)  # what the table's rows answer
        self.wanted = Query(as_of=as_of)  # what the filter box, sort and date ask for
        self._cursor_to: int | None = None

    @property
    def as_of(self) -> datetime | None:
        return self.wanted.as_of

    @property
    def states(self) -> tuple[str, ...]:
        from ..widgets.timeline import all_states  # not needed for the first rows

        return all_states(self.tracker)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#items", VirtualTable)

    @property
    def read_only(self) -> bool:
        return self.as_of is not None

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
        if get_current_worker().is_cancelled:
            return  # a read given up may have stopped part way (gates.waiting_items)
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

    # -- filter and sort --------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.wanted = Query.parse(
            event.value, self.wanted.order_by, self.wanted.descending, self.as_of
        )
        self._show_title()
        self._apply_wanted()

    def _apply_wanted(self) -> None:
        wanted, shown = self.wanted, self.shown
        if wanted.as_of != shown.as_of or wanted.waiting != shown.waiting:
            # Another moment, or into or out of "waiting on me" (seconds to read at 100,000
            # items): nothing on screen answers it any more, rows or counts.
            self.table.reset(0)
            self.table.waiting = True
            when = "now" if self.as_of is None else f"as of {lit.when(self.as_of)}"
            self.query_one(StateCounts).show_loading("waiting on me" if wanted.waiting else when)
        else:
            self.query_one(StateCounts).show_stale()
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

    # -- time travel ------------------------------------------------------------------------

    def action_time_travel(self) -> None:
        from .as_of import AsOfModal

        self.app.push_screen(AsOfModal(self.as_of), self.travel_to)

    def travel_to(self, when: datetime | None) -> None:
        if when is None:
            return
        # "Waiting on me" is now (consents in effect today): a date leaves it, as a filter does.
        self.wanted = replace(self.wanted, as_of=when, waiting=False)
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
