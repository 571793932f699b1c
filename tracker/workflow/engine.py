"""The workflow engine: a workflow's states and triggers, run on `transitions`.

Pure: it knows nothing of storage or files (schema.py reads TOML, registry.py finds the
files). One `transitions.Machine` is built per workflow (never one per item); an item's
state is fired on a light token, so loading an item never resets its state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from transitions import Machine

from .. import fields as text_rules
from ..errors import NotAllowed, TriggerNotFound

# History's own triggers, and `state`: the attribute transitions keeps the state in.
RESERVED_TRIGGERS = frozenset({"create", "comment", "edit", "seal", "state"})
REQUIRABLE_FIELDS = frozenset({"reason", "source"})


class _Token:
    """The light object a trigger is fired on: just a state."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    target: str
    requires: tuple[str, ...] = ()


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

    def __post_init__(self) -> None:
        self._machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            transitions=[
                {"trigger": t.trigger, "source": list(t.sources), "dest": t.target}
                for t in self.transitions
            ],
            auto_transitions=False,
            send_event=False,
        )
        # Lookup tables read off the machine once: firing at batch speed is a dict lookup.
        self._targets = {}
        for name, event in self._machine.events.items():
            for source, candidates in event.transitions.items():
                self._targets[(source, name)] = str(candidates[0].dest)
        # What `Machine.get_triggers(state)` answers, in one pass over the events: asking it
        # once per state is states x events (minutes for a file of 10,000 transitions).
        allowed: dict[str, list[str]] = {state: [] for state in self.states}
        for name, event in self._machine.events.items():
            for source in event.transitions:
                allowed[source].append(name)
        self._allowed = {state: tuple(names) for state, names in allowed.items()}
        self._requires = {t.trigger: t.requires for t in self.transitions}

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger of the workflow, once each, in file order."""
        return tuple(self._machine.events)

    def allowed(self, state: str) -> tuple[str, ...]:
        """The triggers that may fire from `state`."""
        return self._allowed.get(state, ())

    def requires(self, trigger: str) -> tuple[str, ...]:
        """The fields (`reason`, `source`) a fire of `trigger` must carry."""
        return self._requires.get(trigger, ())

    @property
    def moves(self) -> Mapping[tuple[str, str], str]:
        """Every allowed move: {(state, trigger): target} (what `leads_to` answers), read-only."""
        return MappingProxyType(self._targets)

    def leads_to(self, state: str | None, trigger: str) -> str | None:
        """Where `trigger` leads from `state`, or None where it is not allowed."""
        return self._targets.get((state, trigger)) if state is not None else None

    def target(self, state: str, trigger: str) -> str:
        """Where `trigger` leads from `state`; NotAllowed names the triggers that are allowed."""
        target = self._targets.get((state, trigger))
        if target is not None:
            return target
        if trigger not in self._requires:
            raise TriggerNotFound(
                f"no trigger {trigger!r} in workflow {self.name!r}"
                f" (triggers: {', '.join(self.triggers)})"
            )
        allowed = ", ".join(self.allowed(state)) or "none"
        raise NotAllowed(f"cannot {trigger} from {state} (allowed: {allowed})")

    def check(self, state: str, trigger: str, fields: Mapping[str, str | None]) -> str:
        """Validate a fire and return its target state. Missing required fields are NotAllowed."""
        target = self.target(state, trigger)
        # A reason of spaces or zero-width characters is no reason (fields.visible).
        missing = [
            name for name in self.requires(trigger) if not text_rules.visible(fields.get(name))
        ]
        if missing:
            raise NotAllowed(f"{trigger} requires {' and '.join(missing)}")
        return target

    def fire(self, state: str, trigger: str) -> str:
        """Fire `trigger` through the transitions machine on a token in `state`."""
        self.target(state, trigger)
        token = _Token(state)
        self._machine.events[trigger].trigger(token)
        return token.state

    def diagram(self, current: str | None = None, fmt: str = "text") -> str:
        """The state diagram as text or Mermaid, with `current` marked (workflow.diagram)."""
        from .diagram import draw

        return draw(self, current, fmt)
