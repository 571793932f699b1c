"""The workflow engine: states and triggers loaded from TOML, run on `transitions`.

It knows nothing of storage. One `transitions.Machine` is built per workflow (never one per
item); an item's state is fired on a light token, so loading an item never resets its state.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from transitions import Machine

from . import fields as text_rules
from .errors import NotAllowed, NotFound, TriggerNotFound, UsageError, WorkflowFileError

# History's own triggers, and `state`: the attribute transitions keeps the state in.
RESERVED_TRIGGERS = frozenset({"create", "comment", "edit", "seal", "state"})
# Names transitions gives a model's own methods (`trigger`, `to_<state>`, `may_<trigger>`,
# `is_<state>`): a trigger so named would shadow or be shadowed by one if a model were attached.
_MODEL_NAME = re.compile(r"^(?:trigger|(?:to|may|is)_.*)$")
REQUIRABLE_FIELDS = frozenset({"reason", "source"})
_NAME = text_rules.NAME
_KEYS = frozenset({"name", "description", "initial", "states", "transitions", "kinds"})
_TRANSITION_KEYS = frozenset({"trigger", "from", "to", "requires"})


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
        """The state diagram as text or Mermaid, with `current` marked."""
        if fmt == "mermaid":
            return self._mermaid(current)
        if fmt != "text":
            raise NotFound(f"no diagram format {fmt!r} (text, mermaid)")
        return self._text(current)

    def _text(self, current: str | None) -> str:
        lines = [f"workflow {self.name}" + (f": {self.description}" if self.description else "")]
        width = max(len(s) for s in self.states)
        for state in self.states:
            marks = ("*" if state == current else " ") + (">" if state == self.initial else " ")
            outs = [f"{t} -> {self._targets[(state, t)]}" for t in self.allowed(state)]
            lines.append(f"{marks} {state:<{width}}  " + ("; ".join(outs) or "(final)"))
        lines.append("(* current state, > initial state)" if current else "(> initial state)")
        return "\n".join(lines)

    def _mermaid(self, current: str | None) -> str:
        # A state's name is a label, never an id: legal names such as `on-hold`, `default`,
        # `note` or `end` are syntax in Mermaid. Ids are generated (s0, s1, ... in file order)
        # and every state is declared, so one without transitions is drawn too.
        ids = {state: f"s{number}" for number, state in enumerate(self.states)}
        lines = ["stateDiagram-v2"]
        lines.extend(f'    state "{state}" as {ids[state]}' for state in self.states)
        lines.append(f"    [*] --> {ids[self.initial]}")
        for t in self.transitions:
            needs = f" ({', '.join(t.requires)} required)" if t.requires else ""
            lines.extend(
                f"    {ids[source]} --> {ids[t.target]}: {t.trigger}{needs}" for source in t.sources
            )
        if current in ids:
            lines.append("    classDef current fill:#f96,stroke:#333,stroke-width:3px")
            lines.append(f"    class {ids[current]} current")
        return "\n".join(lines)


# A dotted key of this many parts (`a.b.c...`): Python's TOML reader takes time quadratic in
# the parts (50,000 took 6 s, and every command reads the workflow files). A workflow needs 2.
MAX_KEY_PARTS = 64
_KEY_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")


def _deep_key(line: str) -> bool:
    """Whether `line` holds MAX_KEY_PARTS key parts joined by dots (linear in the line)."""
    if line.count(".") < MAX_KEY_PARTS - 1:
        return False
    run = 0
    for part in line.split("."):
        run = run + 1 if _KEY_PART.fullmatch(part.strip()) else 0
        if run >= MAX_KEY_PARTS - 2:  # the first and last parts also hold `[`, `= 1`...
            return True
    return False


def parse_workflow(text: str, path: str) -> Workflow:
    """Build a Workflow from TOML text; WorkflowFileError names `path` and the line."""
    for number, line in enumerate(text.splitlines(), start=1):
        if _deep_key(line):
            raise WorkflowFileError(
                f"{path}:{number}: a dotted key of more than {MAX_KEY_PARTS} parts"
            )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkflowFileError(f"{path}: {exc}") from None
    except RecursionError:
        raise WorkflowFileError(f"{path}: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise WorkflowFileError(f"{path}: {str(exc).split(';', 1)[0]}") from None
    return _WorkflowReader(text, path).read(data)


class _WorkflowReader:
    """Checks a parsed workflow file, pointing errors at the line they come from."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines()
        self.path = path
        self._found: dict[str, list[int]] = {}

    def fail(self, message: str, line: int | None = None) -> WorkflowFileError:
        where = f"{self.path}:{line}" if line else self.path
        return WorkflowFileError(f"{where}: {message}")

    def line_of(self, pattern: str, nth: int = 0) -> int | None:
        """The line of the `nth` match of `pattern`. The file is searched once per pattern:
        searching it again for each of 10,000 transitions took minutes."""
        found = self._found.get(pattern)
        if found is None:
            search = re.compile(pattern).search
            found = [n for n, line in enumerate(self.lines, start=1) if search(line)]
            self._found[pattern] = found
        return found[nth] if nth < len(found) else None

    def read(self, data: dict[str, Any]) -> Workflow:
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            key = re.escape(unknown[0])
            raise self.fail(f"unknown key {unknown[0]!r}", self.line_of(rf"^\s*{key}\s*="))
        name = data.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.fail("`name` must be a lower-case word", self.line_of(r"^\s*name\s*="))
        states = data.get("states")
        if (
            not isinstance(states, list)
            or not states
            or not all(isinstance(s, str) for s in states)
        ):
            raise self.fail(
                "`states` must be a non-empty list of names", self.line_of(r"^\s*states")
            )
        for state in states:
            if not _NAME.match(state):
                raise self.fail(f"bad state name {state!r}", self.line_of(r"^\s*states"))
        if len(set(states)) != len(states):
            raise self.fail("a state is listed twice", self.line_of(r"^\s*states"))
        initial = data.get("initial")
        if not isinstance(initial, str):
            raise self.fail('no initial state (`initial = "..."`)')
        if initial not in states:
            raise self.fail(
                f"initial state {initial!r} is not in `states`", self.line_of(r"^\s*initial")
            )
        raw = data.get("transitions", [])
        if not isinstance(raw, list) or not raw:
            raise self.fail("no transitions (`[[transitions]]` tables)")
        known = frozenset(states)  # a list here made each transition's check O(states)
        transitions = [self.transition(entry, index, known) for index, entry in enumerate(raw)]
        self.check_unique(transitions)
        kinds = data.get("kinds", [])
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise self.fail("`kinds` must be a list of kind names", self.line_of(r"^\s*kinds"))
        description = data.get("description", "")
        if not isinstance(description, str):
            raise self.fail("`description` must be text", self.line_of(r"^\s*description"))
        try:
            # Labels are shown by `workflow list/show` and the TUI: the text rules of any field.
            kinds = [text_rules.kind(k) for k in kinds]
        except UsageError as exc:
            raise self.fail(str(exc), self.line_of(r"^\s*kinds")) from None
        try:
            description = text_rules.text("description", description) or ""
        except UsageError as exc:
            raise self.fail(f"`description`: {exc}", self.line_of(r"^\s*description")) from None
        return Workflow(
            name=name,
            initial=initial,
            states=tuple(states),
            transitions=tuple(transitions),
            description=description,
            kinds=tuple(kinds),
            path=self.path,
        )

    def transition(self, entry: Any, index: int, states: frozenset[str]) -> Transition:
        line = self.line_of(r"^\s*\[\[\s*transitions\s*\]\]", index)
        if not isinstance(entry, dict):
            raise self.fail("a transition must be a table", line)
        unknown = sorted(set(entry) - _TRANSITION_KEYS)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r} in a transition", line)
        trigger = entry.get("trigger")
        if not isinstance(trigger, str) or not _NAME.match(trigger):
            raise self.fail("a transition needs `trigger`, a lower-case word", line)
        if trigger in RESERVED_TRIGGERS:
            raise self.fail(f"trigger {trigger!r} is reserved", line)
        if _MODEL_NAME.match(trigger):
            raise self.fail(
                f"trigger {trigger!r} is reserved (`trigger`, `to_*`, `may_*` and `is_*` are"
                " the state machine's own names)",
                line,
            )
        sources = entry.get("from")
        if isinstance(sources, str):
            sources = [sources]
        if not isinstance(sources, list) or not sources:
            raise self.fail(f"transition {trigger!r} needs `from`", line)
        target = entry.get("to")
        for state in [*sources, target]:
            if state not in states:
                raise self.fail(f"transition {trigger!r} names unknown state {state!r}", line)
        requires = entry.get("requires", [])
        if not isinstance(requires, list) or not set(requires) <= REQUIRABLE_FIELDS:
            raise self.fail(f"transition {trigger!r}: `requires` may list reason, source", line)
        return Transition(trigger, tuple(sources), str(target), tuple(requires))

    def check_unique(self, transitions: list[Transition]) -> None:
        seen: dict[tuple[str, str], str] = {}
        for index, t in enumerate(transitions):
            for source in t.sources:
                if (source, t.trigger) in seen:
                    line = self.line_of(r"^\s*\[\[\s*transitions\s*\]\]", index)
                    raise self.fail(f"trigger {t.trigger!r} is defined twice from {source!r}", line)
                seen[(source, t.trigger)] = t.target
        requires: dict[str, tuple[str, ...]] = {}
        for index, t in enumerate(transitions):
            if requires.setdefault(t.trigger, t.requires) != t.requires:
                line = self.line_of(r"^\s*\[\[\s*transitions\s*\]\]", index)
                raise self.fail(
                    f"trigger {t.trigger!r} requires different fields in two places", line
                )


class Workflows:
    """The workflows in force: the shipped ones plus any from extra directories."""

    def __init__(self, workflows: Iterable[Workflow]) -> None:
        self.by_name: dict[str, Workflow] = {}
        self.by_kind: dict[str, str] = {}
        for workflow in workflows:
            self.by_name[workflow.name] = workflow
            for kind in workflow.kinds:
                self.by_kind[kind] = workflow.name

    @classmethod
    def load(cls, extra_dirs: Iterable[str | Path] = ()) -> Workflows:
        """Load the shipped workflows, then every `*.toml` of `extra_dirs` (later ones win)."""
        found: list[Workflow] = []
        shipped = resources.files("tracker") / "workflows"
        for entry in sorted(shipped.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                found.append(
                    parse_workflow(entry.read_text("utf-8"), f"tracker/workflows/{entry.name}")
                )
        for directory in extra_dirs:
            path = Path(directory)
            if not path.is_dir():
                raise WorkflowFileError(f"{path}: not a directory of workflow files")
            for file in sorted(path.glob("*.toml")):
                try:
                    text = file.read_text("utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise WorkflowFileError(f"{file}: {exc}") from None
                found.append(parse_workflow(text, str(file)))
        return cls(found)

    @classmethod
    def from_environment(cls, extra: str | Path | None = None) -> Workflows:
        """Shipped workflows plus `extra` or, failing that, TRACKER_WORKFLOWS (os.pathsep list)."""
        dirs: list[str | Path] = []
        env = os.environ.get("TRACKER_WORKFLOWS")
        if env:
            dirs.extend(d for d in env.split(os.pathsep) if d)
        if extra:
            dirs.append(extra)
        return cls.load(dirs)

    def for_kind(self, kind: str) -> Workflow:
        """The workflow a kind names, else the default one."""
        return self.by_name[self.by_kind.get(kind.lower(), "default")]

    def get(self, name: str) -> Workflow:
        """A workflow by name; NotFound lists the known ones."""
        try:
            return self.by_name[name]
        except KeyError:
            raise NotFound(
                f"no workflow {name!r} (known: {', '.join(sorted(self.by_name))})"
            ) from None
