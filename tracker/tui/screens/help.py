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

from ..widgets.footer import KeysFooter
from .base import TrackerModal


def key_table(screen: Screen[Any]) -> Table:
    """Every active binding of `screen` with an id (the tracker's own, which a key map can
    rebind): the keys a user presses, as the user's key map has them, and what they do.
    Keys that do the same are one row; numbered keys (`View 1`, `View 2`...) one `0-9` row."""
    grid = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    grid.add_column("key", style="bold", no_wrap=True)
    grid.add_column("does")
    for lost, taker in lost_bindings(screen):
        grid.add_row(
            Text(screen.app.get_key_display(taker), style="bold red"),
            Text(
                f"{taker.description or taker.action}: the key map took this key from "
                f"{lost.description or lost.action}, which has no key now",
                style="red",
            ),
        )
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


def lost_bindings(screen: Screen[Any]) -> list[tuple[Binding, Binding]]:
    """(binding dropped, binding that has its key now) for every binding of `screen` (and
    the widgets in focus) whose key a user key map gave to another one: Textual drops such
    a binding without a word, so this finds the declared ones that are gone."""
    found: list[tuple[Binding, Binding]] = []
    for namespace, bindings in screen._modal_binding_chain:
        present = {b.id for on_key in bindings.key_to_bindings.values() for b in on_key}
        for lost in type(namespace).BINDINGS:
            if not isinstance(lost, Binding) or lost.id is None or lost.id in present:
                continue
            for key in lost.key.split(","):
                taker = next(iter(bindings.key_to_bindings.get(key.strip(), [])), None)
                if taker is not None:
                    found.append((lost, taker))
                    break
    return found


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
        yield KeysFooter()

    async def action_dismiss(self, result: Any = None) -> None:
        self.dismiss(None)
