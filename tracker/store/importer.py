"""Restoring an export: every chain checked (formats/export.py read_export) before anything is
written, then written in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, text

from .. import dates
from ..errors import Conflict
from ..wording import plural
from ..workflow import Workflows
from .database import Database
from .models import history, item_parties, items

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..formats.export import Dump


def import_(
    db: Database,
    workflows: Workflows,
    lines: Iterable[str],
    *,
    merge: bool,
    progress: Callable[[int], None],
) -> tuple[int, int]:
    """Restore an export (see Tracker.import_). Returns (items, entries)."""
    from ..formats.export import read_export

    dump = read_export(lines, workflows, actor=lambda: db.default_actor)
    with db.session(write=True) as session:
        existing = session.execute(select(func.count()).select_from(items)).scalar_one()
        if existing and not merge:
            raise Conflict(
                f"the database already has {plural(existing, 'item')}; import into an "
                "empty database, or pass --merge to add new items only"
            )
        clash = (
            session.execute(
                select(items.c.key).where(items.c.key_lower.in_(list(dump.items)))
            ).first()
            if existing
            else None
        )
        if clash is not None:
            raise Conflict(f"item {clash[0]!r} is already in the database")
        _write(session, dump, keep_ids=not existing, sqlite=db.sqlite, progress=progress)
    return len(dump.items), dump.entry_count


def _write(
    session: Session,
    dump: Dump,
    *,
    keep_ids: bool,
    sqlite: bool,
    progress: Callable[[int], None],
) -> None:
    """Insert the items, then the entries (ids kept when the database was empty)."""

    def when(value: str) -> Any:
        return value if sqlite else dates.parse_when(value)

    if not dump.items:
        return
    item_rows = []
    for index, item in enumerate(dump.items.values(), start=1):
        row = {
            "key": item["key"],
            "key_lower": item["key"].lower(),
            "title": item["title"],
            "kind": item["kind"],
            "workflow": item["workflow"],
            "parties": " ".join(item["parties"]),
            "description": item["description"],
            "state": item["state"],
            "version": item["version"],
            "last_hash": item["_head"],
            "created_at": when(item["created_at"]),
            "updated_at": when(item["updated_at"]),
            "changed_at": when(item["_changed"]),
        }
        if keep_ids:
            row["id"] = index
        item_rows.append(row)
    returned = (
        session.execute(
            insert(items).returning(items.c.id, sort_by_parameter_order=True), item_rows
        )
        .scalars()
        .all()
    )
    ids = dict(zip(dump.items, returned, strict=True))
    party_rows = [
        {"item_id": ids[lowered], "position": n, "party": party, "key_lower": lowered}
        for lowered, item in dump.items.items()
        for n, party in enumerate(item["parties"])
    ]
    if party_rows:
        session.execute(insert(item_parties), party_rows)
    for start in range(0, len(dump.entries), 10000):
        rows = []
        for entry in dump.entries[start : start + 10000]:
            row = {
                "item_id": ids[entry["item"].lower()],
                "version": entry["_version"],
                "trigger": entry["trigger"],
                "from_state": entry["from_state"],
                "to_state": entry["to_state"],
                "occurred_at": when(entry["occurred_at"]),
                "recorded_at": when(entry["recorded_at"]),
                "actor": entry["actor"],
                "reason": entry["reason"],
                "source": entry["source"],
                "hash": entry["hash"],
                "fields": entry["_fields"],
            }
            if keep_ids:
                row["id"] = entry["id"]
            rows.append(row)
        session.execute(insert(history), rows)
        progress(start + len(rows))
    if keep_ids and not sqlite:
        for table in ("items", "history"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )
