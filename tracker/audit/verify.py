"""`verify`: replay every chain in one snapshot (in two processes for a long history), then
check the item columns that follow from history."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from .. import fields
from ..records import Problem, VerifyReport
from ..store.database import Database
from ..store.models import history, items
from ..workflow import Workflows
from . import SPLIT_VERIFY_FROM, chains, split

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def verify(
    db: Database,
    workflows: Workflows,
    *,
    progress: Callable[[int], None],
    split_from: int = SPLIT_VERIFY_FROM,
) -> VerifyReport:
    """Replay every item's history (see Tracker.verify). Everything is read in one snapshot,
    also while others write, by both processes: on PostgreSQL the child imports the one this
    transaction exports (pg_export_snapshot). SQLite cannot hand a snapshot to another
    process, so the child is given the item rows read here and reads no entry past the last
    one here: entries never change and SQLite gives ids in commit order, so those are
    exactly this snapshot's."""
    with db.snapshot() as session:
        clean = _verify_clean(db, workflows, session, progress)
        if clean is not None:
            return clean
        first, last = session.execute(select(func.min(history.c.id), func.max(history.c.id))).one()
        if first is not None and last - first + 1 >= split_from and split.possible(db):
            halves = split.Split(first + (last - first) * 11 // 20, last)
            if db.sqlite:
                rows = db.stream(session, chains.heads(db, with_fields=False))
                halves.heads = [tuple(row) for found in rows for row in found]
            else:
                exported = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                halves.shared = str(exported)
            # This transaction stays open until both halves are read (an exported snapshot
            # lives as long as its transaction); this process reads its half in it.
            report = split.verify_split(db, workflows, session, halves, progress)
        else:
            report = chains.replay(db, workflows, progress=progress, session=session).report()
        derived = _derived_problems(db, session)
    if not derived:
        return report
    from ..transfer import ordered

    return dataclasses.replace(report, problems=ordered((*report.problems, *derived)))


def _verify_clean(
    db: Database, workflows: Workflows, session: Session, progress: Callable[[int], None]
) -> VerifyReport | None:
    """`verify` in one pass that proves a database clean (audit/fast.py): the report the
    exact replay gives then, or None at the first doubt (the caller then runs the exact
    replay, which names what is wrong). A derived column that differs from its chain's end is
    named by `_derived_problems`, as the exact verify names it."""
    from .fast import clean_pass

    items_query = select(
        *chains.heads(db, with_fields=True).selected_columns,
        items.c.key_lower,
        db.time_text(items.c.changed_at),
        db.time_text(items.c.updated_at),
    ).order_by(items.c.id)
    # By item and version, in small batches: each item's chain is read in one run.
    item_rows = db.stream(session, items_query, name="tracker_items")
    entry_rows = db.stream(
        session, chains.entries(db).order_by(history.c.item_id, history.c.version), size=2_000
    )
    try:
        clean = clean_pass(item_rows, entry_rows, workflows, progress)
    finally:  # close both cursors now: the exact replay opens one of the same name
        item_rows.close()
        entry_rows.close()
    if clean is None:
        return None
    problems: tuple[Problem, ...] = ()
    if clean.derived_differ:
        from ..transfer import ordered

        problems = ordered(_derived_problems(db, session))
    return VerifyReport(clean.items, clean.entries, problems)


def _derived_problems(db: Database, session: Session) -> list[Problem]:
    """The item columns no entry records but that follow from history, against it:
    `changed_at` (as-of trusts it) and `updated_at` are the last entry's occurred_at and
    recorded_at, `key_lower` (every lookup by key) is the key lower-cased. One pass over
    the items joined with the entry at their version; an item without one is the
    replay's problem already."""
    at_version = (history.c.item_id == items.c.id) & (history.c.version == items.c.version)
    query = (
        select(
            items.c.key,
            items.c.key_lower,
            db.time_text(items.c.changed_at),
            db.time_text(items.c.updated_at),
            db.time_text(history.c.occurred_at),
            db.time_text(history.c.recorded_at),
        )
        .join(history, at_version)
        .order_by(items.c.id)
    )
    problems = []
    for rows in db.stream(session, query):
        for key, lowered, changed, updated, occurred, recorded in rows:
            for name, has, follows in (
                ("key_lower", lowered, key.lower()),
                ("changed_at", changed, occurred),
                ("updated_at", updated, recorded),
            ):
                if has != follows:
                    message = (
                        f"{name}: the item has {fields.printable(str(has))}, its history "
                        f"{fields.printable(str(follows))}"
                    )
                    problems.append(Problem(key, None, message))
    return problems
