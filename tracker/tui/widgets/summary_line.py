"""The item screen's summary line (narrow screens): key, state, title and kind in the width
there is, drawn again at each resize, so a long title ends in `…` rather than being cut."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ...records import Item
from .item_text import summary


class SummaryLine(Widget):
    """One line: `summary(item, state)` fitted to the widget's width, or a note."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[Item, str | None] | None = None
        self.note = Text()

    def show(self, item: Item, state: str | None) -> None:
        self.shown = (item, state)
        self.refresh()

    def wait(self) -> None:
        """`loading…` until the next `show`."""
        self.shown, self.note = None, Text("loading…", style="dim")
        self.refresh()

    def render(self) -> Text:
        if self.shown is None:
            return self.note
        item, state = self.shown
        return summary(item, state, self.content_size.width)
