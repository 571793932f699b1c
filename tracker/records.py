"""Plain, frozen values that leave the service. ORM rows never travel past it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .dates import iso

if TYPE_CHECKING:
    from .anchor import AnchorCheck

# The SPEC's JSON shapes, field by field and in order (CSV columns, export lines).
ITEM_FIELDS: tuple[str, ...] = (
    "key", "title", "kind", "parties", "state", "version", "description", "created_at",
    "updated_at", "allowed_triggers",
)  # fmt: skip
ENTRY_FIELDS: tuple[str, ...] = (
    "id", "item", "trigger", "from_state", "to_state", "occurred_at", "recorded_at", "actor",
    "reason", "source", "hash",
)  # fmt: skip


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
    # The item fields the entry records (canonical JSON text, tracker.db.chain): every field
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
    (case-insensitive; empty matches any) and whose effective time lies in [since, until]."""

    item: str = ""
    actor: str = ""
    trigger: str = ""
    since: datetime | None = None
    until: datetime | None = None


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
class ApplyResult:
    """What a batch did (or, on a dry run, would do): counts and the keys it touched."""

    added: int
    fired: int
    commented: int
    edited: int
    dry_run: bool
    keys: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "fired": self.fired,
            "commented": self.commented,
            "edited": self.edited,
            "dry_run": self.dry_run,
            "keys": list(self.keys),
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing `verify` found wrong."""

    item: str
    entry_id: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item, "entry": self.entry_id, "message": self.message}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    items: int
    entries: int
    problems: tuple[Problem, ...]
    # With `verify --anchor`: what was found about the anchor (its date, signer, trust).
    anchor: AnchorCheck | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "items": self.items,
            "entries": self.entries,
            "problems": [p.to_json() for p in self.problems],
            **({} if self.anchor is None else {"anchor": self.anchor.to_json()}),
        }


@dataclass(frozen=True, slots=True)
class View:
    """A saved view: a named filter (state, kind, party, text, as-of date) kept in the
    database, so every user of a shared database sees it."""

    name: str
    state: str | None = None
    kind: str | None = None
    party: str | None = None
    text: str | None = None
    as_of: datetime | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    # Why the stored row cannot be used (written around the tracker); None for a good view.
    broken: str | None = None

    def filters(self) -> dict[str, Any]:
        """The view's filters as `Tracker.list` keywords (None where unset)."""
        return {
            "state": self.state,
            "kind": self.kind,
            "party": self.party,
            "text": self.text,
            "as_of": self.as_of,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "kind": self.kind,
            "party": self.party,
            "text": self.text,
            "as_of": iso(self.as_of) if self.as_of else None,
            "created_at": iso(self.created_at) if self.created_at else None,
            "created_by": self.created_by,
            **({"broken": self.broken} if self.broken else {}),
        }


@dataclass(frozen=True, slots=True)
class Refusal:
    """An item a bulk fire cannot include: its state does not allow the trigger."""

    key: str
    state: str
    allowed_triggers: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": self.state,
            "allowed_triggers": list(self.allowed_triggers),
        }


@dataclass(frozen=True, slots=True)
class FireCheck:
    """Which of the given items one trigger may fire on (`allowed`, in the order given) and
    which it may not (`refused`); `requires` names the fields the trigger needs (reason...)."""

    trigger: str
    allowed: tuple[str, ...]
    refused: tuple[Refusal, ...]
    requires: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "allowed": list(self.allowed),
            "refused": [r.to_json() for r in self.refused],
            "requires": list(self.requires),
        }


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of one item's history: from the entry that began it (`start`) until the
    next entry (`end`, None while it lasts), the item in `state`. The entry that began it
    is `trigger` (a transition, `create`, `comment` or `edit`) with its reason."""

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
        }
