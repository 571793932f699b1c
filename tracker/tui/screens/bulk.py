"""The bulk fire dialog: one trigger, one reason and source, on every marked item. The trigger
list says how many marked items each trigger would move (the service's check_fire_all) and
starts on the one most can take; the items a trigger is not allowed for are listed below the
form. Confirming fires it on the rest in one all-or-nothing batch (the service's fire_many)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from ... import dates
from ...errors import TrackerError
from ...records import FireCheck
from ...service import Tracker
from ...workflow import missing
from .. import text as lit
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal

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


def trigger_label(check: FireCheck, marked: int) -> Text:
    """`stall  3 of 4` (dim when it would move none)."""
    moved = len(check.allowed)
    return Text(f"{check.trigger}  {moved:,} of {marked:,}", style="" if moved else "dim")


def best(checks: Sequence[FireCheck]) -> FireCheck | None:
    """The check of the trigger most of the items can take (the first such, on a tie)."""
    return max(checks, key=lambda check: len(check.allowed), default=None)


class BulkFireModal(TrackerModal):
    """Fire one trigger on `keys`; dismisses with how many were fired, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk.cancel"),
        Binding("ctrl+s", "submit", "Fire", id="bulk.submit"),
    ]

    class Checked(Message):
        def __init__(self, checks: list[FireCheck]) -> None:
            super().__init__()
            self.checks = checks

    class Fired(Message):
        def __init__(self, count: int, trigger: str) -> None:
            super().__init__()
            self.count = count
            self.trigger = trigger

    def __init__(self, tracker: Tracker, keys: Sequence[str]) -> None:
        super().__init__()
        self.tracker = tracker
        self.keys = list(keys)
        self.checks: dict[str, FireCheck] = {}
        self.writing = False
        self.triggers = list(tracker.workflows.triggers)

    def compose(self) -> ComposeResult:
        marked = len(self.keys)
        with Dialog(id="bulk-dialog"):
            yield Static(
                Text(f"Fire one trigger on {lit.counted(marked, 'marked item')}", style="bold"),
                classes="dialog-title",
            )
            yield Label("trigger (how many of the marked items it moves)")
            options = [(t, t) for t in self.triggers]
            yield Select(options, value=self.triggers[0], allow_blank=False, id="trigger")
            yield Static(Text("checking…", style="dim"), id="verdict")
            yield Label("reason", id="reason-label")
            yield Input(placeholder="why (one reason for all)", id="reason")
            yield Label("source", id="source-label")
            yield Input(placeholder="citation: a document, an article, a URL", id="source")
            yield Label("effective date")
            yield Input(placeholder="empty: now; or 2026-01-30, 2026-01-30T09:00+09:00", id="at")
            yield Static(id="refused")
            with Vertical(classes="actions"):
                yield Problem(id="problem")
                with Horizontal(classes="buttons"):
                    yield Button("Fire", variant="primary", id="fire", disabled=True)
                    yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#trigger", Select).focus()
        self.run_check()

    @property
    def trigger(self) -> str:
        value = self.query_one("#trigger", Select).value
        return value if isinstance(value, str) else self.triggers[0]

    @property
    def check(self) -> FireCheck | None:
        return self.checks.get(self.trigger)

    @work(thread=True, exclusive=True, group="bulk-check", exit_on_error=False)
    def run_check(self) -> None:
        self.post_message(self.Checked(self.tracker.check_fire_all(self.keys)))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        first = not self.checks
        self.checks = {check.trigger: check for check in message.checks}
        marked = len(self.keys)
        select = self.query_one("#trigger", Select)
        chosen = best(message.checks) if first else self.check
        with select.prevent(Select.Changed):
            select.set_options([(trigger_label(c, marked), c.trigger) for c in message.checks])
            if chosen is not None:
                select.value = chosen.trigger
        self._show_check()

    @on(Select.Changed, "#trigger")
    def _trigger_changed(self) -> None:
        self.query_one("#problem", Problem).update("")
        self._show_check()

    def _show_check(self) -> None:
        check = self.check
        button = self.query_one("#fire", Button)
        if check is None:
            self.query_one("#verdict", Static).update(Text("checking…", style="dim"))
            button.disabled = True
            return
        verdict = Text()
        verdict.append(f"{len(check.allowed):,} will {check.trigger}", style="bold")
        if check.refused:
            verdict.append(
                f"; {len(check.refused):,} cannot (left out, listed below)", style="bold red"
            )
        self.query_one("#verdict", Static).update(verdict)
        refused = self.query_one("#refused", Static)
        refused.update(refused_lines(check))
        refused.display = bool(check.refused)
        for name in ("reason", "source"):
            label = self.query_one(f"#{name}-label", Label)
            needed = name in check.requires
            label.update(f"{name} (required for {check.trigger})" if needed else name)
        button.label = f"Fire on {len(check.allowed):,}"
        button.disabled = not check.allowed or self.writing

    def _problem(self) -> tuple[str, str | None] | None:
        """What stops the write, and the field to fix it in."""
        check = self.check
        if check is None:
            return "wait for the check to finish", None
        if not check.allowed:
            return f"{check.trigger} is allowed for none of the marked items", "trigger"
        typed = {name: self.query_one(f"#{name}", Input).value for name in check.requires}
        for name in missing(check.requires, typed):
            return f"{name} is required to {check.trigger}", name
        at = self.query_one("#at", Input).value.strip()
        if at:
            try:
                dates.parse_when(at)
            except TrackerError as exc:
                return str(exc), "at"
        return None

    @on(Input.Changed)
    def _typed(self) -> None:
        self.query_one("#problem", Problem).update("")

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        if self.submit_allowed(event.input):
            self.action_submit()

    @on(Button.Pressed, "#fire")
    def action_submit(self) -> None:
        if self.writing:
            return
        problem = self._problem()
        check = self.check
        if problem is not None or check is None:
            text, field = problem or ("", None)
            self.query_one("#problem", Problem).update(Text(text))
            if field is not None:
                self.query_one(f"#{field}").focus()
            return
        self.query_one("#problem", Problem).update("")

        def value(name: str) -> str | None:
            return self.query_one(f"#{name}", Input).value.strip() or None

        self._busy(True, check)
        self.fire(check, value("reason"), value("source"), value("at"))

    def _busy(self, writing: bool, check: FireCheck) -> None:
        """While the batch is written: say so, and take no second submit nor a cancel (the
        write goes on either way)."""
        self.writing = writing
        button = self.query_one("#fire", Button)
        button.label = f"Firing on {len(check.allowed):,}…" if writing else "Fire"
        self.query_one("#cancel", Button).disabled = writing
        self.query_one("#bulk-dialog").set_class(writing, "-busy")
        if writing:
            self.query_one("#verdict", Static).update(
                Text(f"writing {len(check.allowed):,} history entries…", style="bold")
            )
        else:
            self._show_check()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.writing:
            self.notify("the batch is being written; it cannot be cancelled now", timeout=3)
            return
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
        self.app.notify(f"{message.trigger}: {lit.counted(message.count, 'item')}", markup=False)
        self.dismiss(message.count)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        # Nothing was written (one batch); states may have moved: check again. Focus stays
        # where it was (the Fire button), which the busy state never disabled.
        check = self.check
        if check is not None:
            self._busy(False, check)
        self.query_one("#problem", Problem).update(
            Text(f"refused, nothing written: {message.error}")
        )
        self.run_check()
