"""A workflow drawn as text (the CLI's `workflow show`, the TUI's item screen) or as a
Mermaid state diagram. It reads a workflow through the Protocols below and imports no
engine: `Workflow.diagram` calls in here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..errors import NotFound


class _Transition(Protocol):
    @property
    def trigger(self) -> str: ...
    @property
    def sources(self) -> tuple[str, ...]: ...
    @property
    def target(self) -> str: ...
    @property
    def requires(self) -> tuple[str, ...]: ...
    @property
    def approvals(self) -> str | tuple[str, ...] | None: ...


class Drawable(Protocol):
    """What a diagram needs of a workflow."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def initial(self) -> str: ...
    @property
    def states(self) -> tuple[str, ...]: ...
    @property
    def transitions(self) -> Sequence[_Transition]: ...
    def allowed(self, state: str) -> tuple[str, ...]: ...
    def leads_to(self, state: str | None, trigger: str) -> str | None: ...


def draw(workflow: Drawable, current: str | None = None, fmt: str = "text") -> str:
    """The state diagram as text or Mermaid, with `current` marked."""
    if fmt == "mermaid":
        return mermaid(workflow, current)
    if fmt != "text":
        raise NotFound(f"no diagram format {fmt!r} (text, mermaid)")
    return text(workflow, current)


def text(workflow: Drawable, current: str | None) -> str:
    """One line per state: its marks (current, initial) and where each trigger leads."""
    title = workflow.description
    lines = [f"workflow {workflow.name}" + (f": {title}" if title else "")]
    width = max(len(s) for s in workflow.states)
    gated = {
        (source, t.trigger): f" [consent of {_approvals(t.approvals)}]"
        for t in workflow.transitions
        if t.approvals is not None
        for source in t.sources
    }
    for state in workflow.states:
        marks = ("*" if state == current else " ") + (">" if state == workflow.initial else " ")
        outs = [
            f"{t} -> {workflow.leads_to(state, t)}{gated.get((state, t), '')}"
            for t in workflow.allowed(state)
        ]
        lines.append(f"{marks} {state:<{width}}  " + ("; ".join(outs) or "(final)"))
    lines.append("(* current state, > initial state)" if current else "(> initial state)")
    return "\n".join(lines)


def mermaid(workflow: Drawable, current: str | None) -> str:
    """A Mermaid `stateDiagram-v2`, `current` highlighted."""
    # A state's name is a label, never an id: legal names such as `on-hold`, `default`,
    # `note` or `end` are syntax in Mermaid. Ids are generated (s0, s1, ... in file order)
    # and every state is declared, so one without transitions is drawn too.
    ids = {state: f"s{number}" for number, state in enumerate(workflow.states)}
    lines = ["stateDiagram-v2"]
    lines.extend(f'    state "{state}" as {ids[state]}' for state in workflow.states)
    lines.append(f"    [*] --> {ids[workflow.initial]}")
    for t in workflow.transitions:
        needs = _needs(t)
        lines.extend(
            f"    {ids[source]} --> {ids[t.target]}: {t.trigger}{needs}" for source in t.sources
        )
    if current in ids:
        lines.append("    classDef current fill:#f96,stroke:#333,stroke-width:3px")
        lines.append(f"    class {ids[current]} current")
    return "\n".join(lines)


def _approvals(approvals: str | tuple[str, ...]) -> str:
    """`every party`, `ROK`, `JPN and ROK`, `JPN, ROK and USA`."""
    if isinstance(approvals, str):
        return "every party"
    *most, last = approvals
    return f"{', '.join(most)} and {last}" if most else last


def _needs(transition: _Transition) -> str:
    """What a transition needs, as an edge label says it: ` (source required, consent of
    every party)`, or nothing (no `;`: Mermaid ends a label there)."""
    needs = [f"{', '.join(transition.requires)} required"] if transition.requires else []
    if transition.approvals is not None:
        needs.append(f"consent of {_approvals(transition.approvals)}")
    return f" ({', '.join(needs)})" if needs else ""
