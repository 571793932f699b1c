"""SQL for items as they stood at a moment (time travel), fast at 100,000 items.

An item whose last change is on or before the moment stood then as it stands now: its row
answers. Only the items changed since need a look into history (one index seek each, in
ix_history_item_id_occurred_at_version). A date long past costs one seek per item; a recent
date costs a seek per item changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, func, select, union_all

from .models import history, items


def _last(moment: datetime, column: str, item_id: Any = items.c.id) -> Any:
    entry = history.alias("last_entry")
    return (
        select(entry.c[column])
        .where(entry.c.item_id == item_id, entry.c.occurred_at <= moment)
        .order_by(entry.c.occurred_at.desc(), entry.c.version.desc())
        .limit(1)
        .correlate_except(entry)
        .scalar_subquery()
    )


def last_entry(moment: datetime, item_id: Any = items.c.id) -> Any:
    """The id of each item's last entry on or before `moment`, as a subquery correlated to
    the item id column given: one seek per item in the index history(item_id, occurred_at,
    version)."""
    return _last(moment, "id", item_id)


def page_then(moment: datetime, page: Subquery, order: Sequence[Any]) -> Select[Any]:
    """A page of item rows (already sorted and cut by the caller), each with its state,
    version and change time at `moment`: the page is chosen first, so only its items are looked
    up (sorting 100,000 items by title with a lookup each took seconds). `order` re-states the
    page's sort over its columns."""
    then = history.alias("then")
    return (
        select(
            page,
            then.c.to_state.label("then_state"),
            then.c.version.label("then_version"),
            then.c.occurred_at.label("then_at"),
        )
        .select_from(page)
        .join(then, then.c.id == last_entry(moment, page.c.id))
        .order_by(*order)
    )


class Counting:
    """The queries that count items per state at `moment`, over the items `where` picks.

    Counts then = the states of the items unchanged since (their rows say it) + the states
    then of the items changed since (a seek each; None if not created yet). The unchanged part
    is read whichever way touches fewer rows: directly, or as counts now minus the changed
    items' states now. Grouping happens in Python: grouped in SQL, SQLite walks the state index
    and reads every row."""

    def __init__(self, moment: datetime, where: Sequence[ColumnElement[bool]]) -> None:
        since = items.c.changed_at > moment
        self.now = select(items.c.state, func.count()).where(*where).group_by(items.c.state)
        self.changed = select(func.count()).where(*where, since)
        self.states_changed = select(items.c.state).where(*where, since)
        self.states_unchanged = select(items.c.state).where(*where, ~since)
        self.states_then = select(_last(moment, "to_state")).where(*where, since)


def by_state_then(moment: datetime, where: Sequence[ColumnElement[bool]]) -> Subquery:
    """Every item `where` picks with its state, version and change time at `moment`
    (then_state, then_version, then_at), for a sort on those: the unchanged items straight
    from their rows, the others from their last entry then (one union, sorted by the caller)."""
    unchanged = select(
        items,
        items.c.state.label("then_state"),
        items.c.version.label("then_version"),
        items.c.changed_at.label("then_at"),
    ).where(*where, items.c.changed_at <= moment)
    then = history.alias("then")
    changed = items_then(moment, then).where(*where, items.c.changed_at > moment)
    return union_all(unchanged, changed).subquery()


def items_then(moment: datetime, then: Any) -> Select[Any]:
    """Items joined to their last entry on or before `moment` (`then`, an alias of history):
    the row with the state, version and time it had then (then_state, then_version, then_at)."""
    return (
        select(
            items,
            then.c.to_state.label("then_state"),
            then.c.version.label("then_version"),
            then.c.occurred_at.label("then_at"),
        )
        .select_from(items)
        .join(then, then.c.id == last_entry(moment))
    )
