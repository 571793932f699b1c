"""SQL for the history screen: entries matching a `HistorySearch`, a page at a time by keyset.

A page is the `limit` entries after (or before) a position `(occurred_at, id)` in the order
newest first. Each page is an index range seek on ix_history_occurred_at, whatever the page:
the last page of a million entries costs what the first does. OFFSET is used only to find the
position of an arbitrary row index (a jump into the middle), over that index alone (no join).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from ..records import EntryPosition, HistorySearch
from .models import history, items


def like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text` (lower-cased), its wildcards
    escaped with `\\`."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


# Up to this many items, an item prefix reads each item's entries by the item's index and
# sorts them; past it (a prefix such as "s" matching thousands of items), the walk in time
# order finds a page of matches sooner.
FEW_ITEMS = 500


def items_with_prefix(prefix: str) -> Select[Any]:
    """The ids of the items whose key starts with `prefix`, at most FEW_ITEMS + 1 of them."""
    return (
        select(items.c.id)
        .where(items.c.key_lower.like(like_prefix(prefix), "\\"))
        .limit(FEW_ITEMS + 1)
    )


def matching(
    search: HistorySearch, few: list[int] | None = None, page: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE terms of `search`. An exact key is one item, found by its unique lower-cased
    key (the history's item index serves any page of it). The key prefix picks items the same
    way (`few`: their ids, when there are at most FEW_ITEMS); actor and trigger compare lower-cased
    (actors are stored as typed). For a `page` of a prefix matching many items, the planner is
    kept off the item index: walking the time index finds a page of matches sooner (a count
    or an offset reads every match, and the item index serves them better)."""
    where: list[ColumnElement[bool]] = []
    if search.key:
        exact = select(items.c.id).where(items.c.key_lower == search.key.lower())
        where.append(history.c.item_id.in_(exact))
    if search.item and few is not None:
        where.append(history.c.item_id.in_(few))
    elif search.item:
        chosen = select(items.c.id).where(items.c.key_lower.like(like_prefix(search.item), "\\"))
        item_id = history.c.item_id + 0 if page else history.c.item_id
        where.append(item_id.in_(chosen))
    if search.actor:
        where.append(func.lower(history.c.actor).like(like_prefix(search.actor), "\\"))
    if search.trigger:
        where.append(history.c.trigger.like(like_prefix(search.trigger), "\\"))
    if search.since is not None:
        where.append(history.c.occurred_at >= search.since)
    if search.until is not None:
        where.append(history.c.occurred_at <= search.until)
    return where


def _beyond(position: EntryPosition, older: bool) -> ColumnElement[bool]:
    """Entries strictly older (or newer) than `position`, written so that the index on
    occurred_at bounds the scan (a row-value comparison is not used by every planner)."""
    moment, entry_id = position
    at = history.c.occurred_at
    if older:
        return and_(at <= moment, or_(at < moment, history.c.id < entry_id))
    return and_(at >= moment, or_(at > moment, history.c.id > entry_id))


def page(
    search: HistorySearch,
    after: EntryPosition | None,
    backwards: bool,
    limit: int,
    few: list[int] | None = None,
) -> Select[Any]:
    """Entries in the order newest first: the `limit` following `after` (from the newest when
    None), or with `backwards` the `limit` preceding it (from the oldest when None). The
    backwards query runs oldest first; the caller turns its rows around."""
    where = matching(search, few, page=True)
    if after is not None:
        where.append(_beyond(after, older=not backwards))
    order = [history.c.occurred_at, history.c.id]
    query = (
        select(history, items.c.key)
        .join(items, items.c.id == history.c.item_id)
        .where(*where)
        .order_by(*(order if backwards else [c.desc() for c in order]))
        .limit(limit)
    )
    return query


def position_at(search: HistorySearch, index: int) -> Select[Any]:
    """The position of the entry at `index` (0 = newest) among those `search` matches."""
    return (
        select(history.c.occurred_at, history.c.id)
        .where(*matching(search))
        .order_by(history.c.occurred_at.desc(), history.c.id.desc())
        .offset(index)
        .limit(1)
    )


def count(search: HistorySearch) -> Select[Any]:
    """How many entries `search` matches."""
    return select(func.count()).select_from(history).where(*matching(search))
