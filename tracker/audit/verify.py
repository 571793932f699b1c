"""`verify`: replay every chain in one snapshot (in two processes for a long history), then
check the item columns that follow from history."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from .. import fields
from ..records import Problem, VerifyReport
from ..store.database import Database
from ..store.models import history, item_parties, items
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
        # The items whose parties the replay found changed behind history's back.
        suspects = {
            p.item for p in report.problems if p.entry_id is None and p.message[:8] == "parties:"
        }
        derived = _derived_problems(db, session) + _party_index_problems(db, session, suspects)
    if not derived:
        return report
    from .replay import ordered

    return dataclasses.replace(report, problems=ordered((*report.problems, *derived)))


def _verify_clean(
    db: Database, workflows: Workflows, session: Session, progress: Callable[[int], None]
) -> VerifyReport | None:
    """`verify` in one pass that proves a database clean (audit/fast.py): the report the
    exact replay gives then, or None at the first doubt (the caller then runs the exact
    replay, which names what is wrong). A derived column that differs from its chain's end is
    named by `_derived_problems`, as the exact verify names it."""
    from . import native
    from .fast import clean_pass

    items_query = chains.item_rows(db)
    try:
        clean = native.clean_pass(db, workflows, session, progress)
    except native.Unavailable:
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
    found = _derived_problems(db, session) if clean.derived_differ else []
    found += _party_index_problems(db, session, set())
    from .replay import ordered

    return VerifyReport(clean.items, clean.entries, ordered(found))


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
    from .replay import as_text

    for rows in db.stream(session, query):
        for row in rows:
            # A BLOB in a text column is the replay's problem (replay.as_text), not this one.
            key, lowered, changed, updated, occurred, recorded = as_text((), row)[0]
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


def _party_index_problems(db: Database, session: Session, suspects: set[str]) -> list[Problem]:
    """item_parties (the index a filter by party reads) against the parties history records:
    for each item whose index rows differ from its parties column (one SQL pass) or whose
    column differs from history (`suspects`, keys), the index must spell what history says;
    each row must be filed under its item's key, and no row may be of an item that is not
    there."""
    if db.sqlite:
        indexed = (
            "SELECT group_concat(party, ' ') FROM (SELECT party FROM item_parties p "
            "WHERE p.item_id = i.id ORDER BY position)"
        )
        differs = "IS NOT"
    else:
        indexed = (
            "SELECT string_agg(party, ' ' ORDER BY position) FROM item_parties p "
            "WHERE p.item_id = i.id"
        )
        differs = "IS DISTINCT FROM"
    differing = f"SELECT id, key FROM items i WHERE parties {differs} coalesce(({indexed}), '')"
    candidates = {(item_id, key) for item_id, key in session.execute(text(differing))}
    if suspects:
        lowered = sorted(key.lower() for key in suspects)
        query = select(items.c.id, items.c.key).where(items.c.key_lower.in_(lowered))
        candidates.update((item_id, key) for item_id, key in session.execute(query))
    problems = []
    for item_id, key in sorted(candidates):
        recorded = _recorded_parties(session, item_id)
        rows = select(item_parties.c.party).where(item_parties.c.item_id == item_id)
        index = " ".join(session.execute(rows.order_by(item_parties.c.position)).scalars())
        if recorded is not None and index != " ".join(recorded):
            message = (
                f"item_parties: the index has {fields.printable(index) or 'none'}, its history "
                f"{fields.printable(' '.join(recorded)) or 'none'}"
            )
            problems.append(Problem(key, None, message))
    return problems + _misfiled_rows(session)


def _misfiled_rows(session: Session) -> list[Problem]:
    """The rows of item_parties not filed under their item's key lower-cased (a list by party
    reads its items in that order), and the rows of an item that is not there: one pass
    (the rows that differ from items.key_lower; a key_lower that is not the key lower-cased
    is `_derived_problems`' to name, not the index's)."""
    query = (
        select(item_parties.c.item_id, items.c.key, item_parties.c.key_lower)
        .select_from(item_parties.outerjoin(items, items.c.id == item_parties.c.item_id))
        .where(item_parties.c.key_lower.is_distinct_from(items.c.key_lower))
    )
    unknown: set[int] = set()
    misfiled: dict[str, str] = {}
    for item_id, key, filed in session.execute(query):
        if key is None:
            unknown.add(item_id)
        elif filed != key.lower():
            misfiled[key] = min(misfiled.get(key, filed), filed)
    problems = [
        Problem(
            key,
            None,
            f"item_parties: the index files it under {fields.printable(filed)}, not "
            f"{fields.printable(key.lower())}",
        )
        for key, filed in sorted(misfiled.items())
    ]
    orphan = "item_parties: rows of an unknown item"
    return problems + [Problem(str(item_id), None, orphan) for item_id in sorted(unknown)]


def _recorded_parties(session: Session, item_id: int) -> list[str] | None:
    """The parties an item's history records last (its create or seal, then its edits); None
    when it records none or not readably (the replay names that)."""
    recorded: list[str] | None = None
    query = (
        select(history.c.trigger, history.c.fields)
        .where(history.c.item_id == item_id, history.c.fields.is_not(None))
        .order_by(history.c.version)
    )
    for trigger, written in session.execute(query):
        try:
            found = json.loads(written)
            if trigger == "edit" and "parties" not in found:
                continue
            value = found["parties"][1] if trigger == "edit" else found["parties"]
        except (ValueError, TypeError, KeyError, IndexError):
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        recorded = value
    return recorded
