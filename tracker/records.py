"""Plain, frozen values that leave the service. ORM rows never travel past it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .dates import iso

# Records with a module of their own, re-exported here so that `tracker.records` names every
# record: the typed operations (what a write asks for), the filter and its parser, what a
# batch, a bulk check and verify report, and the consent records.
from .filters import FILTER_WORDS as FILTER_WORDS
from .filters import Filter as Filter
from .operations import OPERATIONS as OPERATIONS
from .operations import Add as Add
from .operations import Approve as Approve
from .operations import Comment as Comment
from .operations import Edit as Edit
from .operations import Fire as Fire
from .operations import Operation as Operation
from .operations import Withdraw as Withdraw
from .pending import Consent as Consent
from .pending import Pending as Pending
from .reports import ApplyResult as ApplyResult
from .reports import FireCheck as FireCheck
from .reports import Problem as Problem
from .reports import Refusal as Refusal
from .reports import VerifyReport as VerifyReport

# The SPEC's JSON shapes, field by field and in order (CSV columns, export lines).
ITEM_FIELDS: tuple[str, ...] = (
    "key", "title", "kind", "parties", "state", "version", "description", "created_at",
    "updated_at", "allowed_triggers",
)  # fmt: skip
ENTRY_FIELDS: tuple[str, ...] = (
    "id", "item", "trigger", "from_state", "to_state", "occurred_at", "recorded_at", "actor",
    "reason", "source", "hash",
)  # fmt: skip
STATE_FIELDS: tuple[str, ...] = ("key", "title", "kind", "state", "version", "occurred_at")
"""An item's state on a date (`as_of`, `ItemState.to_json`)."""


@dataclass(frozen=True, slots=True)
class Item:
    """A cooperation item as it stands now (or as of a date)."""

    key: str
    title: str
    kind: str
    parties: tuple[str, ...]
    state: str
    version: int
    description: str
    created_at: datetime
    updated_at: datetime
    workflow: str = "default"
    allowed_triggers: tuple[str, ...] = ()
    changed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The SPEC's JSON item shape."""
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "parties": list(self.parties),
            "state": self.state,
            "version": self.version,
            "description": self.description,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "allowed_triggers": list(self.allowed_triggers),
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of an item's append-only history."""

    id: int
    item: str
    trigger: str
    from_state: str | None
    to_state: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    reason: str | None
    source: str | None
    hash: str
    version: int = 0
    # The item fields the entry records (canonical JSON text, tracker.chain): every field
    # on `create` and `seal`, {field: [old, new]} on `edit`; None on other entries.
    fields: str | None = None

    @property
    def position(self) -> EntryPosition:
        """Where the entry stands in the history's order (see `Tracker.history_page`)."""
        return (self.occurred_at, self.id)

    def to_json(self) -> dict[str, Any]:
        """The SPEC's JSON history-entry shape (`export` adds `fields`: `fields_json`)."""
        return {
            "id": self.id,
            "item": self.item,
            "trigger": self.trigger,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "occurred_at": iso(self.occurred_at),
            "recorded_at": iso(self.recorded_at),
            "actor": self.actor,
            "reason": self.reason,
            "source": self.source,
            "hash": self.hash,
        }

    @property
    def consent(self) -> tuple[str, str] | None:
        """(trigger, party) an `approve` or `withdraw` entry names; None for other entries."""
        if self.trigger not in ("approve", "withdraw"):
            return None
        found = self.fields_json()
        if not isinstance(found, dict):
            return None
        trigger, party = found.get("trigger"), found.get("party")
        return (trigger, party) if isinstance(trigger, str) and isinstance(party, str) else None

    def fields_json(self) -> Any:
        """The item fields the entry records as JSON (an object, or null); text that is not
        JSON (written around the tracker) as it is, so export shows it and import refuses it."""
        if self.fields is None:
            return None
        try:
            return json.loads(self.fields)
        except (ValueError, RecursionError):
            return self.fields


# Where an entry stands in the history's order: (effective time, id). Pages of history are
# asked for after or before one of these (keyset paging), never by a row offset.
EntryPosition = tuple[datetime, int]


@dataclass(frozen=True, slots=True)
class HistorySearch:
    """History entries whose item key, actor and trigger start with the given prefixes
    (case-insensitive; empty matches any) and whose effective time lies in [since, until];
    with `key`, only the entries of the item of exactly that key (case-insensitive): one
    item's history, not also that of the keys it begins (`ACSA2` for `ACSA`)."""

    item: str = ""
    actor: str = ""
    trigger: str = ""
    since: datetime | None = None
    until: datetime | None = None
    key: str = ""


@dataclass(frozen=True, slots=True)
class ItemState:
    """An item's state on a date (`as_of`)."""

    key: str
    title: str
    kind: str
    state: str | None
    version: int
    occurred_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "state": self.state,
            "version": self.version,
            "occurred_at": iso(self.occurred_at) if self.occurred_at else None,
        }


@dataclass(frozen=True, slots=True)
class FireResult:
    """What one operation did (or, on a dry run, would do: then the entry's id is 0)."""

    item: Item
    entry: HistoryEntry
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item.to_json(),
            "entry": self.entry.to_json(),
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True, slots=True)
class View:
    """A saved view: a named filter (state, kind, party, text, as-of date) kept in the
    database, so every user of a shared database sees it."""

    name: str
    filter: Filter = field(default_factory=Filter)
    as_of: datetime | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    # Why the stored row cannot be used (written around the tracker); None for a good view.
    broken: str | None = None

    def __getattr__(self, name: str) -> str | None:
        # `view.state`, `view.kind`...: the filter's words, as a view had them before Filter.
        if name in FILTER_WORDS:
            return getattr(self.filter, name)  # type: ignore[no-any-return]
        raise AttributeError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.filter.to_json(),
            "as_of": iso(self.as_of) if self.as_of else None,
            "created_at": iso(self.created_at) if self.created_at else None,
            "created_by": self.created_by,
            **({"broken": self.broken} if self.broken else {}),
        }


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of one item's history: from the entry that began it (`start`) until the
    next entry (`end`, None while it lasts), the item in `state`. The entry that began it
    is `trigger` (a transition, `create`, `comment`, `edit`, or a consent: `approve` or
    `withdraw`, whose gated trigger and party are `consent`) with its reason."""

    key: str
    title: str
    state: str
    start: datetime
    end: datetime | None
    trigger: str
    from_state: str | None
    reason: str | None
    actor: str
    source: str | None
    entry_id: int
    # (gated trigger, party) of an approve or withdraw entry; None for any other entry.
    consent: tuple[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "state": self.state,
            "start": iso(self.start),
            "end": iso(self.end) if self.end else None,
            "trigger": self.trigger,
            "from_state": self.from_state,
            "reason": self.reason,
            "actor": self.actor,
            "source": self.source,
            "entry": self.entry_id,
            "consent": (
                None
                if self.consent is None
                else {"trigger": self.consent[0], "party": self.consent[1]}
            ),
        }


@dataclass(frozen=True, slots=True)
class ItemPage:
    """What an item's screen shows, read in one transaction (`Tracker.item_page`): the item,
    the state it is in (`as_of` given: the state it was in then, None before it existed),
    the triggers that may fire (none when looking at the past: it cannot be changed), its
    newest history entries up to `as_of`, newest first, its timeline spans up to then, and its
    gated transitions waiting with a consent in effect then (`Tracker.pending(key=...)`)."""

    item: Item
    as_of: datetime | None
    state: str | None
    allowed: tuple[str, ...]
    entries: tuple[HistoryEntry, ...]
    spans: tuple[Span, ...]
    pending: tuple[Pending, ...] = ()
