"""What the dialogs that write one history entry for a trigger share (fire, approve,
withdraw): the reason, source and effective-date fields, the trigger's required fields named
in their labels and checked inline, and a date checked as it is typed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label

from ... import dates
from ...errors import TrackerError
from ...workflow import missing
from .base import Problem, TrackerModal

ENTRY_FIELDS = ("reason", "source", "at")


class EntryModal(TrackerModal):
    """A dialog with the reason, source and effective-date fields of one entry."""

    def entry_fields(self, reason_hint: str = "why") -> ComposeResult:
        yield Label("reason", id="reason-label")
        yield Input(placeholder=reason_hint, id="reason")
        yield Problem(id="reason-error")
        yield Label("source", id="source-label")
        yield Input(placeholder="citation: a document, an article, a URL", id="source")
        yield Problem(id="source-error")
        yield Label("effective date")
        yield Input(placeholder="empty: now; or 2026-01-30, 2026-01-30T09:00+09:00", id="at")
        yield Problem(id="at-error")

    def show_requirements(self, trigger: str, needs: Sequence[str]) -> None:
        """Name the fields `trigger` requires in their labels; clear the problems shown."""
        for name in ("reason", "source"):
            label = self.query_one(f"#{name}-label", Label)
            label.update(f"{name} (required for {trigger})" if name in needs else name)
        self.show_problems({})

    def entry_problems(self, trigger: str, needs: Sequence[str]) -> dict[str, str]:
        """A required field left empty, a date that does not parse: by field, shown under
        each field."""
        typed = {name: self.query_one(f"#{name}", Input).value for name in needs}
        problems = {name: f"{name} is required to {trigger}" for name in missing(needs, typed)}
        at = self.query_one("#at", Input).value.strip()
        if at:
            try:
                dates.parse_when(at)
            except TrackerError as exc:
                problems["at"] = str(exc)
        self.show_problems(problems)
        return problems

    def show_problems(self, problems: dict[str, str]) -> None:
        for name in ENTRY_FIELDS:
            self.query_one(f"#{name}-error", Problem).update(Text(problems.get(name, "")))
        if problems:
            self.query_one(f"#{next(iter(problems))}", Input).focus()

    def entry_values(self) -> tuple[str | None, str | None, str | None]:
        """reason, source, effective date, as typed (None where empty)."""
        reason, source, at = (
            self.query_one(f"#{name}", Input).value.strip() or None for name in ENTRY_FIELDS
        )
        return reason, source, at

    @on(Input.Changed)
    def _entry_typed(self, event: Input.Changed) -> None:
        if event.input.id not in ENTRY_FIELDS:
            return
        error = self.query_one(f"#{event.input.id}-error", Problem)
        if event.input.id == "at" and event.value.strip():
            try:
                dates.parse_when(event.value)
                error.update("")
            except TrackerError as exc:
                error.update(Text(str(exc)))
        elif event.value.strip():
            error.update("")

    @on(Input.Submitted)
    def _entry_entered(self, event: Input.Submitted) -> None:
        if self.submit_allowed(event.input):
            self.action_submit()

    def action_submit(self) -> None:
        raise NotImplementedError
