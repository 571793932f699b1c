"""Reads of the items as they stand now: a Filter from the service's arguments, one row ->
Item, one row -> HistoryEntry, and the item lists, counts and positions."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from .. import fields
from ..errors import ItemNotFound, UsageError
from ..records import Filter, HistoryEntry, Item
from ..workflow import Workflows
from . import consents
from .database import Database, page
from .models import UTCTime, history, items, views
from .sql import item_where

SORTABLE = ("key", "title", "kind", "parties", "state", "changed_at", "created_at", "updated_at")
Where = list[ColumnElement[bool]]

# The fields of an Item from a `select(items)` row, by position in one C call: a list of
# 10,000 items spends most of its time here, and a Row's attribute access is about 0.4 us each.
_item_fields = operator.itemgetter(
    *(
        list(items.c.keys()).index(name)
        for name in (
            "key",
            "title",
            "kind",
            "parties",
            "state",
            "version",
            "description",
            "created_at",
            "updated_at",
            "workflow",
            "changed_at",
        )
    )
)


def item(row: Any, workflows: Workflows, parse: Callable[[Any], Any] | None = None) -> Item:
    """An Item from a `select(items)` row (or `items_as_text`'s, its times read by `parse`)."""
    (key, title, kind, parties, state, version, description, created, updated, workflow,
     changed) = _item_fields(row)  # fmt: skip
    if parse is not None:
        created, updated, changed = parse(created), parse(updated), parse(changed)
    found = workflows.by_name.get(workflow)
    return Item(
        key=key,
        title=title,
        kind=kind,
        parties=tuple(parties.split()),
        state=state,
        version=version,
        description=description,
        created_at=created,
        updated_at=updated,
        workflow=workflow,
        allowed_triggers=found.allowed(state) if found else (),
        changed_at=changed,
    )


def entry(row: Any) -> HistoryEntry:
    """A HistoryEntry from a `select(history, items.c.key)` row."""
    return HistoryEntry(
        id=row.id,
        item=row.key,
        trigger=row.trigger,
        from_state=row.from_state,
        to_state=row.to_state,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        actor=row.actor,
        reason=row.reason,
        source=row.source,
        hash=row.hash,
        version=row.version,
        fields=row.fields,
    )


def state_filter(workflows: Workflows, state: str | None) -> str | None:
    """A state filter: None, or a state of a loaded workflow, lower-cased."""
    state = fields.filter_value("state", state)
    if state is None:
        return None
    lowered = state.strip().lower()
    known = workflows.states
    if lowered not in known:
        raise UsageError(f"no state {state!r} in any workflow ({', '.join(sorted(known))})")
    return lowered


def chosen(
    workflows: Workflows,
    where: Filter | None,
    state: str | None,
    kind: str | None,
    party: str | None,
    text: str | None,
) -> Filter:
    """The one place the filter keywords (`state=`, `kind=`...) become a `Filter`: they
    win over `where`'s values. Checked (SPEC "Filters": an empty value is a UsageError),
    its state one a loaded workflow has."""
    found = Filter(state=state, kind=kind, party=party, text=text)
    if where is not None:
        found = found.over(where)
    state_filter(workflows, found.state)
    return found


def conditions(
    db: Database, workflows: Workflows, where: Filter, keys: Sequence[str] | None = None
) -> Where:
    """The SQL conditions selecting what `where` matches (and only `keys` when given). A
    `pending` word first reads which items await that party (the consents in effect, the
    partial index ix_history_consents; in the caller's read transaction when there is one)."""
    awaiting = None
    if where.pending is not None:
        awaiting = consents.awaiting(db, workflows, where.pending)
    return item_where(where, db.sqlite, keys, awaiting)


def sort_column(order_by: str) -> Any:
    """The items column `order_by` (one of SORTABLE) sorts on; UsageError for another."""
    if order_by not in SORTABLE:
        raise UsageError(f"cannot sort by {order_by!r} (one of: {', '.join(SORTABLE)})")
    return items.c.key_lower if order_by == "key" else items.c[order_by]


def get(db: Database, workflows: Workflows, key: str) -> Item:
    """One item by key (case-insensitive). Raises ItemNotFound."""
    if not fields.KEY.match(key):  # no item has it; and a lone surrogate no driver takes
        raise ItemNotFound(key)
    with db.session() as session:
        row = session.execute(select(items).where(items.c.key_lower == key.lower())).first()
    if row is None:
        raise ItemNotFound(key)
    return item(row, workflows)


def listed(
    db: Database,
    workflows: Workflows,
    where: Where,
    order_by: str,
    descending: bool,
    limit: int | None,
    offset: int,
) -> list[Item]:
    """The items matching `where`, sorted, one page."""
    column = sort_column(order_by)
    order = [column.desc() if descending else column.asc(), items.c.id]
    query = page(select(*items_as_text(db)).where(*where).order_by(*order), limit, offset)
    with db.session() as session:
        rows = session.execute(query).all()
    parse = datetime.fromisoformat
    return [item(row, workflows, parse) for row in rows]


def items_as_text(db: Database) -> list[Any]:
    """Every column of `items`, in order, the times as their canonical text: read back with
    one fromisoformat each, not SQLAlchemy's type processing per value (a list of 14,000
    items spent a third of its time there)."""
    return [
        db.time_text(column).label(column.name) if isinstance(column.type, UTCTime) else column
        for column in items.c
    ]


def position(db: Database, key: str, where: Where, order_by: str, descending: bool) -> int | None:
    """Where item `key` is (0 = first) among the items matching `where` in this order; None
    when `where` leaves it out. Counts the matches sorted before it, by the sort column's
    index. Raises ItemNotFound."""
    column = sort_column(order_by)
    with db.session() as session:
        found = session.execute(
            select(items.c.id, column).where(items.c.key_lower == key.lower())
        ).first()
        if found is None:
            raise ItemNotFound(key)
        item_id, value = found
        if not session.execute(select(items.c.id).where(items.c.id == item_id, *where)).first():
            return None
        ahead = column > value if descending else column < value
        before = or_(ahead, and_(column == value, items.c.id < item_id))
        return int(
            session.execute(
                select(func.count()).select_from(items).where(before, *where)
            ).scalar_one()
        )


def kinds(db: Database) -> list[str]:
    """The kinds the items have, sorted (DISTINCT over the indexed kind column)."""
    with db.session() as session:
        query = select(items.c.kind).distinct().order_by(items.c.kind)
        return list(session.execute(query).scalars())


def count(db: Database, where: Where) -> dict[str, int]:
    """How many items match `where`, per state."""
    query = select(items.c.state, func.count()).where(*where).group_by(items.c.state)
    with db.session() as session:
        return {row[0]: row[1] for row in session.execute(query)}


def last_change(db: Database) -> tuple[int, int, int, str]:
    """The newest history entry's id, and the saved views' count, newest id and newest save
    time: a mark that differs after every write, by any process."""
    newest = select(func.max(history.c.id)).scalar_subquery()
    saved = select(
        newest, func.count(views.c.id), func.max(views.c.id), func.max(views.c.created_at)
    )
    with db.session() as session:
        entry_id, number, view_id, view_at = session.execute(saved).one()
    return (int(entry_id or 0), int(number), int(view_id or 0), str(view_at or ""))


def targets(db: Database, where: Sequence[ColumnElement[bool]]) -> list[Any]:
    """(key, state, workflow) of the items matching `where`, by key."""
    query = (
        select(items.c.key, items.c.state, items.c.workflow)
        .where(*where)
        .order_by(items.c.key_lower)
    )
    with db.session() as session:
        return list(session.execute(query))


def fire_targets(db: Database, keys: Sequence[str]) -> list[Any]:
    """`targets` of these keys, in their order (each once). ItemNotFound for a missing one."""
    wanted = list(dict.fromkeys(k.lower() for k in keys))
    found: dict[str, Any] = {}
    for chosen in db.key_sets(wanted):
        for row in targets(db, [chosen]):
            found[row.key.lower()] = row
    missing = next((k for k in keys if k.lower() not in found), None)
    if missing is not None:
        raise ItemNotFound(missing)
    return [found[k] for k in wanted]
