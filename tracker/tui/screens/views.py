"""Saving the current filter (and as-of date) as a named view, kept in the database so every
user of a shared database sees it; replacing one of the same name, and deleting one."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from ...errors import Conflict, TrackerError
from ...records import View
from ...service import Tracker
from .. import text as lit
from ..query import Query
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal


def describe_filter(query: Query) -> Text:
    if query.waiting:
        return Text("waiting on me (items awaiting a consent you may give)")
    parts = [f"{name}={value}" for name, value in query.filter.to_json().items() if value]
    if query.as_of is not None:
        parts.append(f"as of {lit.when(query.as_of)}")
    return lit.literal(", ".join(parts) or "every item (no filter)")


class SaveViewModal(TrackerModal):
    """Ask for a name; save the filter under it. Dismisses with the View, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="view.cancel"),
        Binding("ctrl+s", "submit", "Save", id="view.submit"),
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
        with Dialog(id="view-dialog"):
            yield Static(
                Text("Save the current filter as a view", style="bold"), classes="dialog-title"
            )
            line = Text("filter: ", style="dim")
            line.append_text(describe_filter(self.filter))
            yield Static(line)
            yield Label("name (a word: letters, digits, - or _)")
            yield Input(placeholder="e.g. stalled-drills", id="name")
            yield Problem(id="name-error")
            with Vertical(classes="actions"), Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Replace it", variant="warning", id="replace")
                yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#replace", Button).display = False
        self.query_one("#name", Input).focus()

    @on(Input.Changed)
    def _typed(self) -> None:
        self.query_one("#name-error", Problem).update("")
        self.query_one("#replace", Button).display = False

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        if self.submit_allowed(event.input):
            self.action_submit()

    @on(Button.Pressed, "#save")
    def action_submit(self) -> None:
        self._save(replace=False)

    @on(Button.Pressed, "#replace")
    def _replace(self) -> None:
        self._save(replace=True)

    def _save(self, *, replace: bool) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.query_one("#name-error", Problem).update(Text("type a name"))
            return
        self.save(name, replace)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def save(self, name: str, replace: bool) -> None:
        query = self.filter
        try:
            view = self.tracker.save_view(
                name,
                query.filter,
                as_of=query.as_of,
                replace=replace,
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
        text = str(message.error)
        if isinstance(message.error, Conflict):
            text += ": Replace it overwrites it, for everyone"
            replace = self.query_one("#replace", Button)
            replace.display = True
            replace.focus()
        self.query_one("#name-error", Problem).update(Text(text))


class DeleteViewModal(TrackerModal):
    """Ask before deleting a saved view (every user of the database loses it). Dismisses
    with the name deleted, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="view_delete.cancel"),
    ]

    class Deleted(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, tracker: Tracker, view: View) -> None:
        super().__init__()
        self.tracker = tracker
        self.view = view

    def compose(self) -> ComposeResult:
        with Dialog(id="view-delete-dialog"):
            title = Text("Delete the view ", style="bold")
            title.append_text(lit.literal(self.view.name, "bold"))
            title.append("?", style="bold")
            yield Static(title, classes="dialog-title")
            yield Static(Text("Every user of this database loses it. Items are not touched."))
            yield Problem(id="delete-error")
            with Vertical(classes="actions"), Horizontal(classes="buttons"):
                yield Button("Delete", variant="error", id="delete")
                yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#delete")
    def _delete(self) -> None:
        self.delete()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def delete(self) -> None:
        try:
            self.tracker.delete_view(self.view.name)
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Deleted(self.view.name))

    @on(Deleted)
    def _deleted(self, message: Deleted) -> None:
        self.app.notify(f"view {message.name} deleted", markup=False)
        self.dismiss(message.name)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        self.query_one("#delete-error", Problem).update(Text(str(message.error)))
