"""What a virtual table draws (virtual_table.py): its columns, its rows, and each line of it,
a row's cells cut to the columns shown at the table's width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
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


def shown_columns(columns: Sequence[Column], width: int) -> list[tuple[int, int]]:
    """(column index, width) of each column shown at this table width."""
    shown = [i for i, c in enumerate(columns) if width >= c.hide_below]
    fixed = sum(columns[i].width + 1 for i in shown if columns[i].width)
    flexible = [i for i in shown if not columns[i].width]
    room = max(8, (width - fixed) // max(1, len(flexible)) - 1) if flexible else 0
    return [(i, columns[i].width or room) for i in shown]


def cells_line(
    console: Console,
    columns: Sequence[Column],
    cells: Sequence[Text],
    width: int,
    style: Style,
    gutter: str | None = None,
) -> Strip:
    """A line of `cells` under `columns` (after the `gutter`, the mark column), `width` wide."""
    line = Text(no_wrap=True, overflow="ellipsis")
    if gutter is not None:
        line.append(gutter)
        width -= len(gutter)
    for index, cell_width in shown_columns(columns, width):
        if index >= len(cells):
            break
        piece = cells[index].copy()
        piece.no_wrap = True
        piece.truncate(cell_width, overflow="ellipsis", pad=True)
        line.append_text(piece)
        line.append(" ")
    segments = list(line.render(console))
    strip = Strip(segments).crop_extend(0, width + len(gutter or ""), None)
    return strip.apply_style(style)


def text_line(text: str, width: int, style: Style) -> Strip:
    """A line that says `text` (loading, nothing matches), `width` wide."""
    return Strip([Segment(text[:width].ljust(width), style)], width)


def header_cells(columns: Sequence[Column], sorted_by: tuple[str, bool] | None) -> list[Text]:
    """The header's labels, the sorted column's with its direction."""
    cells = []
    for column in columns:
        label = column.label
        if sorted_by and sorted_by[0] == column.id:
            label += " ▼" if sorted_by[1] else " ▲"
        cells.append(Text(label))
    return cells
