"""Terminal-safe text: a value from the database shown literally, never as terminal control.

The one place the CLI's tables and the TUI escape control characters; machine formats (JSON,
NDJSON, CSV) carry the exact text instead.
"""

from __future__ import annotations

from ..fields import BIDI_CONTROLS, TAGS

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL.update({0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r"})
# Bidi controls reorder what follows them, line separators break a line, tag characters are
# invisible: escaped too (text fields refuse them, but a database may be old or forged).
_CONTROL.update(
    {c: f"\\u{c:04x}" for c in [*map(ord, BIDI_CONTROLS), 0x2028, 0x2029]}
    | {c: f"\\U{c:08x}" for c in TAGS}
)


def safe(value: object) -> str:
    """A value as one line of inert text: control characters escaped."""
    return "" if value is None else str(value).translate(_CONTROL)


def safe_lines(value: str) -> str:
    """Multi-line text with every control character but the newline escaped."""
    return "\n".join(safe(line) for line in value.split("\n"))
