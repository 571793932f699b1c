"""What an item's screen shows, read in one transaction on one snapshot (Tracker.item_page)."""

from __future__ import annotations

from datetime import datetime

from ..records import Filter, ItemPage
from ..workflow import Workflows
from . import consents, history, queries
from .database import Database


def read(
    db: Database, workflows: Workflows, key: str, as_of: datetime | None, limit: int
) -> ItemPage:
    """Item `key`, its newest `limit` entries, its spans and its consents in effect up to
    `as_of` (None: now), all from one snapshot, so the entries, the spans, the consents and
    the state shown agree. ItemNotFound."""
    with db.read():
        item = queries.get(db, workflows, key)
        conditions = history.where(db, item.key, None, as_of, None, None)
        found = history.entries(
            db, conditions, by_item=True, newest_first=True, limit=limit, offset=0
        )
        chosen = queries.conditions(db, workflows, Filter(), [key])
        spans = history.spans(db, chosen, None, as_of)
        waiting = tuple(consents.pending(db, workflows, history.item_id(db, key), as_of, None))
    if as_of is None:
        allowed = item.allowed_triggers
        return ItemPage(item, None, item.state, allowed, tuple(found), tuple(spans), waiting)
    state = found[0].to_state if found else None
    return ItemPage(item, as_of, state, (), tuple(found), tuple(spans), waiting)
