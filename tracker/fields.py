"""What a key, title, kind, party and free text may be. One rule each, used by every front end."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .errors import UsageError

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
KIND = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
PARTY = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
# Bidi embeddings, overrides and isolates reorder how text is displayed ("Trojan Source"):
# an audit record must read as it was written, so they are refused like control characters.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LIMITS = {
    "title": 500,
    "description": 20_000,
    "reason": 5_000,
    "source": 2_000,
    "actor": 200,
    "text": 500,
}


def key(value: str) -> str:
    """An item key: a letter, then letters, digits, `_`, `.` or `-`; at most 64."""
    if not KEY.match(value):
        raise UsageError(
            f"bad key {printable(value)}: a letter, then letters, digits, '_', '.' or '-' (max 64)"
        )
    return value


def kind(value: str) -> str:
    """A kind, lower-cased: a letter, then letters, digits, `_` or `-`."""
    lowered = value.strip().lower()
    if not KIND.match(lowered):
        raise UsageError(f"bad kind {printable(value)}: a word of letters, digits, '_' or '-'")
    return lowered


def parties(values: Iterable[str]) -> tuple[str, ...]:
    """Party codes, upper-cased, duplicates dropped, in the order given."""
    seen: list[str] = []
    for value in values:
        code = value.strip().upper()
        if not PARTY.match(code):
            raise UsageError(f"bad party {printable(value)}: a code like ROK, JPN or USA")
        if code not in seen:
            seen.append(code)
    return tuple(seen)


def text(
    name: str, value: str | None, *, required: bool = False, multiline: bool = False
) -> str | None:
    """Free text: no control characters (newlines and tabs where `multiline`), within its limit."""
    if value is None or not value.strip():
        if required:
            raise UsageError(f"{name} must not be empty")
        return None
    if len(value) > LIMITS[name]:
        raise UsageError(f"{name} is too long ({len(value)} characters, at most {LIMITS[name]})")
    if value.isascii() and value.isprintable():
        # The common case, decided in C: printable ASCII holds nothing refused below.
        return value.strip() if not multiline else value
    allowed = "\n\t" if multiline else ""
    # Line and paragraph separators (Zl, Zp) break a one-line field like a newline does.
    refused = ("Cc", "Cs") if multiline else ("Cc", "Cs", "Zl", "Zp")
    for char in value:
        if char in allowed:
            continue
        if unicodedata.category(char) in refused or char in BIDI_CONTROLS:
            raise UsageError(f"{name} contains a control character {char!r}")
    return value.strip() if not multiline else value


def printable(value: str) -> str:
    """`value` quoted with control characters escaped, safe to print in a one-line error."""
    return repr(value[:80] + ("…" if len(value) > 80 else ""))
