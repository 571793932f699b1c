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
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True, slots=True)
class Column:
    """A column: `width` 0 takes the room the fixed columns leave; a table narrower than
    `hide_below` leaves the column out (so the layout holds at 80 columns)."""

    id: str
    label: str
    width: int = 0
    hide_below: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    """One row: the key it stands for, its cells (literal Text), and the record it shows
    (a screen's own value: what it pages from and shows in full)."""

    key: str
    cells: tuple[Text, ...]
    record: Any = None


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

    class PageLoaded(Message):
        """A worker fetched rows from `offset` for query `generation`: post it to the table."""

        def __init__(self, generation: int, offset: int, rows: Sequence[Row]) -> None:
            super().__init__()
            self.generation = generation
            self.offset = offset
            self.rows = rows

    def on_virtual_table_page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        self.set_rows(message.generation, message.offset, message.rows)

    class RowsWanted(Message):
        """The table needs rows `offset .. offset+limit-1` of query `generation` (of `total`).
        `after` is the record of the loaded row just above them, `before` that of the loaded
        row just below (None where that row is not loaded): keyset paging starts there."""

        def __init__(
            self,
            table: VirtualTable,
            generation: int,
            offset: int,
            limit: int,
            after: Any = None,
            before: Any = None,
        ) -> None:
            super().__init__()
            self.table = table
            self.generation = generation
            self.offset = offset
            self.limit = limit
            self.total = table.total
            self.after = after
            self.before = before

    class RowHighlighted(Message):
        def __init__(self, table: VirtualTable, index: int, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.key = key

    class RowSelected(Message):
        def __init__(self, table: VirtualTable, index: int, key: str) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.key = key

    class MarksChanged(Message):
        """The set of marked keys changed (`marks` holds them)."""

        def __init__(self, table: VirtualTable) -> None:
            super().__init__()
            self.table = table

    class HeaderClicked(Message):
        def __init__(self, table: VirtualTable, column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

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

    def _shown(self, width: int) -> list[tuple[int, int]]:
        """(column index, width) of each column shown at this table width."""
        shown = [i for i, c in enumerate(self.columns) if width >= c.hide_below]
        fixed = sum(self.columns[i].width + 1 for i in shown if self.columns[i].width)
        flexible = [i for i in shown if not self.columns[i].width]
        room = max(8, (width - fixed) // max(1, len(flexible)) - 1) if flexible else 0
        return [(i, self.columns[i].width or room) for i in shown]

    def _line(
        self, cells: Sequence[Text], width: int, style: Style, gutter: str | None = None
    ) -> Strip:
        line = Text(no_wrap=True, overflow="ellipsis")
        if gutter is not None:
            line.append(gutter)
            width -= len(gutter)
        for index, cell_width in self._shown(width):
            if index >= len(cells):
                break
            piece = cells[index].copy()
            piece.no_wrap = True
            piece.truncate(cell_width, overflow="ellipsis", pad=True)
            line.append_text(piece)
            line.append(" ")
        segments = list(line.render(self.app.console))
        strip = Strip(segments).crop_extend(0, width + len(gutter or ""), None)
        return strip.apply_style(style)

    def _message(self, text: str, width: int, style: Style) -> Strip:
        return Strip([Segment(text[:width].ljust(width), style)], width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("virtual-table--header")
            gutter = "  " if self.markable else None
            return self._line(self._header_cells(), width, base + header, gutter)
        index = int(self.scroll_y) + y - 1
        if index >= self.total:
            if index == 0:
                muted = self.get_component_rich_style("virtual-table--placeholder")
                shown = " loading…" if self.waiting else " (nothing matches)"
                return self._message(shown, width, base + muted)
            return Strip([Segment(" " * width, base)], width)
        row = self._rows.get(index)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("virtual-table--cursor")
        if row is None:
            self._schedule_fetch()
            muted = self.get_component_rich_style("virtual-table--placeholder")
            return self._message(" …", width, style + muted)
        if not self.markable:
            return self._line(row.cells, width, style)
        if row.key in self.marks:
            marked = self.get_component_rich_style("virtual-table--marked")
            return self._line(row.cells, width, base + marked + style, "● ")
        return self._line(row.cells, width, style, "  ")

    def _header_cells(self) -> list[Text]:
        cells = []
        for column in self.columns:
            label = column.label
            if self.sorted_by and self.sorted_by[0] == column.id:
                label += " ▼" if self.sorted_by[1] else " ▲"
            cells.append(Text(label))
        return cells

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
            for index, width in self._shown(self.size.width - x):
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
