"""The bulk fire dialog: one trigger, one reason and source, on every marked item. Before
confirming it lists the items the trigger is not allowed for (the service's check_fire);
confirming fires it on the rest in one all-or-nothing batch (the service's fire_many)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from ... import dates
from ...errors import TrackerError
from ...records import FireCheck
from ...service import Tracker
from .. import text as lit
from .base import TrackerModal

REFUSED_SHOWN = 50


def refused_lines(check: FireCheck) -> Text:
    """`KEY  state (allowed: ...)` for each item the trigger is not allowed for."""
    out = Text()
    for refusal in check.refused[:REFUSED_SHOWN]:
        out.append_text(lit.literal(refusal.key, "bold"))
        out.append("  is ")
        out.append_text(lit.state(refusal.state))
        allowed = ", ".join(refusal.allowed_triggers) or "none"
        out.append(f"  (allowed: {allowed})\n", style="dim")
    more = len(check.refused) - REFUSED_SHOWN
    if more > 0:
        out.append(f"… and {more:,} more\n", style="dim")
    out.rstrip()
    return out


class BulkFireModal(TrackerModal):
    """Fire one trigger on `keys`; dismisses with how many were fired, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk.cancel"),
        Binding("ctrl+s", "submit", "Fire", id="bulk.submit"),
    ]

    class Checked(Message):
        def __init__(self, check: FireCheck) -> None:
            super().__init__()
            self.check = check

    class Fired(Message):
        def __init__(self, count: int, trigger: str) -> None:
            super().__init__()
            self.count = count
            self.trigger = trigger

    def __init__(self, tracker: Tracker, keys: Sequence[str]) -> None:
        super().__init__()
        self.tracker = tracker
        self.keys = list(keys)
        self.check: FireCheck | None = None
        triggers: dict[str, None] = {}
        for workflow in tracker.workflows.by_name.values():
            triggers.update(dict.fromkeys(workflow.triggers))
        self.triggers = list(triggers)

    def compose(self) -> ComposeResult:
        with Vertical(id="bulk-dialog", classes="dialog"):
            yield Static(
                Text(f"Fire one trigger on {len(self.keys):,} marked items", style="bold"),
                classes="dialog-title",
            )
            yield Label("trigger")
            options = [(t, t) for t in self.triggers]
            yield Select(options, value=self.triggers[0], allow_blank=False, id="trigger")
            yield Static(Text("checking…", style="dim"), id="verdict")
            with VerticalScroll(id="refused-box"):
                yield Static(id="refused")
            yield Label("reason", id="reason-label")
            yield Input(placeholder="why (one reason for all)", id="reason")
            yield Label("source", id="source-label")
            yield Input(placeholder="citation: a document, an article, a URL", id="source")
            yield Label("effective date")
            yield Input(placeholder="now (or 2026-01-30, 2026-01-30T09:00+09:00)", id="at")
            yield Static(classes="error", id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Fire", variant="primary", id="fire", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#trigger", Select).focus()
        self.run_check(self.trigger)

    @property
    def trigger(self) -> str:
        value = self.query_one("#trigger", Select).value
        return value if isinstance(value, str) else self.triggers[0]

    @on(Select.Changed, "#trigger")
    def _trigger_changed(self) -> None:
        self.check = None
        self.query_one("#fire", Button).disabled = True
        self.query_one("#verdict", Static).update(Text("checking…", style="dim"))
        self.query_one("#problem", Static).update("")
        self.run_check(self.trigger)

    @work(thread=True, exclusive=True, group="bulk-check", exit_on_error=False)
    def run_check(self, trigger: str) -> None:
        self.post_message(self.Checked(self.tracker.check_fire(self.keys, trigger)))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        check = message.check
        if check.trigger != self.trigger:
            return
        self.check = check
        verdict = Text()
        verdict.append(f"{len(check.allowed):,} will {check.trigger}", style="bold")
        if check.refused:
            verdict.append(f"; {len(check.refused):,} cannot (left out):", style="bold red")
        self.query_one("#verdict", Static).update(verdict)
        self.query_one("#refused", Static).update(refused_lines(check))
        self.query_one("#refused-box").display = bool(check.refused)
        for name in ("reason", "source"):
            label = self.query_one(f"#{name}-label", Label)
            needed = name in check.requires
            label.update(f"{name} (required for {check.trigger})" if needed else name)
        button = self.query_one("#fire", Button)
        button.label = f"Fire on {len(check.allowed):,}"
        button.disabled = not check.allowed

    def _problem(self) -> str | None:
        check = self.check
        if check is None:
            return "wait for the check to finish"
        if not check.allowed:
            return f"{check.trigger} is allowed for none of the marked items"
        for name in check.requires:
            if not self.query_one(f"#{name}", Input).value.strip():
                return f"{name} is required to {check.trigger}"
        at = self.query_one("#at", Input).value.strip()
        if at:
            try:
                dates.parse_when(at)
            except TrackerError as exc:
                return str(exc)
        return None

    @on(Button.Pressed, "#fire")
    @on(Input.Submitted)
    def action_submit(self) -> None:
        problem = self._problem()
        self.query_one("#problem", Static).update(Text(problem or ""))
        if problem is not None or self.check is None:
            return

        def value(name: str) -> str | None:
            return self.query_one(f"#{name}", Input).value.strip() or None

        self.query_one("#fire", Button).disabled = True
        self.fire(self.check, value("reason"), value("source"), value("at"))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="bulk-fire", exit_on_error=False)
    def fire(
        self, check: FireCheck, reason: str | None, source: str | None, at: str | None
    ) -> None:
        try:
            self.tracker.fire_many(
                check.allowed, check.trigger, reason=reason, source=source, at=at
            )
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Fired(len(check.allowed), check.trigger))

    @on(Fired)
    def _fired(self, message: Fired) -> None:
        self.app.notify(f"{message.trigger}: {message.count:,} items", markup=False)
        self.dismiss(message.count)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        # Nothing was written (one batch); states may have moved: check again.
        self.query_one("#problem", Static).update(
            Text(f"refused, nothing written: {message.error}")
        )
        self.run_check(self.trigger)
