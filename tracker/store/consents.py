"""The consents in effect, read from history (the rules are tracker.consents): the entries
the write batch folds into an item's consents, and what `pending` lists.

The approve and withdraw entries of each item since its last state change, oldest first: each
is one of the few consent entries (the partial index ix_history_consents) with no state change
after it in its item's chain (one seek in the unique (item_id, version) index)."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select

from ..consents import KEEPING_TRIGGERS, Given, parse_consent
from ..consents import pending as pending_of
from ..records import Pending
from ..workflow import Workflows
from .database import Database
from .models import consent_entries, history, items


def in_effect_query(
    where: Sequence[ColumnElement[bool]] = (), moment: datetime | None = None
) -> Select[Any]:
    """Each consent entry since its item's last state change (with `moment`: as history stood
    then, by effective date), with its item, ordered by item and version. `where` narrows the
    items (conditions on `items`)."""
    later = history.alias("later")
    changed_after = [
        later.c.item_id == history.c.item_id,
        later.c.version > history.c.version,
        later.c.trigger.not_in(sorted(KEEPING_TRIGGERS)),
    ]
    given = [consent_entries(history), *where]
    if moment is not None:
        changed_after.append(later.c.occurred_at <= moment)
        given.append(history.c.occurred_at <= moment)
    return (
        select(
            history.c.item_id,
            history.c.version,
            history.c.trigger,
            history.c.fields,
            history.c.hash,
            history.c.actor,
            history.c.occurred_at,
            history.c.reason,
            history.c.source,
            history.c.to_state,
            items.c.key,
            items.c.title,
            items.c.kind,
            items.c.workflow,
            items.c.parties,
            items.c.state,
        )
        .join(items, items.c.id == history.c.item_id)
        .where(*given, ~exists().where(*changed_after))
        .order_by(history.c.item_id, history.c.version)
    )


def pending(
    db: Database,
    workflows: Workflows,
    item_id: int | None,
    moment: datetime | None,
    party: str | None,
) -> list[Pending]:
    """The gated transitions waiting with a consent in effect (of item `item_id`; as history
    stood at `moment`; awaiting `party`), by key and trigger."""
    where: list[ColumnElement[bool]] = [] if item_id is None else [items.c.id == item_id]
    with db.session() as session:
        rows = list(session.execute(in_effect_query(where, moment)))
    found: list[Pending] = []
    for _, grouped in itertools.groupby(rows, key=operator.attrgetter("item_id")):
        group = list(grouped)
        entries = []
        for entry in group:
            named = parse_consent(entry.fields)
            if named is not None:
                given = Given(
                    named[0], named[1], entry.hash, entry.version, entry.actor,
                    entry.occurred_at, entry.reason, entry.source,
                )  # fmt: skip
                entries.append((entry.trigger, given))
        row = group[0]
        item = {
            "key": row.key,
            "title": row.title,
            "kind": row.kind,
            # The state the consents were given in (at `moment`, the state then).
            "state": row.to_state,
            "parties": tuple(row.parties.split()),
        }
        found.extend(pending_of(item, workflows.by_name.get(row.workflow), entries))
    if party is not None:
        found = [p for p in found if party in p.awaited]
    return sorted(found, key=lambda p: (p.key.lower(), p.trigger))


def awaiting(db: Database, workflows: Workflows, party: str) -> list[str]:
    """The lower-cased keys of the items with a gated transition awaiting `party`'s consent
    now (the filter word `pending:P`; the items `pending(party=P)` lists)."""
    return sorted({p.key.lower() for p in pending(db, workflows, None, None, party)})
