"""One formatter per output format: a Rich table for people; JSON, NDJSON and CSV for scripts.

Text from the database is printed literally: Rich markup is never interpreted and control
characters are shown escaped, so a title cannot drive the terminal.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TextIO

FORMATS = ("table", "json", "ndjson", "csv")
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL.update({0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r"})
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Record(Protocol):
    def to_json(self) -> dict[str, Any]: ...


PROSE = frozenset({"title", "reason", "source", "description", "message"})
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}\.\d{6}Z$")


def _short(value: str) -> str:
    """Times in tables read as `2026-01-30 09:00` (UTC); scripts get the full ISO form."""
    match = _ISO.match(value)
    return f"{match[1]} {match[2]}" if match else value


def safe(value: object) -> str:
    """A value as one line of inert text: control characters escaped."""
    return "" if value is None else str(value).translate(_CONTROL)


def safe_lines(value: str) -> str:
    """Multi-line text with every control character but the newline escaped."""
    return "\n".join(safe(line) for line in value.split("\n"))


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
            stream.write(_dumps(record.to_json()) + "\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            data = record.to_json()
            writer.writerow([cell(data.get(c)) for c in columns])
    else:
        table(
            [[r.to_json().get(c) for c in columns] for r in records],
            columns,
            title=title,
            out=stream,
        )


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


def table(
    rows: Sequence[Sequence[object]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    """A Rich table of literal cells (no markup, no escapes)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out or sys.stdout, highlight=False, soft_wrap=False)
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
