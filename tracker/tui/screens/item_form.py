"""The add and edit forms. Each field is checked as it is typed, by the same rules the
service applies (tracker.fields); the service has the last word and its refusal is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static, TextArea

from ... import dates, fields
from ...errors import TrackerError
from ...records import Item
from ...service import Tracker
from .. import text as lit
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal


def split_parties(typed: str) -> list[str]:
    return [p for p in typed.replace(",", " ").split() if p]


CHECKS: dict[str, Callable[[str], Any]] = {
    "key": fields.key,
    "title": lambda v: fields.text("title", v, required=True),
    "kind": fields.kind,
    "parties": lambda v: fields.parties(split_parties(v)),
    "reason": lambda v: fields.text("reason", v, multiline=True),
    "at": lambda v: dates.parse_when(v) if v.strip() else None,
}


class ItemForm(TrackerModal):
    """Add an item (no `item`) or edit one's title, description and parties."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="form.submit"),
    ]

    class Saved(Message):
        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    def __init__(self, tracker: Tracker, item: Item | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.item = item

    @property
    def adding(self) -> bool:
        return self.item is None

    def compose(self) -> ComposeResult:
        item = self.item
        with Dialog(id="form"):
            if item is None:
                yield Static(Text("Add an item", style="bold"), classes="dialog-title")
                yield from self._field("key", "key", "e.g. GSOMIA", "")
            else:
                title = Text("Edit ", style="bold")
                title.append_text(lit.literal(item.key, "bold"))
                yield Static(title, classes="dialog-title")
            yield from self._field("title", "title", "what it is", item.title if item else "")
            if item is None:
                yield from self._field("kind", "kind", "e.g. exercise, agreement", "")
            parties = " ".join(item.parties) if item else ""
            yield from self._field("parties", "parties", "e.g. ROK JPN USA", parties)
            yield Label("description")
            yield TextArea(item.description if item else "", id="description")
            if item is not None:
                yield from self._field("reason", "reason (optional)", "why", "")
            else:
                yield from self._field(
                    "at", "effective date", "now (or 2026-01-30, 2026-01-30T09:00+09:00)", ""
                )
            with Vertical(classes="actions"):
                yield Problem(id="form-error")
                with Horizontal(classes="buttons"):
                    yield Button("Add" if item is None else "Save", variant="primary", id="save")
                    yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def _field(self, name: str, label: str, placeholder: str, value: str) -> ComposeResult:
        yield Label(label)
        yield Input(value, placeholder=placeholder, id=name)
        yield Problem(id=f"{name}-error")

    def on_mount(self) -> None:
        self.query_one("#key" if self.adding else "#title", Input).focus()

    def _check(self, name: str) -> str | None:
        """The problem with field `name`, shown under it (None when it is fine)."""
        value = self.query_one(f"#{name}", Input).value
        try:
            CHECKS[name](value)
            problem = None
        except TrackerError as exc:
            problem = str(exc)
        self.query_one(f"#{name}-error", Problem).update(Text(problem or ""))
        return problem

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id in CHECKS:
            self._check(event.input.id)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        if self.submit_allowed(event.input):
            self.action_submit()

    @on(Button.Pressed, "#save")
    def action_submit(self) -> None:
        names = [n for n in CHECKS if self.query(f"#{n}")]
        problems = [n for n in names if self._check(n)]
        if problems:
            self.query_one(f"#{problems[0]}", Input).focus()
            return
        values = {n: self.query_one(f"#{n}", Input).value for n in names}
        values["description"] = self.query_one("#description", TextArea).text
        self.query_one("#form-error", Problem).update("")
        self.save(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def save(self, values: dict[str, str]) -> None:
        parties = split_parties(values["parties"])
        try:
            if self.item is None:
                item = self.tracker.add(
                    values["key"],
                    values["title"],
                    values["kind"],
                    parties,
                    values["description"],
                    at=values.get("at", "").strip() or None,
                )
            else:
                item = self.tracker.edit(
                    self.item.key,
                    title=values["title"],
                    description=values["description"],
                    parties=parties,
                    reason=values.get("reason") or None,
                ).item
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Saved(item))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        verb = "added" if self.adding else "saved"
        self.app.notify(f"{verb} {message.item.key}", markup=False)
        self.dismiss(message.item)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        self.query_one("#form-error", Problem).update(Text(f"refused: {message.error}"))
