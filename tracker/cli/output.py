"""One formatter per output format: a Rich table for people; JSON, NDJSON and CSV for scripts.

Text from the database is printed literally: in tables Rich markup is never interpreted and
control characters are shown escaped (tracker.render.text), so a title cannot drive the
terminal; JSON, NDJSON and CSV carry the exact text.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

# Re-exported for the CLI's commands: one terminal-safe text for the CLI and the TUI.
from ..formats.ndjson import dumps
from ..render.text import safe as safe
from ..render.text import safe_lines as safe_lines

if TYPE_CHECKING:
    from ..records import HistoryEntry

FORMATS = ("table", "json", "ndjson", "csv")
# What tables show of items and entries (CSV gives every field, in SPEC's order).
ITEM_COLUMNS = ["key", "title", "kind", "parties", "state", "version", "updated_at"]
ENTRY_COLUMNS = [
    "id",
    "item",
    "trigger",
    "from_state",
    "to_state",
    "occurred_at",
    "actor",
    "reason",
    "source",
]


class Record(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class _ShownEntry:
    """A history entry as a table row: a consent's trigger cell names what it consents to and
    for whom (`approve sign ROK`)."""

    def __init__(self, entry: HistoryEntry) -> None:
        self.entry = entry

    def to_json(self) -> dict[str, Any]:
        found = self.entry.to_json()
        named = self.entry.consent
        if named is not None:
            found["trigger"] = f"{self.entry.trigger} {named[0]} {named[1]}"
        return found


def entry_rows(entries: Iterable[HistoryEntry]) -> list[Record]:
    """History entries as the rows of a table (`_ShownEntry`)."""
    return [_ShownEntry(entry) for entry in entries]


PROSE = frozenset({"title", "reason", "source", "description", "message"})
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}\.\d{6}Z$")


def _short(value: str) -> str:
    """Times in tables read as `2026-01-30 09:00` (UTC); scripts get the full ISO form."""
    match = _ISO.match(value)
    return f"{match[1]} {match[2]}" if match else value


def cell(value: object) -> str:
    if isinstance(value, list | tuple):
        return " ".join(safe(v) for v in value)
    return safe(value)


def emit(
    records: Iterable[Record],
    fmt: str,
    columns: Sequence[str],
    *,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    """Print records in `fmt`; `columns` picks and orders the fields of the table and CSV."""
    stream = out or sys.stdout
    if fmt == "json":
        stream.write(
            json.dumps([r.to_json() for r in records], ensure_ascii=False, indent=2) + "\n"
        )
    elif fmt == "ndjson":
        for record in records:
            stream.write(dumps(record.to_json()) + "\n")
    elif fmt == "csv":
        write_csv(
            stream, columns, ([record.to_json().get(c) for c in columns] for record in records)
        )
    else:
        table(
            [[r.to_json().get(c) for c in columns] for r in records],
            columns,
            title=title,
            out=stream,
        )


def csv_text(value: object) -> str:
    """A value as a CSV field: a string exactly as JSON has it (no escapes; the writer quotes),
    names in a list space-separated (parties), anything else its JSON text; None is empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return dumps(value)


def write_csv(stream: TextIO, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A header and rows that a CSV reader (Python's csv, csvkit) reads back as the JSON's text.
    Lines end in `\\n`; a field holding one is quoted. Python 3.11's writer quotes only by the
    line terminator, so a row holding a `\\r` is written with every field quoted."""
    minimal = csv.writer(stream, lineterminator="\n")
    quoted = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_ALL)
    minimal.writerow(columns)
    for row in rows:
        fields = [csv_text(value) for value in row]
        (quoted if any("\r" in field for field in fields) else minimal).writerow(fields)


def emit_one(record: Record, fmt: str, *, out: TextIO | None = None) -> None:
    """One record: JSON object (not a list) for json/ndjson, else key/value lines."""
    stream = out or sys.stdout
    if fmt in ("json", "ndjson"):
        indent = 2 if fmt == "json" else None
        stream.write(
            json.dumps(
                record.to_json(),
                ensure_ascii=False,
                indent=indent,
                separators=None if indent else (",", ":"),
            )
            + "\n"
        )
    elif fmt == "csv":
        emit([record], "csv", list(record.to_json()), out=stream)
    else:
        for name, value in record.to_json().items():
            stream.write(f"{name:>16}: {cell(value)}\n")


def _console_class() -> Any:
    """Rich's Console, but a broken pipe is raised as one (the CLI says exit 0: the reader
    stopped early), not Rich's own SystemExit(1)."""
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return PipedConsole


def table(
    rows: Sequence[Sequence[object]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    """A Rich table of literal cells (no markup, no escapes)."""
    from rich.table import Table
    from rich.text import Text

    console = _console_class()(file=out or sys.stdout, highlight=False, soft_wrap=False)
    grid = Table(title=title, show_edge=False, header_style="bold", pad_edge=False)
    cells = [[_short(cell(value)) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    fixed = sum(w for w, name in zip(widths, columns, strict=True) if name not in PROSE)
    prose = [name for name in columns if name in PROSE]
    room = max(12, (console.width - fixed - 3 * len(columns)) // max(1, len(prose)))
    # Only prose is squeezed: a narrow terminal or a pipe (80 columns) gets a wider line rather
    # than a key, state or time cut short.
    console.width = max(console.width, fixed + 3 * len(columns) + room * len(prose))
    for name, widest in zip(columns, widths, strict=True):
        limit = min(widest, room) if name in PROSE else widest
        grid.add_column(
            name.replace("_", " "),
            no_wrap=True,
            overflow="ellipsis",
            min_width=limit,
            max_width=limit,
        )
    for row in cells:
        grid.add_row(*[Text(value) for value in row])
    console.print(grid)
    if not rows:
        console.print(Text("(nothing)", style="dim"))
