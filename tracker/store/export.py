"""The whole database as NDJSON, read in one snapshot: a header line, the items, then the
history entries (hashes included). `formats.export.read_export` reads it back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from sqlalchemy import func, select

from ..errors import DatabaseUnusable
from ..formats.export import EXPORT_FORMAT, EXPORT_VERSION
from ..formats.ndjson import dumps
from ..workflow import Workflows
from .database import Database
from .models import history, items
from .queries import entry, item_columns, items_from


def export(
    db: Database, workflows: Workflows, out: TextIO, progress: Callable[[int], None]
) -> tuple[int, int]:
    """Write the export to `out`; returns (items, entries)."""
    with db.snapshot() as session:
        n_items = session.execute(select(func.count()).select_from(items)).scalar_one()
        n_entries = session.execute(select(func.count()).select_from(history)).scalar_one()
        header = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "items": n_items,
            "entries": n_entries,
        }
        out.write(dumps(header) + "\n")
        for rows in db.stream(session, select(*item_columns(db)).order_by(items.c.id)):
            for one in items_from(rows, workflows):
                record = one.to_json()
                del record["allowed_triggers"]
                record["workflow"] = one.workflow
                out.write(_line({"type": "item", **record}, f"item {one.key}"))
        query = (
            select(history, items.c.key)
            .join(items, items.c.id == history.c.item_id)
            .order_by(history.c.id)
            .execution_options(yield_per=5000)
        )
        for done, row in enumerate(session.execute(query), start=1):
            found = entry(row)
            line = {"type": "entry", **found.to_json(), "fields": found.fields_json()}
            out.write(_line(line, f"history entry {found.id}"))
            if done % 5000 == 0:
                progress(done)
    return n_items, n_entries


def _line(record: dict[str, Any], what: str) -> str:
    """One NDJSON line; a value JSON cannot hold (a BLOB another program wrote where text
    belongs) is the database's fault, named, exit 6, as verify names it (exit 7)."""
    try:
        return dumps(record) + "\n"
    except (TypeError, ValueError):
        raise DatabaseUnusable(
            f"{what} holds a value that is not text (a blob?): run `tracker verify`"
        ) from None
