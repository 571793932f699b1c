"""Restoring an export: every chain checked (transfer.read_export) before anything is
written, then written in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import func, select

from ..errors import Conflict
from ..wording import plural
from ..workflow import Workflows
from .database import Database
from .models import items


def import_(
    db: Database,
    workflows: Workflows,
    lines: Iterable[str],
    *,
    merge: bool,
    progress: Callable[[int], None],
) -> tuple[int, int]:
    """Restore an export (see Tracker.import_). Returns (items, entries)."""
    from ..transfer import read_export

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
        dump.write(session, keep_ids=not existing, sqlite=db.sqlite, progress=progress)
    return len(dump.items), dump.entry_count
