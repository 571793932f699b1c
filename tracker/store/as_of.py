"""Reads of the items as they stood at a moment (time travel), by effective date. The SQL
pieces are in db.as_of; this module runs them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select, union_all

from ..db import as_of as as_of_sql
from ..db.models import history, items
from ..records import Item, ItemState
from .database import Database, page
from .queries import Where, sort_column


def states(db: Database, moment: datetime) -> list[ItemState]:
    """Every item's state at `moment`; items created later are left out."""
    # An item not changed since `moment` stood then as it stands now (its row holds its last
    # entry's state, version and time): only the others need a look into history.
    unchanged = select(
        items.c.key,
        items.c.title,
        items.c.kind,
        items.c.state,
        items.c.version,
        items.c.changed_at,
        items.c.key_lower.label("sort_key"),
    ).where(items.c.changed_at <= moment)
    changed = (
        select(
            items.c.key,
            items.c.title,
            items.c.kind,
            history.c.to_state,
            history.c.version,
            history.c.occurred_at,
            items.c.key_lower.label("sort_key"),
        )
        .select_from(items)
        .join(history, history.c.id == as_of_sql.last_entry(moment))
        .where(items.c.changed_at > moment)
    )
    query = union_all(unchanged, changed).order_by("sort_key")
    with db.session() as session:
        return [ItemState(*row[:6]) for row in session.execute(query).all()]


def count(db: Database, moment: datetime, state: str | None, where: Where) -> dict[str, int]:
    """How many of the items matching `where` that existed at `moment` were in each state
    then (only `state`, when given)."""
    counting = as_of_sql.Counting(moment, where)
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
        rows = as_of_sql.by_state_then(moment, where)
        column = rows.c.then_state if order_by == "state" else rows.c.then_at
        query = select(rows).order_by(column.desc() if descending else column.asc(), rows.c.id)
        if state is not None:
            query = query.where(rows.c.then_state == state)
    elif state is None:
        # Sorted by the items' own columns: an item existed then if it was created by
        # then, so the page is cut from `items` alone and only its rows are looked up.
        column = sort_column(order_by)
        order = [column.desc() if descending else column.asc(), items.c.id]
        existed = select(items).where(*where, items.c.created_at <= moment).order_by(*order)
        cut = page(existed, limit, offset).subquery("page")
        sort = cut.c[column.name]
        query = as_of_sql.page_then(
            moment, cut, [sort.desc() if descending else sort.asc(), cut.c.id]
        )
        limit, offset = None, 0
    else:
        then = history.alias("then")
        where = [*where, then.c.to_state == state]
        column = sort_column(order_by)
        query = (
            as_of_sql.items_then(moment, then)
            .where(*where)
            .order_by(column.desc() if descending else column.asc(), items.c.id)
        )
    query = page(query, limit, offset)
    with db.session() as session:
        return [
            Item(
                key=row.key,
                title=row.title,
                kind=row.kind,
                parties=tuple(row.parties.split()),
                state=row.then_state,
                version=row.then_version,
                description=row.description,
                created_at=row.created_at,
                updated_at=row.then_at,
                workflow=row.workflow,
                allowed_triggers=(),
                changed_at=row.then_at,
            )
            for row in session.execute(query)
        ]
