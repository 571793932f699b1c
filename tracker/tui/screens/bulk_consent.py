"""The bulk consent dialog (SPEC "Approvals"): one party's consent to one trigger on every
marked item, in one all-or-nothing batch (`Tracker.apply`). It lists the marked items that do
not await that consent and writes nothing until they are unmarked; a batch refused anyway (the
items moved) writes nothing and the dialog reads the items again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Select, Static

from ...errors import TrackerError
from ...service import Tracker
from .. import text as lit
from ..gates import BulkCheck, Marked, marked_gates, may_speak
from ..widgets.footer import KeysFooter
from .base import Dialog, Problem, TrackerModal
from .consent import Unavailable, speaker_line
from .entry import EntryModal

REFUSED_SHOWN = 20


class BulkConsentModal(EntryModal):
    """One party's consent to one trigger on every marked item, all or nothing: it is written
    only when every marked item awaits it. Dismisses with how many consents were given."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk_consent.cancel"),
        Binding("ctrl+s", "submit", "Approve", id="bulk_consent.submit"),
    ]

    class Loaded(Message):
        def __init__(
            self, marked: list[Marked], actor: str, speaks_for: tuple[str, ...] | None
        ) -> None:
            super().__init__()
            self.marked = marked
            self.actor = actor
            self.speaks_for = speaks_for

    class Approved(Message):
        def __init__(self, check: BulkCheck, fired: int) -> None:
            super().__init__()
            self.check = check
            self.fired = fired

    def __init__(self, tracker: Tracker, keys: Sequence[str]) -> None:
        super().__init__()
        self.tracker = tracker
        self.keys = list(keys)
        self.marked: list[Marked] | None = None
        self.speaks_for: tuple[str, ...] | None = None
        self.writing = False

    def compose(self) -> ComposeResult:
        with Dialog(id="bulk-consent-dialog"):
            yield Static(
                Text(
                    f"Consent on {lit.counted(len(self.keys), 'marked item')} (all or nothing)",
                    style="bold",
                ),
                classes="dialog-title",
            )
            yield Static(Text("as …", style="dim"), id="speaker")
            yield Label("trigger")
            yield Select([], prompt="checking…", id="trigger")
            yield Label("party")
            yield Select([], prompt="checking…", id="party")
            yield Static(Text("checking…", style="dim"), id="verdict")
            yield from self.entry_fields("why (one reason for all)")
            yield Static(id="refused")
            with Vertical(classes="actions"):
                yield Problem(id="refusal")
                with Horizontal(classes="buttons"):
                    yield Button("Approve", variant="primary", id="consent", disabled=True)
                    yield Button("Cancel", id="cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#trigger", Select).focus()
        self.load()

    @work(thread=True, exclusive=True, group="bulk-consent-check", exit_on_error=False)
    def load(self) -> None:
        try:
            marked = marked_gates(self.tracker, self.keys)
            actor, speaks_for = self.tracker.default_actor, self.tracker.speaks_for()
        except TrackerError as exc:
            self.post_message(Unavailable(exc))
            return
        self.post_message(self.Loaded(marked, actor, speaks_for))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.marked = message.marked
        self.speaks_for = message.speaks_for
        self.query_one("#speaker", Static).update(speaker_line(message.actor, message.speaks_for))
        gates = [g for one in message.marked for g in one.gates]
        triggers = list(dict.fromkeys(g.trigger for g in gates))
        parties = sorted({p for g in gates for p in g.required if may_speak(message.speaks_for, p)})
        # It starts on the consent most of the marked items await (as bulk fire starts on the
        # trigger most can take), not on the first party in the alphabet.
        awaited = Counter(
            (g.trigger, p) for g in gates for p in g.awaited if may_speak(message.speaks_for, p)
        )
        most = awaited.most_common(1)[0][0] if awaited else (None, None)
        # Read again (after a refusal), the choice made stays.
        for name, values, first in (("trigger", triggers, most[0]), ("party", parties, most[1])):
            select = self.query_one(f"#{name}", Select)
            chosen = select.value
            with select.prevent(Select.Changed):
                select.set_options([(v, v) for v in values])
                if values:
                    kept = chosen if chosen in values else first
                    select.value = kept if kept in values else values[0]
            select.prompt = "none"  # read: no longer "checking…" (the verdict says why)
        self._show_check()

    @property
    def check(self) -> BulkCheck | None:
        trigger = self.query_one("#trigger", Select).value
        party = self.query_one("#party", Select).value
        if self.marked is None or not isinstance(trigger, str) or not isinstance(party, str):
            return None
        return BulkCheck.of(self.marked, trigger, party)

    @on(Select.Changed)
    def _chosen(self) -> None:
        self.query_one("#refusal", Problem).update("")
        self._show_check()

    def _show_check(self) -> None:
        check = self.check
        verdict = Text()
        refused = Text()
        if self.marked is None:
            verdict.append("checking…", style="dim")
        elif check is None:
            verdict.append(
                "no marked item awaits a consent you may give (its gated triggers, "
                "the parties you speak for)",
                style="bold red",
            )
        else:
            marked = len(self.keys)
            verdict.append(
                f"{len(check.ready):,} of {marked:,} await {check.party}'s consent to "
                f"{check.trigger}",
                style="bold",
            )
            if check.refused:
                verdict.append("; all or nothing: unmark the others", style="bold red")
            for key, why in check.refused[:REFUSED_SHOWN]:
                refused.append_text(lit.literal(key, "bold"))
                refused.append(f"  {why}\n", style="dim")
            if len(check.refused) > REFUSED_SHOWN:
                refused.append(f"… and {len(check.refused) - REFUSED_SHOWN:,} more\n")
            refused.rstrip()
            self.show_requirements(check.trigger, self._requires(check.trigger))
        self.query_one("#verdict", Static).update(verdict)
        shown = self.query_one("#refused", Static)
        shown.update(refused)
        shown.display = bool(refused)
        button = self.query_one("#consent", Button)
        button.disabled = self.writing or check is None or bool(check.refused)
        if check is not None:
            button.label = "Approving…" if self.writing else f"Approve on {len(check.ready):,}"

    def _requires(self, trigger: str) -> tuple[str, ...]:
        """The fields `trigger` requires in any marked item's workflow."""
        needs: dict[str, None] = {}
        for one in self.marked or ():
            needs.update(dict.fromkeys(self.tracker.workflow(one.item.workflow).requires(trigger)))
        return tuple(needs)

    @on(Button.Pressed, "#consent")
    def action_submit(self) -> None:
        check = self.check
        if self.writing or check is None:
            return
        if check.refused:
            self.query_one("#refusal", Problem).update(
                Text("all or nothing: every marked item must await this consent")
            )
            return
        if self.entry_problems(check.trigger, self._requires(check.trigger)):
            return
        self.query_one("#refusal", Problem).update("")
        self.writing = True
        self._show_check()
        self.write(check, *self.entry_values())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.writing:
            self.notify("the batch is being written; it cannot be cancelled now", timeout=3)
            return
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="bulk-consent", exit_on_error=False)
    def write(
        self, check: BulkCheck, reason: str | None, source: str | None, at: str | None
    ) -> None:
        ops = [
            {
                "op": "approve",
                "key": key,
                "trigger": check.trigger,
                "party": check.party,
                "reason": reason,
                "source": source,
                "at": at,
            }
            for key in check.ready
        ]
        try:
            result = self.tracker.apply(ops)
        except TrackerError as exc:
            self.post_message(self.Refused(exc))
            return
        self.post_message(self.Approved(check, result.fired))

    @on(Approved)
    def _approved(self, message: Approved) -> None:
        check = message.check
        note = f"{check.party} approved {check.trigger} on {lit.counted(len(check.ready), 'item')}"
        if message.fired:
            note += f"; {lit.counted(message.fired, 'item')} had every consent and moved"
        self.app.notify(note, markup=False)
        self.dismiss(len(check.ready))

    @on(TrackerModal.Refused)
    def _refused(self, message: TrackerModal.Refused) -> None:
        # One batch: nothing was written. The items may have moved: read them again.
        self.writing = False
        self.query_one("#refusal", Problem).update(
            Text(f"refused, nothing written: {message.error}")
        )
        self.marked = None
        self._show_check()
        self.load()

    @on(Unavailable)
    def _unavailable(self, message: Unavailable) -> None:
        self.query_one("#refusal", Problem).update(Text(f"cannot consent: {message.error}"))
        self.query_one("#verdict", Static).update("")
