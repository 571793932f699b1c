"""Saving the current filter (and as-of date) as a named view, kept in the database so every
user of a shared database sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from ...errors import TrackerError
from ...records import View
from ...service import Tracker
from .. import text as lit
from .base import TrackerModal

if TYPE_CHECKING:
    from .items import Query


def describe_filter(query: Query) -> Text:
    parts = [f"{name}={value}" for name, value in query.selection.items() if value]
    if query.as_of is not None:
        parts.append(f"as of {lit.when(query.as_of)}")
    return lit.literal(", ".join(parts) or "every item (no filter)")


class SaveViewModal(TrackerModal):
    """Ask for a name; save the filter under it. Dismisses with the View, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="view.cancel"),
    ]

    class Saved(Message):
        def __init__(self, view: View) -> None:
            super().__init__()
            self.view = view

    def __init__(self, tracker: Tracker, query: Query) -> None:
        super().__init__()
        self.tracker = tracker
        self.filter = query

    def compose(self) -> ComposeResult:
        with Vertical(id="view-dialog", classes="dialog"):
            yield Static(
                Text("Save the current filter as a view", style="bold"), classes="dialog-title"
            )
            line = Text("filter: ", style="dim")
            line.append_text(describe_filter(self.filter))
            yield Static(line)
            yield Label("name (a word: letters, digits, - or _)")
            yield Input(placeholder="e.g. stalled-drills", id="name")
            yield Static(classes="error", id="name-error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.query_one("#name-error", Static).update(Text("type a name"))
            return
        self.save(name)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def save(self, name: str) -> None:
        query = self.filter
        try:
            view = self.tracker.save_view(
                name,
                state=query.state,
                kind=query.kind,
                party=query.party,
                text=query.text or None,
                as_of=query.as_of,
            )
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Saved(view))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.app.notify(f"view {message.view.name} saved", markup=False)
        self.dismiss(message.view)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        self.query_one("#name-error", Static).update(Text(str(message.error)))
