"""The item screen's texts, built from records: its fields (or the one-line summary a narrow
screen shows), the workflow diagram with the current state marked, and the consents of each
gated trigger."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from ...records import Item
from ...workflow import Workflow
from .. import text as lit
from ..gates import Gate


def field_lines(item: Item, state: str | None) -> Text:
    """The item's fields as `name  value` lines of literal text."""
    out = Text()
    rows: list[tuple[str, Text]] = [
        ("key", lit.literal(item.key, "bold")),
        ("title", lit.literal(item.title)),
        ("kind", lit.literal(item.kind)),
        ("workflow", lit.literal(item.workflow)),
        ("parties", lit.literal(" ".join(item.parties) or "-")),
        ("state", lit.state(state)),
        ("version", Text(str(item.version))),
        ("created", Text(lit.when(item.created_at))),
        ("last change", Text(lit.when(item.changed_at))),
    ]
    for name, value in rows:
        out.append(f"{name:>12}  ", style="dim")
        out.append_text(value)
        out.append("\n")
    out.append(f"{'description':>12}\n", style="dim")
    out.append_text(lit.literal_lines(item.description or "-"))
    return out


def diagram(workflow: Workflow, current: str | None, width: int = 0) -> Text:
    """The workflow's text diagram with the current state's line highlighted. A line wider
    than `width` (when given) goes on under its triggers, so nothing is cut at the edge."""
    lines = workflow.diagram(current, "text").splitlines()[1:]  # the first names it
    out = Text()
    for number, line in enumerate(lines):
        style = "reverse bold" if line.startswith("*") else ""
        for part_number, part in enumerate(wrap_line(line, width)):
            if part_number:
                out.append("\n")
            out.append_text(lit.literal(part, style))
        if number < len(lines) - 1:
            out.append("\n")
    return out


def wrap_line(line: str, width: int) -> list[str]:
    """`> proposed   stall -> stalled; suspend -> ...` in pieces of at most `width`, each
    break after a `;`, the pieces after the first indented to the first trigger."""
    if width <= 0 or len(line) <= width or "; " not in line:
        return [line]
    arrow = line.find(" -> ")
    indent = line.rfind(" ", 0, arrow) + 1 if arrow > 0 else 4
    indent = min(indent, width // 2)
    pieces: list[str] = []
    current = ""
    for segment in line.split("; "):
        candidate = f"{current}; {segment}" if current else segment
        if current and len(candidate) > width:
            pieces.append(current + ";")
            current = " " * indent + segment
        else:
            current = candidate
    pieces.append(current)
    return pieces


def consent_lines(gates: Sequence[Gate]) -> Text:
    """`consent  sign → signed  awaiting JPN · since 2026-01-30 09:00`, then a line per
    consent given: `  ✓ ROK  by kim  2026-01-30 09:00  the reason`."""
    out = Text()
    for gate in gates:
        if out:
            out.append("\n")
        out.append("consent ", style="bold")
        out.append_text(lit.literal(f"{gate.trigger} → {gate.to_state}", "bold"))
        if gate.awaited:
            out.append("  awaiting ")
            out.append_text(lit.literal(", ".join(gate.awaited), "bold yellow"))
        if gate.since is None:
            out.append("  (no consent yet)", style="dim")
        else:
            out.append(f"  since {lit.when(gate.since)}", style="dim")
        for consent in gate.consents:
            out.append("\n  ✓ ", style="green")
            out.append_text(lit.literal(consent.party, "bold green"))
            out.append("  by ", style="dim")
            out.append_text(lit.literal(consent.actor))
            out.append(f"  {lit.when(consent.occurred_at)}  ", style="dim")
            out.append_text(lit.one_line(consent.reason or ""))
    return out


def summary(item: Item, state: str | None, width: int | None = None) -> Text:
    """`ACSA  stalled  Acquisition and ...  agreement`: the one line a narrow screen shows of
    the fields, in `width` cells: a title too long for them ends in `…` (the kind after it
    stays), and a line still too long (a key of 64 characters) ends in `…` itself."""
    title = lit.literal(item.title)
    kind = lit.literal(item.kind, "dim")
    out = lit.literal(item.key, "bold")
    out.append("  ")
    out.append_text(lit.state(state))
    out.append("  ")
    if width is not None:
        room = width - out.cell_len - 2 - kind.cell_len
        if title.cell_len > room > 1:
            title.truncate(room, overflow="ellipsis")
    out.append_text(title)
    out.append("  ")
    out.append_text(kind)
    if width is not None and out.cell_len > width:
        out.truncate(width, overflow="ellipsis")
    return out
