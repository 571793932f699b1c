"""Reads of the items as they stand now: a Filter from the service's arguments, one row ->
Item, one row -> HistoryEntry, and the item lists, counts and positions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from .. import fields
from ..collector import no_collection
from ..errors import ItemNotFound, UsageError
from ..frozen import builder
from ..records import Filter, HistoryEntry, Item
from ..workflow import Workflows
from . import consents
from .database import Database, page
from .models import UTCTime, history, item_parties, items, views
from .sql import item_where

SORTABLE = ("key", "title", "kind", "parties", "state", "changed_at", "created_at", "updated_at")
Where = list[ColumnElement[bool]]

# The columns an Item is read from, in the order of its fields (allowed_triggers is not
# stored: the workflow says it). `item_columns` reads the times as their canonical text.
ITEM_COLUMNS = (
    "key", "title", "kind", "parties", "state", "version", "description", "created_at",
    "updated_at", "workflow", "changed_at",
)  # fmt: skip


# An Item from all its fields by position, built fast (tracker.frozen): a frozen dataclass's
# __init__ was most of the time of a list of 14,000 items.
_item = builder(Item)


def item_columns(db: Database, source: FromClause = items) -> list[Any]:
    """The ITEM_COLUMNS of `source` (items, or a subquery with its columns), the times as
    their canonical text: parsed by one fromisoformat each in `items_from`, not by
    SQLAlchemy's type processing per value."""
    return [
        db.time_text(column).label(name) if isinstance(column.type, UTCTime) else column
        for name in ITEM_COLUMNS
        for column in (source.c[name],)
    ]


def items_from(rows: Iterable[Sequence[Any]], workflows: Workflows | None) -> list[Item]:
    """Items from rows of ITEM_COLUMNS, the times as canonical text (`item_columns`): the
    one row -> Item. `workflows` gives each item the triggers allowed from its state; None
    for items as they stood in the past, on which nothing may fire."""
    parse = datetime.fromisoformat
    # Many items share a parties text and a (workflow, state): each is worked out once.
    split: dict[str, tuple[str, ...]] = {}
    allowed: dict[tuple[str, str], tuple[str, ...]] = {}
    found: list[Item] = []
    for (key, title, kind, parties, state, version, description, created, updated, workflow,
         changed) in rows:  # fmt: skip
        codes = split.get(parties)
        if codes is None:
            codes = split[parties] = tuple(parties.split())
        triggers = allowed.get((workflow, state))
        if triggers is None:
            triggers = allowed[(workflow, state)] = _triggers(workflows, workflow, state)
        one = _item(
            key, title, kind, codes, state, version, description, parse(created),
            parse(updated), workflow, triggers, parse(changed),
        )  # fmt: skip
        found.append(one)
    return found


def _triggers(workflows: Workflows | None, workflow: str, state: str) -> tuple[str, ...]:
    """The triggers allowed from `state` in `workflow` (none in an unknown workflow, or in
    the past: `workflows` None)."""
    found = None if workflows is None else workflows.by_name.get(workflow)
    return found.allowed(state) if found is not None else ()


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
    found = read_items(
        db, workflows, select(*item_columns(db)).where(items.c.key_lower == key.lower())
    )
    if not found:
        raise ItemNotFound(key)
    return found[0]


def get_many(db: Database, workflows: Workflows, keys: Sequence[str]) -> list[Item]:
    """The items of `keys` (case-insensitive), each once, in the order given: one read,
    however many keys. Raises ItemNotFound for the first key no item has."""
    wanted = list(dict.fromkeys(key.lower() for key in keys))
    malformed = next((key for key in keys if not fields.KEY.match(key)), None)
    if malformed is not None:  # as `get`: no item has it, and no driver takes every one
        raise ItemNotFound(malformed)
    found: dict[str, Item] = {}
    if wanted:
        query = select(*item_columns(db)).where(*db.key_sets(wanted))
        found = {item.key.lower(): item for item in read_items(db, workflows, query)}
    missing = next((key for key in keys if key.lower() not in found), None)
    if missing is not None:
        raise ItemNotFound(missing)
    return [found[key] for key in wanted]


def read_items(db: Database, workflows: Workflows, query: Select[Any]) -> list[Item]:
    """The Items of `query`, a select of `item_columns`, in its order."""
    # Every row and Item is kept until the list is built, none in a cycle.
    with db.session() as session, no_collection():
        return items_from(db.rows(session, query), workflows)


def list_query(
    db: Database,
    workflows: Workflows,
    where: Filter,
    order_by: str,
    descending: bool,
    limit: int | None,
    offset: int,
) -> Select[Any]:
    """The items matching `where`, sorted, one page, as a select of the ITEM_COLUMNS (for
    `read_items`). Sorted by key (the default) with a party: from that party's rows of item_parties,
    which its index files by key (party, key_lower, item_id; migration 0009), so the items
    come in order, their ids read from the index alone, and nothing sorts every match. Keys
    are unique, so the tie-break on the id (in the same direction, as the index holds it)
    never decides."""
    column = sort_column(order_by)
    if where.party is None or order_by != "key":
        query = select(*item_columns(db)).where(*conditions(db, workflows, where))
        order = [column.desc() if descending else column.asc(), items.c.id]
    else:
        others = conditions(db, workflows, dataclasses.replace(where, party=None))
        query = (
            select(*item_columns(db))
            .select_from(item_parties.join(items, items.c.id == item_parties.c.item_id))
            .where(item_parties.c.party == where.party, *others)
        )
        by_key = (item_parties.c.key_lower, item_parties.c.item_id)
        order = [c.desc() if descending else c.asc() for c in by_key]
    return page(query.order_by(*order), limit, offset)


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
