"""The comment modal: a note on an item that leaves its state as it is (a `comment` history
entry, chained and verified like any other). From the items list and the item screen."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static, TextArea

from ...errors import TrackerError
from ...records import FireResult
from ...service import Tracker
from ...workflow import COMMENT_REQUIRES, missing
from .. import text as lit
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal


class CommentModal(TrackerModal):
    """Write a comment on `key`; dismisses with the FireResult, or None on cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="comment.cancel"),
        Binding("ctrl+s", "submit", "Save", id="comment.submit"),
    ]

    class Saved(Message):
        def __init__(self, result: FireResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, tracker: Tracker, key: str) -> None:
        super().__init__()
        self.tracker = tracker
        self.key = key

    def compose(self) -> ComposeResult:
        with Dialog(id="comment-dialog"):
            title = Text("Comment on ", style="bold")
            title.append_text(lit.literal(self.key, "bold"))
            title.append("  (the state stays as it is)", style="dim")
            yield Static(title, classes="dialog-title")
            yield Label("comment (ctrl+s saves)")
            yield TextArea(id="text")
            yield Problem(id="text-error")
            yield Label("source")
            yield Input(placeholder="citation: a document, an article, a URL", id="source")
            with Vertical(classes="actions"):
                yield Problem(id="refusal")
                with Horizontal(classes="buttons"):
                    yield Button("Save", variant="primary", id="save")
                    yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    @on(Input.Submitted, "#source")
    def _entered(self, event: Input.Submitted) -> None:
        if self.submit_allowed(event.input):
            self.action_submit()

    @on(Button.Pressed, "#save")
    def action_submit(self) -> None:
        text = self.query_one("#text", TextArea).text.strip()
        if missing(COMMENT_REQUIRES, {"reason": text}):
            self.query_one("#text-error", Problem).update(Text("write a comment first"))
            self.query_one("#text", TextArea).focus()
            return
        self.query_one("#text-error", Problem).update("")
        source = self.query_one("#source", Input).value.strip() or None
        self.save(text, source)

    @on(TextArea.Changed)
    def _typed(self) -> None:
        self.query_one("#text-error", Problem).update("")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="comment", exit_on_error=False)
    def save(self, text: str, source: str | None) -> None:
        try:
            result = self.tracker.comment(self.key, text, source=source)
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Saved(result))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.app.notify(f"{message.result.item.key}: comment saved", markup=False)
        self.dismiss(message.result)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        self.query_one("#refusal", Problem).update(Text(f"refused: {message.error}"))
