"""`?`: the keys in force on the screen it was opened from (after any user key map)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from .base import TrackerModal


def key_table(screen: Screen[Any]) -> Table:
    """Every active binding of `screen`: the key a user presses and what it does."""
    grid = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    grid.add_column("key", style="bold", no_wrap=True)
    grid.add_column("does")
    seen: set[tuple[str, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        does = binding.description or binding.action
        key = screen.app.get_key_display(binding)
        if (key, does) in seen:
            continue
        seen.add((key, does))
        grid.add_row(Text(key), Text(does, style="" if active.enabled else "dim"))
    grid.add_row(Text(screen.app.get_key_display(Binding("ctrl+p", ""))), Text("Command palette"))
    return grid


class HelpScreen(TrackerModal):
    """A modal list of the keys of the screen under it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            title = f"Keys: {type(self.under).__name__.removesuffix('Screen').lower()} screen"
            yield Static(Text(title, style="bold"), classes="dialog-title")
            yield Static(key_table(self.under))

    async def action_dismiss(self, result: Any = None) -> None:
        self.dismiss(None)
