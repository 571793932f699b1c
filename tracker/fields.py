"""What a key, title, kind, party and free text may be. One rule each, used by every front end
(and by import, batch files and workflow files), checked before the database sees a value.

Text rules (SPEC "Audit guarantees"): no control characters (a multi-line field, a reason or a
description, may hold newlines and tabs), no bidi controls, no Unicode tag characters, within
the field's limit; a required field needs a visible character. Limits are the database
columns' limits (tracker/store/models.py), so every backend takes what one takes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .errors import UsageError

# `\A...\Z`, never `^...$`: `$` also matches before a trailing newline, so "ACSA\n" would pass.
KEY_MAX = 64
KEY = re.compile(r"\A[A-Za-z][A-Za-z0-9_.-]{0,63}\Z")
KIND = re.compile(r"\A[a-z][a-z0-9_-]{0,63}\Z")
PARTY = re.compile(r"\A[A-Z][A-Z0-9_-]{0,15}\Z")
# A workflow, state or trigger name (workflow files).
NAME_MAX = 40
NAME = re.compile(r"\A[a-z][a-z0-9_-]{0,39}\Z")
# Parties are stored space-separated in one column of 400: 20 codes of at most 16 fit.
PARTIES_MAX = 20
# Bidi embeddings, overrides, isolates and marks reorder how text is displayed ("Trojan
# Source"): an audit record must read as it was written, so they are refused.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Tag characters (U+E0000-E007F) are invisible and can smuggle text past a reader.
TAGS = range(0xE0000, 0xE0080)
# Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern).
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Categories that draw nothing by themselves: controls, format characters (zero-width space,
# word joiner, BOM...), surrogates, separators, combining marks without a base.
INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
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
    if not lowered:
        raise UsageError("kind must not be empty")
    if not KIND.match(lowered):
        raise UsageError(f"bad kind {printable(value)}: a word of letters, digits, '_' or '-'")
    return lowered


def party(value: str) -> str:
    """One party code, upper-cased: a letter, then letters, digits, `_` or `-`; at most 16."""
    code = value.strip().upper()
    if not PARTY.match(code):
        raise UsageError(f"bad party {printable(value)}: a code like ROK, JPN or USA")
    return code


def stored_parties(column: str) -> list[str]:
    """The parties column read back exactly as it is written (`" ".join` of the codes): any
    other spelling of the same codes (a double space, a tab) comes back different, so verify
    sees a row changed behind history's back."""
    return column.split(" ") if column else []


def parties(values: Iterable[str]) -> tuple[str, ...]:
    """Party codes, upper-cased, in the order given; at most 20. A code given twice (in any
    case) is a UsageError, not merged: `--party AUS --party AUS` is a typo for two parties
    as likely as a repeat, and SPEC has nothing a command accepts silently dropped."""
    seen: list[str] = []
    for value in values:
        code = party(value)
        if code in seen:
            raise UsageError(f"party {code} is given twice")
        seen.append(code)
    if len(seen) > PARTIES_MAX:
        raise UsageError(f"too many parties ({len(seen)}, at most {PARTIES_MAX})")
    return tuple(seen)


def text(
    name: str, value: str | None, *, required: bool = False, multiline: bool = False
) -> str | None:
    """Free text within its limit, without control characters (newlines and tabs allowed where
    `multiline`), bidi controls or tag characters. A one-line field is stripped; blank is None.
    A `required` field needs a visible character (a zero-width space is not one)."""
    if value is None or not value.strip():
        if required:
            raise UsageError(f"{name} must not be empty")
        return None
    if len(value) > LIMITS[name]:
        raise UsageError(f"{name} is too long ({len(value)} characters, at most {LIMITS[name]})")
    if not (value.isascii() and value.isprintable()):
        # Printable ASCII (the common case, decided in C) holds nothing refused here.
        refuse_invisible_controls(name, value, multiline=multiline)
    if required and not visible(value):
        raise UsageError(f"{name} must not be empty (it has no visible character)")
    return value.strip() if not multiline else value


def refuse_invisible_controls(name: str, value: str, *, multiline: bool = False) -> None:
    """UsageError naming the first character a text field may not hold, if any."""
    allowed = "\n\t" if multiline else ""
    # Line and paragraph separators (Zl, Zp) break a one-line field like a newline does.
    refused = ("Cc", "Cs") if multiline else ("Cc", "Cs", "Zl", "Zp")
    for char in value:
        if char in allowed:
            continue
        what = _refused(char, refused)
        if what:
            raise UsageError(f"{name} contains {what} (U+{ord(char):04X})")


def _refused(char: str, refused: tuple[str, ...]) -> str | None:
    if char in BIDI_CONTROLS:
        return "a bidi control character"
    if ord(char) in TAGS:
        return "a Unicode tag character"
    category = unicodedata.category(char)
    if category == "Cs":
        return "a lone surrogate (not valid Unicode; invalid UTF-8?)"
    if category in refused:
        return "a control character"
    return None


def visible(value: str | None) -> bool:
    """Whether `value` has a character that draws something: not only spaces, zero-width or
    format characters, combining marks or blank letters."""
    if not value:
        return False
    for char in value:
        if char.isascii():
            if char.isprintable() and not char.isspace():
                return True
        elif unicodedata.category(char) not in INVISIBLE and char not in BLANK_LETTERS:
            return True
    return False


def filter_value(field: str, value: str | None) -> str | None:
    """A filter's value as given (None: no filter). An empty or blank value is a usage error,
    never "match everything": `--where "kind=$KIND"` with KIND unset must not select every
    item. Control characters are refused as in text fields."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"the {field} filter must be text, not {type(value).__name__}")
    if not value.strip():
        raise UsageError(f"the {field} filter is empty (leave it out to match everything)")
    limit = LIMITS["text"]
    if len(value) > limit:
        raise UsageError(f"the {field} filter is too long ({len(value)} characters, max {limit})")
    refuse_invisible_controls(f"the {field} filter", value)
    return value.strip()


def printable(value: str) -> str:
    """`value` quoted with control characters escaped, safe to print in a one-line error."""
    return repr(value[:80] + ("…" if len(value) > 80 else ""))
