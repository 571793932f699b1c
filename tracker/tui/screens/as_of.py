"""The time-travel prompt: a date, checked as it is typed."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from ... import dates
from ...errors import TrackerError
from .. import text as lit
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal


class AsOfModal(TrackerModal):
    """Ask for a date; dismisses with it (UTC), or None on cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="as_of.cancel"),
        Binding("ctrl+s", "go", "Go", id="as_of.go"),
    ]

    def __init__(self, current: datetime | None = None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Dialog(id="as-of-dialog"):
            yield Static(Text("Time travel", style="bold"), classes="dialog-title")
            yield Label("every item's state as of (effective date, UTC)")
            value = lit.when(self.current).replace(" ", "T") if self.current else ""
            yield Input(value, placeholder="2025-12-01 or 2025-12-01T09:00+09:00", id="when")
            yield Problem(id="when-error")
            with Vertical(classes="actions"), Horizontal(classes="buttons"):
                yield Button("Go", variant="primary", id="go")
                yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def _parse(self) -> datetime | None:
        typed = self.query_one("#when", Input).value.strip()
        problem = "type a date" if not typed else ""
        moment = None
        if typed:
            try:
                moment = dates.parse_when(typed)
            except TrackerError as exc:
                problem = str(exc)
        self.query_one("#when-error", Problem).update(Text(problem))
        return moment

    @on(Input.Changed)
    def _typed(self) -> None:
        self._parse()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        if self.submit_allowed(event.input):
            self.action_go()

    @on(Button.Pressed, "#go")
    def action_go(self) -> None:
        moment = self._parse()
        if moment is not None:
            self.dismiss(moment)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
