"""The workflow engine: a workflow's states and triggers, run on `transitions`.

Pure: it knows nothing of storage or files (schema.py reads TOML, registry.py finds the
files). One `transitions.Machine` is built per workflow (never one per item). The machine is
the definition: `fire` goes through it (the item's state and the fire's fields on a light
object, the fields a transition requires checked by the machine's own `prepare` and
`conditions`). Every answer the tracker uses (`check`, `target`, `allowed`, `requires`,
`leads_to`) is read off lookups built by asking the machine once (`get_transitions`), never
from the workflow file: a fire through the machine cost the single fire more than its budget
(docs/decisions.md, "One `transitions.Machine` per workflow"; bench/engine_fire.py), and the
tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from transitions import EventData, Machine, MachineError
from transitions import Transition as MachineTransition

from .. import fields as text_rules
from ..errors import NotAllowed, TriggerNotFound

# History's own triggers (a party's consent is `approve`, taking it back `withdraw`), and
# `state`: the attribute transitions keeps the state in.
RESERVED_TRIGGERS = frozenset({"create", "comment", "edit", "seal", "approve", "withdraw", "state"})
REQUIRABLE_FIELDS = frozenset({"reason", "source"})
# History's own entries that record something of an item without moving it: a comment, an
# edit, a seal (an import's snapshot), a party's consent given or taken back (approve,
# withdraw). Ask `keeps_state`; the set is for hot loops.
STATE_KEEPING_TRIGGERS = frozenset({"comment", "edit", "seal", "approve", "withdraw"})
# A comment's text is its reason: a comment requires one, as `requires` says of a trigger.
COMMENT_REQUIRES = ("reason",)
_NO_FIELDS: Mapping[str, str | None] = {}
# `approvals = "parties"`: the consent of every party of the item.
EVERY_PARTY = "parties"
# Who must consent to a transition: nobody (None), every party of the item (EVERY_PARTY), or
# the parties listed.
Approvals = str | tuple[str, ...] | None


class _Fire:
    """The light object a trigger is fired on: the item's state, the fields the fire carries,
    and the required ones the machine found missing."""

    __slots__ = ("fields", "missing", "state")

    def __init__(self, state: str, fields: Mapping[str, str | None]) -> None:
        self.state = state
        self.fields = fields
        self.missing: tuple[str, ...] = ()


class _Requiring(MachineTransition):
    """A transition of the machine that knows the fields a fire of it must carry, and whose
    consent it needs (`approvals`, SPEC "Approvals": the tracker gathers the consents before
    it fires)."""

    def __init__(
        self,
        *args: Any,
        requires: tuple[str, ...] = (),
        approvals: Approvals = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.requires = requires
        self.approvals = approvals


class _Machine(Machine):
    transition_cls = _Requiring


def keeps_state(trigger: str) -> bool:
    """Whether an entry of `trigger` leaves the item in the state it was in (a comment, an
    edit, a seal, a consent) rather than moving it (a create or a workflow's trigger)."""
    return trigger in STATE_KEEPING_TRIGGERS


def missing(requires: Iterable[str], fields: Mapping[str, str | None]) -> tuple[str, ...]:
    """The fields of `requires` that `fields` leaves out: the one rule for a fire, a bulk
    dialog, the TUI's inline checks and an imported entry. A reason of spaces or zero-width
    characters is no reason (fields.visible)."""
    return tuple(name for name in requires if not text_rules.visible(fields.get(name)))


def _note_missing(event: EventData) -> None:
    """The machine's `prepare`: note on the fire what it leaves out."""
    fire = event.model
    assert isinstance(fire, _Fire) and isinstance(event.transition, _Requiring)
    fire.missing = missing(event.transition.requires, fire.fields)


def _complete(event: EventData) -> bool:
    """The condition: nothing required is missing."""
    fire = event.model
    assert isinstance(fire, _Fire)
    return not fire.missing


def _lacking(trigger: str, missing: tuple[str, ...]) -> NotAllowed:
    return NotAllowed(f"{trigger} requires {' and '.join(missing)}")


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    target: str
    requires: tuple[str, ...] = ()
    approvals: Approvals = None


@dataclass
class Workflow:
    """A named state machine: which triggers are allowed where, where they lead, what they need."""

    name: str
    initial: str
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]
    description: str = ""
    kinds: tuple[str, ...] = ()
    path: str = ""
    _machine: Machine = field(init=False, repr=False)
    _targets: dict[tuple[str, str], str] = field(init=False, repr=False)
    _allowed: dict[str, tuple[str, ...]] = field(init=False, repr=False)
    _requires: dict[str, tuple[str, ...]] = field(init=False, repr=False)
    _approvals: dict[tuple[str, str], Approvals] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        machine = _Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            auto_transitions=False,
            send_event=True,
        )
        for t in self.transitions:
            checks: dict[str, Any] = (
                {"prepare": _note_missing, "conditions": _complete} if t.requires else {}
            )
            machine.add_transition(
                t.trigger,
                list(t.sources),
                t.target,
                requires=t.requires,
                approvals=t.approvals,
                **checks,
            )
        self._machine = machine
        # The lookups, by asking the machine once: `get_transitions` per trigger. What
        # `get_triggers(state)` answers is gathered in the same pass: asking it state by
        # state is states x events (minutes for a file of 10,000 transitions).
        self._targets, self._requires, self._approvals = {}, {}, {}
        allowed: dict[str, list[str]] = {state: [] for state in machine.states}
        for trigger in machine.events:
            for move in machine.get_transitions(trigger):
                assert isinstance(move, _Requiring) and move.dest is not None
                self._targets[(move.source, trigger)] = move.dest
                self._requires[trigger] = move.requires
                if move.approvals is not None:
                    self._approvals[(move.source, trigger)] = move.approvals
                allowed[move.source].append(trigger)
        self._allowed = {state: tuple(names) for state, names in allowed.items()}

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger of the workflow, once each, in file order."""
        return tuple(self._machine.events)

    def allowed(self, state: str) -> tuple[str, ...]:
        """The triggers that may fire from `state` (what the machine's `get_triggers` says)."""
        return self._allowed.get(state, ())

    def requires(self, trigger: str) -> tuple[str, ...]:
        """The fields (`reason`, `source`) a fire of `trigger` must carry."""
        return self._requires.get(trigger, ())

    @property
    def moves(self) -> Mapping[tuple[str, str], str]:
        """Every allowed move: {(state, trigger): target} (what `leads_to` answers), read-only."""
        return MappingProxyType(self._targets)

    @property
    def gated(self) -> bool:
        """Whether any transition needs the parties' consent."""
        return bool(self._approvals)

    def approvers(self, trigger: str, state: str, parties: Iterable[str]) -> tuple[str, ...]:
        """The parties whose consent `trigger` needs from `state` for an item of `parties`
        (sorted; empty: it needs none, or it is not allowed from there)."""
        approvals = self._approvals.get((state, trigger))
        if approvals is None:
            return ()
        return tuple(sorted(parties if approvals == EVERY_PARTY else approvals))

    def needs_consent(self, trigger: str, state: str) -> bool:
        """Whether `trigger` from `state` is gated (on some parties, whatever the item's)."""
        return (state, trigger) in self._approvals

    @property
    def consent_moves(self) -> frozenset[tuple[str, str]]:
        """Every gated (state, trigger)."""
        return frozenset(self._approvals)

    def leads_to(self, state: str | None, trigger: str) -> str | None:
        """Where `trigger` leads from `state`, or None where it is not allowed."""
        return self._targets.get((state, trigger)) if state is not None else None

    def target(self, state: str, trigger: str) -> str:
        """Where `trigger` leads from `state`, without firing; NotAllowed names the triggers
        that are allowed."""
        target = self._targets.get((state, trigger))
        if target is None:
            raise self._refusal(state, trigger)
        return target

    def check(self, state: str, trigger: str, fields: Mapping[str, str | None]) -> str:
        """Validate a fire of `trigger` from `state` carrying `fields` (reason, source) and
        return its target state: what `fire` answers, read off the lookups. TriggerNotFound (3)
        for a trigger the workflow does not have, NotAllowed (4) for one not allowed from
        `state` or missing a required field."""
        target = self.target(state, trigger)
        required = self._requires.get(trigger)
        if required:  # most triggers require nothing
            left_out = missing(required, fields)
            if left_out:
                raise _lacking(trigger, left_out)
        return target

    def fire(self, state: str, trigger: str, fields: Mapping[str, str | None] = _NO_FIELDS) -> str:
        """Fire `trigger` through the machine from `state`, carrying `fields`, and return the
        state it leads to; refused as `check` refuses (the answers `check` gives are held to
        these by tests/test_workflow.py)."""
        event = self._machine.events.get(trigger)
        if event is None or state not in self._allowed:
            raise self._refusal(state, trigger)
        fire = _Fire(state, fields)
        try:
            fired = event.trigger(fire)
        except MachineError:
            raise self._refusal(state, trigger) from None
        if not fired:
            raise _lacking(trigger, fire.missing)
        return fire.state

    def _refusal(self, state: str, trigger: str) -> TriggerNotFound | NotAllowed:
        """Why `trigger` may not fire from `state`: no such trigger, or the allowed ones."""
        if trigger not in self._machine.events:
            return TriggerNotFound(
                f"no trigger {trigger!r} in workflow {self.name!r}"
                f" (triggers: {', '.join(self.triggers)})"
            )
        allowed = ", ".join(self.allowed(state)) or "none"
        return NotAllowed(f"cannot {trigger} from {state} (allowed: {allowed})")

    def diagram(self, current: str | None = None, fmt: str = "text") -> str:
        """The state diagram as text or Mermaid, with `current` marked (workflow.diagram)."""
        from .diagram import draw

        return draw(self, current, fmt)
