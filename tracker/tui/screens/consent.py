"""The consent dialogs (SPEC "Approvals"). On one item: a party's consent to a gated trigger
(`approve`; the consent that completes the set fires the trigger), or taking one back
(`withdraw`). On the marked items: one party's consent to one trigger on every one of them, in
one all-or-nothing batch (bulk_consent.py). The party chooser offers only the parties the
current actor may consent for (`Tracker.speaks_for`); a refusal by the service is shown in the
dialog, which stays open."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Select, Static

from ...errors import TrackerError
from ...records import FireResult
from ...service import Tracker
from .. import text as lit
from ..gates import (
    Found,
    Gate,
    may_speak,
    parties_to_approve,
    parties_to_withdraw,
    speaker,
)
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal
from .entry import EntryModal


class Unavailable(Message):
    """What a consent dialog needs could not be read (a party map that cannot be used, an
    item deleted meanwhile): said in the dialog, which writes nothing."""

    def __init__(self, error: TrackerError) -> None:
        super().__init__()
        self.error = error


def speaker_line(actor: str, speaks_for: tuple[str, ...] | None) -> Text:
    """`as kim (for ROK)`, dimmed."""
    out = Text("as ", style="dim")
    out.append_text(lit.literal(speaker(actor, speaks_for), "dim"))
    return out


def gate_label(gate: Gate) -> Text:
    """`sign → signed  awaiting JPN (have ROK)`."""
    out = Text(f"{gate.trigger}  → {gate.to_state}  ")
    out.append(f"awaiting {', '.join(gate.awaited) or 'nobody'}", style="bold")
    have = ", ".join(c.party for c in gate.consents)
    if have:
        out.append(f" (have {have})", style="dim")
    return out


class ConsentModal(EntryModal):
    """Approve (or, with `withdraw`, take back) a party's consent to a gated trigger of the
    item `key` from its state; dismisses with the FireResult, or None. It reads the item, its
    gates and the party map itself (in a worker), so what it offers is current."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="consent.cancel"),
        Binding("ctrl+s", "submit", "Save", id="consent.submit"),
    ]

    class Loaded(Message):
        def __init__(self, found: Found) -> None:
            super().__init__()
            self.found = found

    class Done(Message):
        def __init__(self, result: FireResult, note: str) -> None:
            super().__init__()
            self.result = result
            self.note = note

    def __init__(
        self, tracker: Tracker, key: str, *, withdraw: bool = False, trigger: str | None = None
    ) -> None:
        super().__init__()
        self.tracker = tracker
        self.key = key
        self.withdraw = withdraw
        self.initial = trigger
        self.found: Found | None = None
        # The footer names what ctrl+s records, as the button does (one class, two verbs).
        for key, bindings in self._bindings.key_to_bindings.items():
            self._bindings.key_to_bindings[key] = [
                replace(b, description=self.verb.capitalize()) if b.id == "consent.submit" else b
                for b in bindings
            ]

    @property
    def verb(self) -> str:
        return "withdraw" if self.withdraw else "approve"

    def title_text(self, key: str) -> Text:
        verb = "Withdraw a consent on " if self.withdraw else "Consent to a trigger on "
        title = Text(verb, style="bold")
        title.append_text(lit.literal(key, "bold"))
        return title

    def compose(self) -> ComposeResult:
        with Dialog(id="consent-dialog"):
            yield Static(self.title_text(self.key), classes="dialog-title", id="consent-title")
            yield Static(Text("as …", style="dim"), id="speaker")
            yield Label("trigger (it fires when every party has approved)")
            yield Select([], prompt="checking…", id="trigger")
            yield Label("party", id="party-label")
            yield Select([], prompt="checking…", id="party")
            yield Problem(id="party-error")
            yield from self.entry_fields("why (recorded with the consent)")
            with Vertical(classes="actions"):
                yield Problem(id="refusal")
                with Horizontal(classes="buttons"):
                    yield Button(
                        self.verb.capitalize(), variant="primary", id="consent", disabled=True
                    )
                    yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#party", Select).focus()
        self.load()

    @work(thread=True, exclusive=True, group="consent-load", exit_on_error=False)
    def load(self) -> None:
        try:
            found = Found.read(self.tracker, self.key)
        except TrackerError as exc:  # a party map that cannot be used, an item gone
            self.post_message(Unavailable(exc))
            return
        self.post_message(self.Loaded(found))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        found = self.found = message.found
        title = self.title_text(found.item.key)
        title.append("  (now ")
        title.append_text(lit.state(found.item.state))
        title.append(")")
        self.query_one("#consent-title", Static).update(title)
        self.query_one("#speaker", Static).update(speaker_line(found.actor, found.speaks_for))
        gates = self.gates
        select = self.query_one("#trigger", Select)
        with select.prevent(Select.Changed):
            select.set_options([(gate_label(g), g.trigger) for g in gates])
            chosen = next((g for g in gates if g.trigger == self.initial), None)
            if chosen or gates:
                select.value = (chosen or gates[0]).trigger
        select.prompt = "none"  # read: no longer "checking…" (the line below says why)
        self._show_gate()

    @property
    def gates(self) -> list[Gate]:
        """The gates this dialog offers: those with a consent to take back, for withdraw."""
        found = self.found.gates if self.found else ()
        return [g for g in found if g.consents or not self.withdraw]

    @property
    def gate(self) -> Gate | None:
        value = self.query_one("#trigger", Select).value
        return next((g for g in self.gates if g.trigger == value), None)

    @property
    def party(self) -> str | None:
        value = self.query_one("#party", Select).value
        return value if isinstance(value, str) else None

    def _choices(self, gate: Gate) -> tuple[str, ...]:
        speaks_for = self.found.speaks_for if self.found else ()
        pick = parties_to_withdraw if self.withdraw else parties_to_approve
        return pick(gate, speaks_for)

    def _show_gate(self) -> None:
        """The party chooser and the required fields for the trigger chosen."""
        gate = self.gate
        party = self.query_one("#party", Select)
        choices = self._choices(gate) if gate else ()
        with party.prevent(Select.Changed):
            party.set_options([(p, p) for p in choices])
            if choices:
                party.value = choices[0]
        if self.found is not None:
            party.prompt = "none"
        self.query_one("#party-error", Problem).update(self._no_party(gate, choices))
        self.query_one("#consent", Button).disabled = not choices
        if gate is not None and self.found is not None:
            self.show_requirements(gate.trigger, self.found.workflow.requires(gate.trigger))

    def _no_party(self, gate: Gate | None, choices: tuple[str, ...]) -> Text:
        """Why there is nothing to choose (empty when there is)."""
        found = self.found
        if choices or found is None:
            return Text("")
        if gate is None:
            what = "consent to take back" if self.withdraw else "trigger that needs consent"
            return Text(f"{found.item.key} has no {what} from {found.item.state}")
        if self.withdraw:
            given = ", ".join(c.party for c in gate.consents)
            return Text(f"you may take back none of the consents given ({given})")
        if not gate.awaited:
            return Text(f"every party has approved {gate.trigger}")
        mine = [p for p in gate.required if may_speak(found.speaks_for, p)]
        done = f" ({', '.join(mine)} approved already)" if mine else ""
        spoken = ", ".join(found.speaks_for or ()) or "no party"
        return Text(
            f"{gate.trigger} awaits {', '.join(gate.awaited)}; you may consent for {spoken}{done}"
        )

    @on(Select.Changed, "#trigger")
    def _trigger_changed(self) -> None:
        self._show_gate()
        self.query_one("#refusal", Problem).update("")

    @on(Select.Changed, "#party")
    def _party_changed(self) -> None:
        self.query_one("#refusal", Problem).update("")

    @on(Button.Pressed, "#consent")
    def action_submit(self) -> None:
        gate, party, found = self.gate, self.party, self.found
        if gate is None or party is None or found is None:
            return  # the button is disabled and the party line says why
        if self.entry_problems(gate.trigger, found.workflow.requires(gate.trigger)):
            return
        self.query_one("#refusal", Problem).update("")
        self.write(found.item.key, gate, party, *self.entry_values())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="consent", exit_on_error=False)
    def write(
        self,
        key: str,
        gate: Gate,
        party: str,
        reason: str | None,
        source: str | None,
        at: str | None,
    ) -> None:
        call = self.tracker.withdraw if self.withdraw else self.tracker.approve
        try:
            result = call(key, gate.trigger, party=party, reason=reason, source=source, at=at)
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Done(result, outcome(result, gate, party, self.withdraw)))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.app.notify(message.note, markup=False)
        self.dismiss(message.result)

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        self.query_one("#refusal", Problem).update(Text(f"refused: {message.error}"))

    @on(Unavailable)
    def _unavailable(self, message: Unavailable) -> None:
        self.query_one("#refusal", Problem).update(Text(f"cannot consent: {message.error}"))
        for select in self.query(Select).results(Select):
            select.prompt = "none"


def outcome(result: FireResult, gate: Gate, party: str, withdraw: bool) -> str:
    """What a consent did, in a line: fired, still awaiting, or taken back."""
    key, entry = result.item.key, result.entry
    if withdraw:
        return f"{key}: {party} withdrew its consent to {gate.trigger}"
    if entry.trigger == gate.trigger:
        return (
            f"{key}: {gate.trigger}, {entry.from_state} → {entry.to_state} "
            f"(every party has consented)"
        )
    awaited = [p for p in gate.awaited if p != party]
    return f"{key}: {party} approved {gate.trigger}; awaiting {', '.join(awaited)}"
