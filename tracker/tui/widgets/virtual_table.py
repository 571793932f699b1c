"""A table that holds only the rows near the viewport and asks for the rest as it scrolls.

The stock DataTable builds every row up front (13 s for 100,000 items). This one knows the
row count and keeps a window of rows; when it needs rows it does not have, it posts
`RowsWanted` and the screen fetches that page in a worker and hands it back with `set_rows`.
A `generation` number ties every page to the query that made it, so a page that arrives after
the filter changed is dropped.

Pages are asked for by row index, and each request also names the loaded neighbours of the rows
it wants (`after`: the record just above, `before`: the one just below). A screen over a huge
ordered set (history: a million entries) pages by keyset from those neighbours, or from either
end, instead of by OFFSET; a screen over a small set may ignore them and use the offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, TypeAlias

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from . import table_messages as messages
from .table_lines import Column, Row, cells_line, header_cells, shown_columns, text_line


class VirtualTable(ScrollView, can_focus=True):
    """Rows `0..total-1`, a page at a time; a fixed header line; a row cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="table.cursor_up"),
        Binding("down", "cursor_down", "Down", show=False, id="table.cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.vim_up"),
        Binding("j", "cursor_down", "Down", show=False, id="table.vim_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "first", "First", show=False, id="table.first"),
        Binding("end", "last", "Last", show=False, id="table.last"),
        Binding("g", "first", "First", show=False, id="table.vim_first"),
        Binding("G", "last", "Last", show=False, id="table.vim_last"),
        Binding("enter", "select", "Open", id="table.select"),
        Binding("space", "toggle_mark", "Mark", id="table.mark"),
        Binding("shift+down", "mark_down", "Mark down", show=False, id="table.mark_down"),
        Binding("shift+up", "mark_up", "Mark up", show=False, id="table.mark_up"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--placeholder",
        "virtual-table--marked",
    }
    DEFAULT_CSS = """
    VirtualTable {
        overflow-x: hidden;
        background: $surface;
    }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $block-cursor-blurred-background; }
    VirtualTable:focus > .virtual-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    VirtualTable > .virtual-table--placeholder { color: $text-muted; }
    VirtualTable > .virtual-table--marked { background: $accent 30%; text-style: bold; }
    """
    MARGIN = 100  # rows fetched beyond each edge of the viewport
    KEEP = 4000  # rows kept before the ones far from the viewport are dropped

    cursor: reactive[int] = reactive(0, always_update=True)

    # Its messages (table_messages.py), as Textual widgets name theirs.
    PageLoaded: TypeAlias = messages.PageLoaded
    RowsWanted: TypeAlias = messages.RowsWanted
    RowHighlighted: TypeAlias = messages.RowHighlighted
    RowSelected: TypeAlias = messages.RowSelected
    MarksChanged: TypeAlias = messages.MarksChanged
    HeaderClicked: TypeAlias = messages.HeaderClicked

    def on_virtual_table_page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        self.set_rows(message.generation, message.offset, message.rows)

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: tuple[Column, ...] = tuple(columns)
        self.generation = 0
        self.total = 0
        self.sorted_by: tuple[str, bool] | None = None
        self.waiting = True
        # The row count is provisional until the screen calls set_total: `G` waits for it.
        self.counting = False
        self._last_wanted = False
        self._rows: dict[int, Row] = {}
        self._asked: tuple[int, int, int] | None = None
        self._fetch_scheduled = False
        # Marked rows by key: a set, never widgets, so marking 100,000 items costs a set.
        self.markable = False
        self.marks: set[str] = set()

    # -- data in --------------------------------------------------------------------------

    def reset(
        self,
        total: int,
        offset: int = 0,
        rows: Sequence[Row] = (),
        *,
        keep_cursor: bool = False,
        counting: bool = False,
    ) -> int:
        """Start a new query with `total` rows (and its first page); returns its generation.
        With `counting`, `total` is provisional until `set_total` brings the count."""
        self.generation += 1
        self.total = total
        self.waiting = False
        self.counting = counting
        self._last_wanted = self._last_wanted and counting
        self._rows = {offset + i: row for i, row in enumerate(rows)}
        self._asked = None
        self.virtual_size = Size(self.scrollable_content_region.width, total + 1)
        if keep_cursor:
            self.cursor = min(self.cursor, max(0, total - 1))
        else:
            self.scroll_to(y=0, animate=False)
            self.cursor = 0
        self.refresh()
        return self.generation

    def set_total(self, total: int) -> None:
        """The row count of the current query, once it is known (rows kept)."""
        self.counting = False
        self.total = total
        self._rows = {i: row for i, row in self._rows.items() if i < total}
        self.virtual_size = Size(self.scrollable_content_region.width, total + 1)
        if self.cursor >= total:
            self.cursor = max(0, total - 1)
        if self._last_wanted:
            self._last_wanted = False
            self.action_last()
        self.refresh()

    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self.refresh()

    def set_rows(self, generation: int, offset: int, rows: Sequence[Row]) -> None:
        """Rows of a page asked for with RowsWanted; dropped if the query changed since."""
        if generation != self.generation:
            return
        for i, row in enumerate(rows):
            self._rows[offset + i] = row
        self._asked = None
        self._forget_far_rows()
        self.refresh()
        self.cursor = self.cursor  # announce the highlighted row once it is loaded

    def _forget_far_rows(self) -> None:
        if len(self._rows) <= self.KEEP:
            return
        top = int(self.scroll_y)
        keep = range(max(0, top - self.KEEP // 4), top + self.KEEP // 4)
        self._rows = {i: row for i, row in self._rows.items() if i in keep}

    # -- data out ---------------------------------------------------------------------------

    def row(self, index: int) -> Row | None:
        return self._rows.get(index)

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor (None when none, or not loaded yet)."""
        found = self._rows.get(self.cursor)
        return found.key if found and self.total else None

    def visible_keys(self) -> list[str]:
        top = int(self.scroll_y)
        height = max(0, self.scrollable_content_region.height - 1)
        return [r.key for i in range(top, top + height) if (r := self._rows.get(i)) is not None]

    # -- drawing ----------------------------------------------------------------------------

    def _line(
        self, cells: Sequence[Text], width: int, style: Style, gutter: str | None = None
    ) -> Strip:
        return cells_line(self.app.console, self.columns, cells, width, style, gutter)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("virtual-table--header")
            gutter = "  " if self.markable else None
            cells = header_cells(self.columns, self.sorted_by)
            return self._line(cells, width, base + header, gutter)
        index = int(self.scroll_y) + y - 1
        if index >= self.total:
            if index == 0:
                muted = self.get_component_rich_style("virtual-table--placeholder")
                shown = " loading…" if self.waiting else " (nothing matches)"
                return text_line(shown, width, base + muted)
            return Strip([Segment(" " * width, base)], width)
        row = self._rows.get(index)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("virtual-table--cursor")
        if row is None:
            self._schedule_fetch()
            muted = self.get_component_rich_style("virtual-table--placeholder")
            return text_line(" …", width, style + muted)
        if not self.markable:
            return self._line(row.cells, width, style)
        if row.key in self.marks:
            marked = self.get_component_rich_style("virtual-table--marked")
            return self._line(row.cells, width, base + marked + style, "● ")
        return self._line(row.cells, width, style, "  ")

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.total + 1)

    # -- asking for rows --------------------------------------------------------------------

    def _schedule_fetch(self) -> None:
        if not self._fetch_scheduled:
            self._fetch_scheduled = True
            self.call_later(self._fetch_missing)

    def _fetch_missing(self) -> None:
        self._fetch_scheduled = False
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height
        start = max(0, top - self.MARGIN)
        end = min(self.total, top + height + self.MARGIN)
        missing = [i for i in range(top, min(self.total, top + height)) if i not in self._rows]
        if not missing:
            return
        # Fetch the whole window around the viewport that is not loaded yet.
        first = next(i for i in range(start, end) if i not in self._rows)
        last = next(i for i in range(end - 1, start - 1, -1) if i not in self._rows)
        ask = (self.generation, first, last + 1 - first)
        if ask == self._asked:
            return
        self._asked = ask
        above, below = self._rows.get(first - 1), self._rows.get(last + 1)
        self.post_message(
            self.RowsWanted(
                self,
                *ask,
                self.total,
                after=above.record if above else None,
                before=below.record if below else None,
            )
        )

    # -- the cursor -------------------------------------------------------------------------

    def watch_cursor(self, index: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        row = self._rows.get(index)
        self.post_message(self.RowHighlighted(self, index, row.key if row else None))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def _move(self, index: int) -> None:
        self.cursor = max(0, min(index, self.total - 1))

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_page_up(self) -> None:
        self._move(self.cursor - max(1, self.scrollable_content_region.height - 2))

    def action_page_down(self) -> None:
        self._move(self.cursor + max(1, self.scrollable_content_region.height - 2))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        if self.counting:
            self._last_wanted = True  # the last row is not known yet: go there once it is
            return
        self._move(self.total - 1)

    def action_select(self) -> None:
        key = self.current_key
        if key is not None:
            self.post_message(self.RowSelected(self, self.cursor, key))

    # -- marks ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_mark", "mark_down", "mark_up"):
            return self.markable
        return True

    def set_marks(self, keys: set[str]) -> None:
        """Replace the marked keys (the screen's "mark all that match" and "clear")."""
        self.marks = keys
        self.refresh()
        self.post_message(self.MarksChanged(self))

    def _mark(self, index: int, on: bool) -> None:
        row = self._rows.get(index)
        if row is None:
            return
        if on:
            self.marks.add(row.key)
        else:
            self.marks.discard(row.key)

    def action_toggle_mark(self) -> None:
        row = self._rows.get(self.cursor)
        if row is None or not self.total:
            return
        self._mark(self.cursor, row.key not in self.marks)
        self.refresh()
        self.post_message(self.MarksChanged(self))
        self.action_cursor_down()

    def _extend_marks(self, step: int) -> None:
        """Shift+arrow: mark the row under the cursor and the one it moves to (a range)."""
        if not self.total:
            return
        self._mark(self.cursor, True)
        self._move(self.cursor + step)
        self._mark(self.cursor, True)
        self.refresh()
        self.post_message(self.MarksChanged(self))

    def action_mark_down(self) -> None:
        self._extend_marks(1)

    def action_mark_up(self) -> None:
        self._extend_marks(-1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = 2 if self.markable else 0
            for index, width in shown_columns(self.columns, self.size.width - x):
                if x <= offset.x < x + width + 1:
                    self.post_message(self.HeaderClicked(self, self.columns[index].id))
                    return
                x += width + 1
            return
        index = int(self.scroll_y) + offset.y - 1
        if index < self.total:
            self._move(index)
            if event.chain >= 2:
                self.action_select()
