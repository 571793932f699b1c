"""Reads of history: entries by filters, keyset pages for the TUI, and timeline spans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from .. import dates, fields
from ..consents import CONSENT_TRIGGERS, parse_consent
from ..errors import ItemNotFound, UsageError
from ..records import EntryPosition, HistoryEntry, HistorySearch, Span
from . import history_pages
from .database import Database, page
from .models import history, items
from .queries import Where, entry

When = str | datetime | None


def item_id(db: Database, key: str) -> int:
    """The row id of item `key`. Raises ItemNotFound."""
    with db.session() as session:
        found = session.execute(select(items.c.id).where(items.c.key_lower == key.lower())).scalar()
    if found is None:
        raise ItemNotFound(key)
    return int(found)


def known(db: Database, keys: Sequence[str]) -> None:
    """ItemNotFound for the first of `keys` that no item has: one query for them all."""
    if not keys:
        return
    lowered = [key.lower() for key in keys]
    with db.session() as session:
        query = select(items.c.key_lower).where(*db.key_sets(lowered))
        found = set(session.execute(query).scalars())
    for key, low in zip(keys, lowered, strict=True):
        if low not in found:
            raise ItemNotFound(key)


def where(
    db: Database,
    key: str | None,
    since: When,
    until: When,
    actor: str | None,
    trigger: str | None,
) -> Where:
    """The conditions of the history filters: item, effective-date range (inclusive), actor,
    trigger."""
    found: Where = []
    key = fields.filter_value("item", key)
    actor = fields.filter_value("actor", actor)
    trigger = fields.filter_value("trigger", trigger)
    if key is not None:
        found.append(history.c.item_id == item_id(db, key))
    start, stop = dates.period(since, until)
    if start is not None:
        found.append(history.c.occurred_at >= start)
    if stop is not None:
        found.append(history.c.occurred_at <= stop)
    if actor is not None:
        found.append(history.c.actor == actor)
    if trigger is not None:
        found.append(history.c.trigger == trigger.lower())
    return found


def entries(
    db: Database,
    conditions: Sequence[ColumnElement[bool]],
    *,
    by_item: bool,
    newest_first: bool,
    limit: int | None,
    offset: int,
) -> list[HistoryEntry]:
    """The entries matching `conditions`, by version (one item) or effective date."""
    query = (
        select(history, items.c.key).join(items, items.c.id == history.c.item_id).where(*conditions)
    )
    ordering = [history.c.version] if by_item else [history.c.occurred_at, history.c.id]
    query = query.order_by(*[c.desc() for c in ordering] if newest_first else ordering)
    with db.session() as session:
        return [entry(row) for row in session.execute(page(query, limit, offset))]


def count(db: Database, conditions: Sequence[ColumnElement[bool]]) -> int:
    """How many entries match `conditions`."""
    query = select(func.count()).select_from(history).where(*conditions)
    with db.session() as session:
        return int(session.execute(query).scalar_one())


def search_page(
    db: Database,
    search: HistorySearch,
    after: EntryPosition | None,
    backwards: bool,
    limit: int,
) -> list[HistoryEntry]:
    """A keyset page of the entries `search` matches, newest first (see Tracker.history_page)."""
    if limit < 0:
        raise UsageError(f"limit must not be negative (got {limit})")
    with db.session() as session:
        few = None
        if search.item:
            chosen = session.execute(history_pages.items_with_prefix(search.item)).scalars()
            few = list(chosen)
            few = few if len(few) <= history_pages.FEW_ITEMS else None
        query = history_pages.page(search, after, backwards, limit, few)
        found = [entry(row) for row in session.execute(query)]
    return found[::-1] if backwards else found


def search_position(db: Database, search: HistorySearch, index: int) -> EntryPosition | None:
    """The position of entry number `index` (0 = newest) of those `search` matches."""
    if index < 0:
        raise UsageError(f"index must not be negative (got {index})")
    with db.session() as session:
        row = session.execute(history_pages.position_at(search, index)).first()
    return None if row is None else (row[0], int(row[1]))


def search_count(db: Database, search: HistorySearch) -> int:
    """How many entries `search` matches."""
    with db.session() as session:
        return int(session.execute(history_pages.count(search)).scalar_one())


def spans(db: Database, chosen: Where, since: When, until: When) -> list[Span]:
    """The spans of the items `chosen` selects that overlap [since, until] (Tracker.spans)."""
    start, stop = dates.period(since, until)
    query = (
        select(
            items.c.key,
            items.c.title,
            history.c.id,
            history.c.trigger,
            history.c.from_state,
            history.c.to_state,
            history.c.occurred_at,
            history.c.actor,
            history.c.reason,
            history.c.source,
            history.c.fields,
        )
        .join(items, items.c.id == history.c.item_id)
        .where(*chosen)
        .order_by(items.c.key_lower, history.c.version)
    )
    with db.session() as session:
        rows = list(session.execute(query))
    found: list[Span] = []
    # Each row with the one after it (None after the last; no rows, no pairs: a filter that
    # matched nothing failed here, exit 1).
    for row, after in zip(rows, [*rows[1:], None] if rows else [], strict=True):
        end = after.occurred_at if after is not None and after.key == row.key else None
        if (stop is not None and row.occurred_at > stop) or (
            start is not None and end is not None and end < start
        ):
            continue
        found.append(
            Span(
                key=row.key,
                title=row.title,
                state=row.to_state,
                start=row.occurred_at,
                end=end,
                trigger=row.trigger,
                from_state=row.from_state,
                reason=row.reason,
                actor=row.actor,
                source=row.source,
                entry_id=row.id,
                consent=parse_consent(row.fields) if row.trigger in CONSENT_TRIGGERS else None,
            )
        )
    return found
