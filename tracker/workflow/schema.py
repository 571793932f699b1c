"""Reading a workflow file: TOML text -> a checked Workflow, every error naming the file and
the line it comes from (WorkflowFileError)."""

from __future__ import annotations

import re
from typing import Any

from .. import fields as text_rules
from .. import tomlfile
from ..errors import UsageError, WorkflowFileError
from .engine import (
    EVERY_PARTY,
    REQUIRABLE_FIELDS,
    RESERVED_TRIGGERS,
    Approvals,
    Transition,
    Workflow,
)

# Names transitions gives a model's own methods (`trigger`, `to_<state>`, `may_<trigger>`,
# `is_<state>`): a trigger so named would shadow or be shadowed by one if a model were attached.
_MODEL_NAME = re.compile(r"^(?:trigger|(?:to|may|is)_.*)$")
_NAME = text_rules.NAME
_KEYS = frozenset({"name", "description", "initial", "states", "transitions", "kinds"})
_TRANSITION_KEYS = frozenset({"trigger", "from", "to", "requires", "approvals"})

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
    data = tomlfile.load(text, path, WorkflowFileError)
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
        approvals = self.approvals(entry.get("approvals"), trigger, line)
        return Transition(trigger, tuple(sources), str(target), tuple(requires), approvals)

    def approvals(self, value: Any, trigger: str, line: int | None) -> Approvals:
        """`approvals = "parties"` or a list of party codes (checked as item parties are)."""
        if value is None or value == EVERY_PARTY:
            return value  # type: ignore[no-any-return]
        wrong = (
            f'transition {trigger!r}: `approvals` must be "{EVERY_PARTY}" (every party of the'
            ' item) or a list of party codes, like ["ROK", "JPN"]'
        )
        if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
            raise self.fail(wrong, line)
        try:
            codes = text_rules.parties(value)  # a party named twice included
        except UsageError as exc:
            raise self.fail(f"transition {trigger!r}: `approvals`: {exc}", line) from None
        return tuple(sorted(codes))

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
