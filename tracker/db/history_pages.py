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


def matching(search: HistorySearch) -> list[ColumnElement[bool]]:
    """The WHERE terms of `search`. The key prefix picks items by their unique lower-cased key;
    actor and trigger compare lower-cased (actors are stored as typed)."""
    where: list[ColumnElement[bool]] = []
    if search.item:
        chosen = select(items.c.id).where(items.c.key_lower.like(like_prefix(search.item), "\\"))
        where.append(history.c.item_id.in_(chosen))
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
    search: HistorySearch, after: EntryPosition | None, backwards: bool, limit: int
) -> Select[Any]:
    """Entries in the order newest first: the `limit` following `after` (from the newest when
    None), or with `backwards` the `limit` preceding it (from the oldest when None). The
    backwards query runs oldest first; the caller turns its rows around."""
    where = matching(search)
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
