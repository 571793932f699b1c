"""Literal text for the TUI: database values become `rich.text.Text`, never markup.

Every cell, field and line that shows a value from the database goes through here, so a title
like `[bold red]x[/]` or one with terminal escape codes is shown exactly as typed.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from ..dates import iso
from ..render.palette import Palette
from ..render.text import safe, safe_lines
from ..wording import plural

# The state colours of the workflows in force: the app sets them when it opens a tracker
# (`use_palette`); a state no workflow has is plain bold.
_palette = Palette()


def use_palette(palette: Palette) -> None:
    """Colour states by `palette` from now on (the app calls this with its tracker's)."""
    global _palette
    _palette = palette


def palette() -> Palette:
    """The state colours in use."""
    return _palette


def literal(value: object, style: str = "") -> Text:
    """One line of inert text (control characters shown escaped)."""
    return Text(safe(value), style=style, no_wrap=True, overflow="ellipsis")


def one_line(value: object, style: str = "") -> Text:
    """Inert text on one line: a multi-line value's lines joined by ` ↵ ` (a table cell;
    the detail panels show the lines)."""
    lines = safe_lines("" if value is None else str(value)).split("\n")
    return literal(" ↵ ".join(lines), style) if len(lines) > 1 else literal(value, style)


def literal_lines(value: str | None, style: str = "") -> Text:
    """Multi-line inert text (newlines kept, other control characters escaped)."""
    return Text(safe_lines(value or ""), style=style)


NO_STATE = "∅"  # an item before its first state (the `from` of a `create` entry)


def state(value: str | None) -> Text:
    """A state name in its colour; NO_STATE for none."""
    if value is None:
        return Text(NO_STATE, style="dim")
    return literal(value, _palette.style(value))


def when(value: datetime | None) -> str:
    """A time as `2026-01-30 09:00` (UTC), the form tables use."""
    if value is None:
        return ""
    text = iso(value)
    return f"{text[:10]} {text[11:16]}"


def counted(count: int, noun: str, nouns: str | None = None) -> str:
    """`5,967 marked items`: the CLI's `plural`, its thousands grouped as every count on
    screen is (the count lines, the buttons)."""
    return f"{count:,}{plural(count, noun, nouns).removeprefix(str(count))}"
