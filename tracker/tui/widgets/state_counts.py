"""The items screen's line of counts per state (and marks), and what it says instead when a
filter names a state or kind no item can have."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from .. import text as lit


class StateCounts(Static):
    """`proposed 3 · stalled 1 · ...` for the items the filter matches, and the marks; with a
    filter the line begins `matching:`. With a state in the filter, that state and the total
    come first, then, dimmed and introduced in words (`other states, ignoring state:x:`), the
    other states' counts, which ignore that part of the filter. A filter naming a state or
    kind no item can have says so instead."""

    _loading: str | None = None  # the moment whose counts are on their way
    _problem: str | None = None
    _stale = False  # the filter changed: these counts are the previous one's, new ones coming

    def show(
        self,
        counts: dict[str, int],
        states: Sequence[str],
        total: int,
        only: str | None = None,
        filtered: bool = False,
        waiting: bool = False,
    ) -> None:
        self._counts = (dict(counts), tuple(states), total, only)
        self._filtered = filtered or only is not None
        self._waiting = waiting
        self._loading = None
        self._problem = None
        self._stale = False
        self._draw()

    def show_stale(self) -> None:
        """The rows answer a new filter and its counts are on their way (a scan at 100,000
        items): the previous counts stay, dimmed, and the line says it is counting."""
        self._stale = True
        self._draw()

    def show_loading(self, what: str) -> None:
        """Counts are on their way: say so rather than show numbers of another moment."""
        self._counts = ({}, (), 0, None)
        self._loading = what
        self._draw()

    def show_problem(self, problem: str) -> None:
        self._problem = problem
        self._draw()

    def show_marked(self, marked: int) -> None:
        self._marked = marked
        self._draw()

    def _draw(self) -> None:
        counts, states, total, only = getattr(self, "_counts", ({}, (), 0, None))
        marked = getattr(self, "_marked", 0)
        if self._loading is not None:
            self._pieces = [Text(f"counting {self._loading}…", style="italic")]
            self._pack()
            return
        # Pieces, each drawn whole: a narrow line breaks between them, never between a state
        # and its count (`signed` at the end of one line, `732` at the start of the next).
        pieces: list[Text] = []
        if self._problem:
            pieces.append(Text(self._problem, style="bold red"))
        else:
            names = [*states, *sorted(set(counts) - set(states))]
            lead = Text()
            if getattr(self, "_waiting", False):
                lead.append("waiting on me: ", style="bold")
            elif getattr(self, "_filtered", False):
                lead.append("matching: ")
            if only is not None:
                pieces.append(lead + lit.state(only) + Text(f" {counts.get(only, 0):,}"))
                pieces.append(Text("   ") + Text(f"total {total:,}", style="bold"))
                pieces.append(Text(f"   other states, ignoring state:{only}:", style="dim italic"))
                for name in (n for n in names if n != only):
                    pieces.append(Text(f" {name} {counts.get(name, 0):,} ", style="dim"))
            else:
                for name in names:
                    piece = Text("   ") if pieces else lead
                    pieces.append(piece + lit.state(name) + Text(f" {counts.get(name, 0):,}"))
                total_piece = Text(f"total {total:,}", style="bold")
                pieces.append((Text("   ") if pieces else lead) + total_piece)
        if self._stale and not self._problem:
            for piece in pieces:
                piece.stylize("dim")
            pieces.append(Text("   counting…", style="italic"))
        if marked:
            pieces.append(Text(f"   ● marked {marked:,}", style="bold reverse"))
        self._pieces = pieces
        self._pack()

    def _pack(self) -> None:
        """The pieces on as many lines as the width needs, broken only between pieces (a
        piece that starts a line loses its leading spaces)."""
        width = self.content_region.width
        line = Text()
        used = 0
        for piece in getattr(self, "_pieces", []):
            size = piece.cell_len
            if used and width and used + size > width:
                line.rstrip()
                line.append("\n")
                gap = len(piece.plain) - len(piece.plain.lstrip(" "))
                piece = piece[gap:]
                size = piece.cell_len
                used = 0
            line.append_text(piece)
            used += size
        self.update(line)

    def on_resize(self) -> None:
        # After this layout pass: an update during it keeps the height of the old width.
        self.call_after_refresh(self._pack)


def unknown_kind(kind: str, kinds: Sequence[str]) -> str | None:
    """`no item has kind 'bogus': agreement, drill, ...` when the filter names a kind no item
    has (as `unknown_state` does for states); None for a kind in use."""
    if kind.strip().lower() in kinds:
        return None
    return f"no item has kind {kind!r}: {', '.join(kinds) or 'there are no items yet'}"


def unknown_state(state: str | None, states: Sequence[str]) -> str | None:
    """`no state 'bogus': proposed, stalled, ...` when the filter names a state no workflow
    has (the table is then empty, and this says why)."""
    if state is None or state.lower() in states:
        return None
    return f"no state {state!r}: {', '.join(states)}"
