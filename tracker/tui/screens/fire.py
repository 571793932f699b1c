"""The fire modal: trigger, reason (validated inline where the workflow requires it), source,
effective date (empty means now). A refusal or a conflict is shown in the modal."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from ...errors import Conflict, TrackerError
from ...records import FireResult, Item
from ...service import Tracker
from .. import text as lit
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal
from .entry import EntryModal


class FireModal(EntryModal):
    """Fire one trigger on one item; dismisses with the FireResult, or None on cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="fire.cancel"),
        Binding("ctrl+s", "submit", "Fire", id="fire.submit"),
    ]

    class Fired(Message):
        def __init__(self, result: FireResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, tracker: Tracker, item: Item, trigger: str | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.item = item
        self.workflow = tracker.workflows.by_name.get(item.workflow) or tracker.workflow()
        allowed = item.allowed_triggers
        self.initial = trigger or (allowed[0] if allowed else self.workflow.triggers[0])

    def _options(self) -> list[tuple[Text, str]]:
        options = []
        allowed = self.item.allowed_triggers
        ordered = [*allowed, *[t for t in self.workflow.triggers if t not in allowed]]
        for trigger in ordered:
            target = self.workflow.leads_to(self.item.state, trigger)
            if target is not None and self.workflow.needs_consent(trigger, self.item.state):
                # Refused until every party has approved; the last consent fires it (A).
                label = Text(f"{trigger}  → {target}  (needs every consent: A approves)")
                options.append((label, trigger))
            elif target is not None:
                options.append((Text(f"{trigger}  → {target}"), trigger))
            else:
                label = Text(f"{trigger}  (not allowed from {self.item.state})", style="dim")
                options.append((label, trigger))
        return options

    def compose(self) -> ComposeResult:
        with Dialog(id="dialog"):
            title = Text("Fire a trigger on ", style="bold")
            title.append_text(lit.literal(self.item.key, "bold"))
            title.append("  (now ")
            title.append_text(lit.state(self.item.state))
            title.append(")")
            yield Static(title, classes="dialog-title")
            yield Label("trigger")
            yield Select(self._options(), value=self.initial, allow_blank=False, id="trigger")
            yield from self.entry_fields()
            with Vertical(classes="actions"):
                yield Problem(id="refusal")
                with Horizontal(classes="buttons"):
                    yield Button("Fire", variant="primary", id="fire")
                    yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._show_requirements()
        self.query_one("#reason", Input).focus()

    @property
    def trigger(self) -> str:
        value = self.query_one("#trigger", Select).value
        return value if isinstance(value, str) else self.initial

    def _show_requirements(self) -> None:
        self.show_requirements(self.trigger, self.workflow.requires(self.trigger))

    @on(Select.Changed, "#trigger")
    def _trigger_changed(self) -> None:
        self._show_requirements()
        self.query_one("#refusal", Static).update("")

    @on(Button.Pressed, "#fire")
    def action_submit(self) -> None:
        if self.entry_problems(self.trigger, self.workflow.requires(self.trigger)):
            return
        self.query_one("#refusal", Static).update("")
        self.fire(self.trigger, *self.entry_values())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="fire", exit_on_error=False)
    def fire(self, trigger: str, reason: str | None, source: str | None, at: str | None) -> None:
        try:
            result = self.tracker.fire(
                self.item.key,
                trigger,
                reason=reason,
                source=source,
                at=at,
                expect_state=self.item.state,
            )
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Fired(result))

    @on(Fired)
    def _fired(self, message: Fired) -> None:
        entry = message.result.entry
        self.app.notify(
            f"{message.result.item.key}: {entry.trigger}, {entry.from_state} → {entry.to_state}",
            markup=False,
        )
        self.dismiss(message.result)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        text = str(message.error)
        if isinstance(message.error, Conflict):
            text += " (another writer changed it; the screen was refreshed: cancel and retry)"
            data_changed = getattr(self.app, "data_changed", None)
            if data_changed is not None:
                data_changed()
        self.query_one("#refusal", Static).update(Text(f"refused: {text}"))
