"""What the TUI shows of consent (SPEC "Approvals"): for an item, each gated trigger from its
state with the consents given and the parties awaited; for a set of items, which of them await
a party's consent to a trigger. Read from the service (`Tracker.pending`, the workflow's
`approvers`), in a worker: nothing here writes.

`Tracker.pending` lists the gated transitions with at least one consent; a gated trigger
nobody has consented to yet is shown too (every required party awaited), so the item screen
says what a trigger needs before the first consent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from textual.worker import NoActiveWorker, get_current_worker

from ..records import Consent, HistoryEntry, Item, Pending
from ..wording import plural

if TYPE_CHECKING:
    from ..service import Tracker
    from ..workflow import Workflow


@dataclass(frozen=True, slots=True)
class Gate:
    """A gated trigger of one item from the state it is in: who must consent, who has, who is
    awaited, since when (None: no consent yet)."""

    key: str
    trigger: str
    to_state: str | None
    required: tuple[str, ...]
    consents: tuple[Consent, ...] = ()
    awaited: tuple[str, ...] = ()
    since: datetime | None = None

    @classmethod
    def of(cls, pending: Pending) -> Gate:
        return cls(
            pending.key,
            pending.trigger,
            pending.to_state,
            pending.required,
            pending.consents,
            pending.awaited,
            pending.since,
        )

    def given_by(self, party: str) -> Consent | None:
        return next((c for c in self.consents if c.party == party), None)


def item_gates(
    workflow: Workflow, item: Item, state: str | None, pending: Iterable[Pending]
) -> list[Gate]:
    """The gated triggers of `item` from `state` (the state shown: now, or then in time
    travel), in the workflow's order, each with its consents in effect (`pending`, the
    service's, read with that state)."""
    if state is None:
        return []
    required = {
        trigger: parties
        for trigger in workflow.allowed(state)
        if (parties := workflow.approvers(trigger, state, item.parties))
    }
    started = {p.trigger: p for p in pending if p.key == item.key}
    return [
        Gate.of(started[trigger])
        if trigger in started
        else Gate(item.key, trigger, workflow.leads_to(state, trigger), parties, (), parties)
        for trigger, parties in required.items()
    ]


def may_speak(speaks_for: tuple[str, ...] | None, party: str) -> bool:
    """Whether the current actor may consent for `party` (None: no party map, every party)."""
    return speaks_for is None or party in speaks_for


def parties_to_approve(gate: Gate, speaks_for: tuple[str, ...] | None) -> tuple[str, ...]:
    """The awaited parties of `gate` the actor may consent for."""
    return tuple(p for p in gate.awaited if may_speak(speaks_for, p))


def parties_to_withdraw(gate: Gate, speaks_for: tuple[str, ...] | None) -> tuple[str, ...]:
    """The parties whose consent to `gate` is in effect and the actor may take back."""
    return tuple(c.party for c in gate.consents if may_speak(speaks_for, c.party))


def waiting_on(pending: Iterable[Pending], speaks_for: tuple[str, ...] | None) -> list[Pending]:
    """The gated transitions under way that await a party the actor may consent for."""
    return [p for p in pending if any(may_speak(speaks_for, a) for a in p.awaited)]


def speaker(actor: str, speaks_for: tuple[str, ...] | None) -> str:
    """`kim (for ROK)`, `kim (for every party: no party map)`, `kim (for no party)`."""
    if speaks_for is None:
        return f"{actor} (for every party: no party map)"
    return f"{actor} (for {', '.join(speaks_for) or 'no party'})"


@dataclass(frozen=True, slots=True)
class Found:
    """What a consent dialog needs, read at once: the item, its workflow and gates now, the
    actor who writes and the parties it may consent for (None: no party map, every one)."""

    item: Item
    workflow: Workflow
    gates: tuple[Gate, ...]
    actor: str
    speaks_for: tuple[str, ...] | None

    @classmethod
    def read(cls, tracker: Tracker, key: str) -> Found:
        page = tracker.item_page(key, limit=0)
        item, workflow = page.item, tracker.workflow(page.item.workflow)
        gates = tuple(item_gates(workflow, item, item.state, page.pending))
        return cls(item, workflow, gates, tracker.default_actor, tracker.speaks_for())


@dataclass(frozen=True, slots=True)
class Marked:
    """A marked item and its gates (read once when the bulk dialog opens)."""

    item: Item
    gates: tuple[Gate, ...]


def marked_gates(tracker: Tracker, keys: Sequence[str]) -> list[Marked]:
    """Each of `keys` with its gated triggers from its state now (the consents under way read
    once for all; the batch written from this is checked again by the service)."""
    pending: dict[str, list[Pending]] = {}
    for waiting in tracker.pending():
        pending.setdefault(waiting.key, []).append(waiting)
    found = []
    for item in tracker.get_many(keys):
        gates = item_gates(
            tracker.workflow(item.workflow), item, item.state, pending.get(item.key, ())
        )
        found.append(Marked(item, tuple(gates)))
    return found


@dataclass(frozen=True, slots=True)
class BulkCheck:
    """Which marked items await `party`'s consent to `trigger`: all or nothing, the batch is
    written only when every one does."""

    trigger: str
    party: str
    ready: tuple[str, ...]  # keys that await it
    refused: tuple[tuple[str, str], ...]  # (key, why not)

    @classmethod
    def of(cls, marked: Iterable[Marked], trigger: str, party: str) -> BulkCheck:
        ready: list[str] = []
        refused: list[tuple[str, str]] = []
        for one in marked:
            item = one.item
            gate = next((g for g in one.gates if g.trigger == trigger), None)
            if gate is None:
                refused.append((item.key, f"is {item.state}: no consent to {trigger} from there"))
            elif party not in gate.required:
                refused.append((item.key, f"{trigger} needs no consent of {party}"))
            elif gate.given_by(party) is not None:
                refused.append((item.key, f"{party} has approved {trigger} already"))
            else:
                ready.append(item.key)
        return cls(trigger, party, tuple(ready), tuple(refused))


def waiting_items(tracker: Tracker, order_by: str = "key", descending: bool = False) -> list[Item]:
    """The built-in view "waiting on me": the items with a gated transition under way (at
    least one consent given) that awaits a party the current actor may consent for, sorted
    as the items table asks (sorted here, not by the database: at 100,000 items a few
    thousand). Read once per change of the database: the table's pages, its counts and `m`
    then cost a sort, not a read of every item awaited."""
    items = _waiting_read(tracker)

    def value(item: Item) -> tuple[Any, str]:
        if order_by == "changed_at":
            return item.changed_at or item.created_at, item.key.lower()
        shown = " ".join(item.parties) if order_by == "parties" else getattr(item, order_by)
        return str(shown).lower(), item.key.lower()

    return sorted(items, key=value, reverse=descending)


def consent_note(entry: HistoryEntry) -> str | None:
    """What an entry's recorded fields say about consent, in words: `ROK approves sign`,
    `ROK withdraws from sign`, `rests on 2 consents`, `voids 1 consent`; None otherwise."""
    named = entry.consent
    if named is not None:
        trigger, party = named
        verb = "withdraws from" if entry.trigger == "withdraw" else "approves"
        return f"{party} {verb} {trigger}"
    if entry.trigger in ("create", "edit", "seal"):
        return None  # their fields are the item's
    recorded = entry.fields_json()
    if not isinstance(recorded, dict):
        return None
    notes = [
        f"{label} {plural(len(hashes), 'consent')}"
        for name, label in (("consents", "rests on"), ("voids", "voids"))
        if isinstance(hashes := recorded.get(name), list) and hashes
    ]
    return "; ".join(notes) or None


def noted_reason(entry: HistoryEntry) -> str | None:
    """The entry's reason, after what it says about consent (`[ROK approves sign] why`)."""
    note = consent_note(entry)
    if note is None:
        return entry.reason
    return f"[{note}] {entry.reason or ''}".rstrip()


# The items "waiting on me" last read, per tracker, with the database's change mark and
# the parties spoken for at that read (the table's workers ask from threads).
_waiting: WeakKeyDictionary[Tracker, tuple[object, list[Item]]] = WeakKeyDictionary()
_waiting_lock = threading.Lock()


def _waiting_read(tracker: Tracker) -> list[Item]:
    speaks_for = tracker.speaks_for()
    mark = (tracker.last_change(), speaks_for)  # before the read: a later write reads again
    with _waiting_lock:
        known = _waiting.get(tracker)
    if known is not None and known[0] == mark:
        return known[1]
    waiting = waiting_on(tracker.pending(), speaks_for)
    if _given_up():
        return []  # nobody waits for it (the app quits, another query replaced it)
    items = tracker.get_many([p.key for p in waiting])  # one read, not one per item
    with _waiting_lock:
        _waiting[tracker] = (mark, items)
    return items


def _given_up() -> bool:
    """Whether the worker running this read was cancelled: a thread cannot be stopped, and
    quitting waited for the whole read (seconds at 100,000 items)."""
    try:
        return get_current_worker().is_cancelled
    except NoActiveWorker:
        return False
