"""NDJSON, one reader and one writer: batches (`apply`), exports (`import`) and the CLI's
`--format ndjson` all go through here. Reading is bounded: split at `\n` only, each line at
most MAX_LINE bytes and checked as UTF-8 on its own, JSON strict (a name given twice, nesting
too deep or a number too long is a UsageError naming the line)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from ..errors import UsageError

MAX_LINE = 1 << 20
"""The longest line of an NDJSON batch or export, in bytes (1 MiB); a longer one is refused."""
CHUNK = 1 << 16
"""How much of a stream is read at a time."""

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""One value as compact JSON on one line (non-ASCII kept): what every NDJSON line is."""


def read_lines(stream: BinaryIO, head: bytes = b"") -> Iterator[str]:
    """The lines of a UTF-8 byte stream (after `head`, bytes already read from it), split at
    "\n" only, without it. A line longer than MAX_LINE bytes or not UTF-8 is a UsageError,
    found without reading further: memory stays bounded whatever the stream holds."""
    pending = head
    number = 0
    while True:
        chunk = stream.read(CHUNK)
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) != -1:
            number += 1
            yield _line(pending[start:end], number)
            start = end + 1
        pending = pending[start:]
        if len(pending) > MAX_LINE:
            raise _too_long(number + 1)
        if not chunk:
            break
    if pending:
        yield _line(pending, number + 1)


def _line(raw: bytes, number: int) -> str:
    if len(raw) > MAX_LINE:
        raise _too_long(number)
    return decoded(without_bom(raw) if number == 1 else raw, number)


BOM = b"\xef\xbb\xbf"


def without_bom(start: bytes) -> bytes:
    """The start of a file without the UTF-8 byte order mark Windows editors write: RFC 8259
    lets a JSON reader ignore it, and a batch or an export with one was refused."""
    return start.removeprefix(BOM)


def _too_long(number: int) -> UsageError:
    return UsageError(f"line {number}: too long (the limit is {MAX_LINE >> 20} MiB a line)")


def decoded(raw: bytes, number: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if number is None:  # a whole document: name the line of the bad byte
            number = raw.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"line {number}: not UTF-8 text ({exc.reason})") from None


def json_error(exc: json.JSONDecodeError) -> UsageError:
    return UsageError(f"line {exc.lineno}: bad JSON: {exc.msg}")


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; a name given twice is an error, not "the last wins"."""
    obj: dict[str, Any] = {}
    for name, value in pairs:
        if name in obj:
            raise UsageError(f"field {name!r} appears twice in one object")
        obj[name] = value
    return obj


def loads(raw: str) -> Any:
    """One JSON value; duplicate names, nesting too deep to read and numbers too long to
    convert are UsageErrors (JSONDecodeError for malformed JSON)."""
    try:
        return json.loads(raw, object_pairs_hook=unique_keys)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise UsageError("bad JSON: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise UsageError(f"bad JSON: {first_clause(exc)}") from None


def first_clause(exc: ValueError) -> str:
    return str(exc).split(";", 1)[0]


def read(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    """Each non-blank line's JSON value with its line number; errors name the line. Blank is
    JSON's whitespace only (str.strip() would also skip a line of U+2028 or \x1c)."""
    for line, raw in enumerate(lines, start=1):
        if not raw.strip(" \t\r\n"):
            continue
        try:
            obj = loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageError(f"line {line}: bad JSON: {exc.msg}") from None
        except UsageError as exc:
            raise UsageError(f"line {line}: {exc}") from None
        yield line, obj
