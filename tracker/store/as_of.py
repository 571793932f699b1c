"""Items as they stood at a moment (time travel), by effective date, fast at 100,000 items.

An item whose last change is on or before the moment stood then as it stands now: its row
answers. Only the items changed since need a look into history: one seek each in
ix_history_item_id_occurred_at_version_to_state, which holds the state, version and time an
entry gives (migration 0008), so the entry's row is not read. A date long past costs one seek
per item; a recent date costs a seek per item changed since. The SQL pieces come first, then
the reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    case,
    func,
    literal_column,
    select,
    union_all,
)

from ..collector import no_collection
from ..frozen import builder
from ..records import Item, ItemState
from .database import Database, page
from .models import history, items
from .queries import Where, items_from, sort_column


def last_of(moment: datetime, column: str, item_id: Any = items.c.id) -> Any:
    """The `column` of each item's last entry on or before `moment`, as a subquery correlated
    to the item id column given: one seek per item in the index history(item_id, occurred_at,
    version, to_state), which alone answers for those columns and the entry's id."""
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
    """The id of each item's last entry on or before `moment` (see `last_of`)."""
    return last_of(moment, "id", item_id)


def page_then(moment: datetime, page: Subquery) -> Subquery:
    """A page of item rows (already sorted and cut by the caller), each with its state,
    version and change time at `moment` (then_state, then_version, then_at): the page is
    chosen first, so only its items are looked up (sorting 100,000 items by title with a
    lookup each took seconds). The caller re-states the page's sort over its columns."""
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
        .subquery("page_then")
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
        self.states_then = select(last_of(moment, "to_state")).where(*where, since)


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


def states(db: Database, moment: datetime) -> list[ItemState]:
    """Every item's state at `moment`; items created later are left out."""
    # One pass over the items: an item not changed since `moment` stood then as it stands now
    # (its row holds its last entry's state, version and time); for the others the CASE looks
    # into the covering index (three seeks on the same index page). An item with no entry by
    # then (created later) comes out with no state and is left out. On SQLite the pass is in
    # row order, then sorted: in key order (the key index) every row and every seek was a
    # jump to another page, a third slower; and two passes (unchanged, then changed items,
    # merged) read the items twice.
    since = items.c.changed_at > moment
    query = select(
        items.c.key,
        items.c.title,
        items.c.kind,
        case((since, last_of(moment, "to_state")), else_=items.c.state),
        case((since, last_of(moment, "version")), else_=items.c.version),
        db.time_text(case((since, last_of(moment, "occurred_at")), else_=items.c.changed_at)),
    )
    # `+key_lower`: a unary + keeps SQLite's planner from the key index (its documented way
    # to disqualify a term from an index); PostgreSQL has no unary + for text, nor the need.
    sort = literal_column("+items.key_lower") if db.sqlite else items.c.key_lower
    query = query.order_by(sort)
    parse = datetime.fromisoformat
    state_then = builder(ItemState)
    found: list[ItemState] = []
    with db.snapshot() as session, no_collection():  # every ItemState is kept, none in a cycle
        for rows in db.stream(session, query):
            for key, title, kind, state, version, at in rows:
                if state is None:
                    continue
                found.append(state_then(key, title, kind, state, version, parse(at)))
    return found


def count(db: Database, moment: datetime, state: str | None, where: Where) -> dict[str, int]:
    """How many of the items matching `where` that existed at `moment` were in each state
    then (only `state`, when given)."""
    counting = Counting(moment, where)
    with db.session() as session:
        now = {row[0]: row[1] for row in session.execute(counting.now)}
        changed = session.execute(counting.changed).scalar_one()
        found: Counter[str] = Counter()
        if changed * 2 <= sum(now.values()):
            found.update(now)
            found.subtract(session.execute(counting.states_changed).scalars())
        else:
            found.update(session.execute(counting.states_unchanged).scalars())
        found.update(s for s in session.execute(counting.states_then).scalars() if s)
    return {
        name: number
        for name, number in found.items()
        if number and (state is None or name == state)
    }


def listed(
    db: Database,
    moment: datetime,
    state: str | None,
    where: Where,
    order_by: str,
    descending: bool,
    limit: int | None,
    offset: int,
) -> list[Item]:
    """`list` as of a date: each item's state, version and change time from its last entry
    on or before `moment` (items created later are left out). No trigger is allowed on the
    past, so `allowed_triggers` is empty. Title, kind and parties are today's."""
    if order_by in ("state", "changed_at", "updated_at"):
        # A sort on what the items were then reads every item: take the unchanged ones
        # from their rows and look up only the others.
        rows = by_state_then(moment, where)
        sort = rows.c.then_state if order_by == "state" else rows.c.then_at
        chosen = [] if state is None else [rows.c.then_state == state]
    elif state is None:
        # Sorted by the items' own columns: an item existed then if it was created by
        # then, so the page is cut from `items` alone and only its rows are looked up.
        column = sort_column(order_by)
        order = [column.desc() if descending else column.asc(), items.c.id]
        existed = select(items).where(*where, items.c.created_at <= moment).order_by(*order)
        rows = page_then(moment, page(existed, limit, offset).subquery("page"))
        sort, chosen = rows.c[column.name], []
        limit, offset = None, 0
    else:
        then = history.alias("then")
        rows = items_then(moment, then).where(*where, then.c.to_state == state).subquery()
        sort, chosen = rows.c[sort_column(order_by).name], []
    query = (
        select(*_as_item(db, rows))
        .where(*chosen)
        .order_by(sort.desc() if descending else sort.asc(), rows.c.id)
    )
    with db.session() as session, no_collection():
        return items_from(db.rows(session, page(query, limit, offset)), None)


def _as_item(db: Database, rows: Subquery) -> list[Any]:
    """The ITEM_COLUMNS (queries.items_from) of item rows with their state, version and
    change time then (then_state, then_version, then_at): the item as it stood then, its
    last update then its last change."""
    c = rows.c
    return [
        c.key,
        c.title,
        c.kind,
        c.parties,
        c.then_state,
        c.then_version,
        c.description,
        db.time_text(c.created_at),
        db.time_text(c.then_at),
        c.workflow,
        db.time_text(c.then_at),
    ]
