"""verify's clean pass in C over a SQLite file: the checks of audit/fast.py without a Python
object per value (docs/decisions.md, "verify's clean pass in C").

The extension (`csrc/`) is built at install where a C compiler and the headers of
SQLite and OpenSSL are found; where it is not, or the database is not a SQLite file, or the
pass cannot read what this transaction reads, verify runs fast.py instead: the same checks,
slower. It reads, in a read transaction of its own on the same file, the rows the queries
here select, and answers clean, a doubt (the exact replay then names what is wrong), or the
entries that record fields or settle consents, which `fast.follow` takes through the exact
replay's own rules. Its snapshot is this transaction's exactly when both end at the same last
entry: every write appends an entry, entries never change, and SQLite gives ids in commit
order (the same argument as split.py's).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ..collector import no_collection
from ..store.engine import sqlite_file
from ..store.models import history
from ..workflow import STATE_KEEPING_TRIGGERS, Workflows
from . import chains
from .fast import Clean, follow, plain_workflows
from .replay import FOLLOWED_TRIGGERS

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from ..store.database import Database

# Entries between two calls of `progress` (each call takes the GIL back for a moment).
PROGRESS_EVERY = 20_000


class Unavailable(Exception):
    """The C pass cannot answer for this database: the caller runs the Python one."""


def extension() -> ModuleType | None:
    """The built extension, or None where it was not built."""
    try:
        from . import _chainscan
    except ImportError:
        return None
    return _chainscan


def clean_pass(
    db: Database,
    workflows: Workflows,
    session: Session,
    progress: Callable[[int], None],
) -> Clean | None:
    """fast.clean_pass's answer for the database `session` reads (a read transaction, begun
    or not): Clean, or None at a doubt. Unavailable where the C pass cannot answer."""
    scan = extension()
    path = sqlite_file(db.engine.url) if db.sqlite else None
    if scan is None or path is None:
        raise Unavailable
    last = session.execute(select(func.max(history.c.id))).scalar_one() or 0
    entries = chains.entries(db).order_by(history.c.id)
    moves = {
        name: (initial, tuple((*move, to) for move, to in table.items()), tuple(gates))
        for name, (initial, table, gates) in plain_workflows(workflows).items()
    }
    try:
        with no_collection():  # ~50,000 tuples made, none in a cycle
            found = scan.scan(
                str(path),
                _sql(db, chains.item_rows(db)),
                _sql(db, entries),
                moves,
                tuple(STATE_KEEPING_TRIGGERS),
                tuple(FOLLOWED_TRIGGERS),
                progress,
                PROGRESS_EVERY,
            )
    except OSError as exc:  # the file could not be opened or read: the Python pass says why
        raise Unavailable from exc
    if isinstance(found, str):
        return None
    seen, item_count, entry_count, derived_differ, followed, items = found
    if seen != last:  # another snapshot than this transaction's
        raise Unavailable
    with no_collection():
        followed_clean = follow(followed, items, workflows)
    if not followed_clean:
        return None
    return Clean(item_count, entry_count, derived_differ)


def _sql(db: Database, query: Select[Any]) -> str:
    """A query's SQL for SQLite, its parameters (there are none) written in."""
    return str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
