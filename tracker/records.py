"""Plain, frozen values that leave the service. ORM rows never travel past it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .dates import iso


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

    def to_json(self) -> dict[str, Any]:
        """The SPEC's JSON history-entry shape."""
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

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "items": self.items,
            "entries": self.entries,
            "problems": [p.to_json() for p in self.problems],
        }
