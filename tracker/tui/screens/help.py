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
    """Every active binding of `screen` with an id (the tracker's own, which a key map can
    rebind): the keys a user presses, as the user's key map has them, and what they do.
    Keys that do the same are one row; numbered keys (`View 1`, `View 2`...) one `0-9` row."""
    grid = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    grid.add_column("key", style="bold", no_wrap=True)
    grid.add_column("does")
    rows: dict[str, tuple[list[str], bool]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.id is None:
            continue  # Textual's own scrolling and focus keys: not ours to list
        does = binding.description or binding.action
        key = screen.app.get_key_display(binding)
        prefix, _, number = does.rpartition(" ")
        if number.isdigit() and key == number:
            does = f"{prefix} n"
        keys, enabled = rows.get(does, ([], False))
        if key not in keys:
            keys.append(key)
        rows[does] = (keys, enabled or active.enabled)
    for does, (keys, enabled) in rows.items():
        if all(k.isdigit() for k in keys) and len(keys) > 2:
            shown = f"{min(keys)}-{max(keys)}"
        else:
            shown = " ".join(keys)
        grid.add_row(Text(shown), Text(does, style="" if enabled else "dim"))
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
