"""Plain, frozen values that leave the service. ORM rows never travel past it."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import fields
from .dates import iso
from .errors import UsageError

# The typed operations (what a write asks for) are records too; they live in their own module.
from .operations import OPERATIONS as OPERATIONS
from .operations import Add as Add
from .operations import Approve as Approve
from .operations import Comment as Comment
from .operations import Edit as Edit
from .operations import Fire as Fire
from .operations import Operation as Operation
from .operations import Withdraw as Withdraw

if TYPE_CHECKING:
    from .audit.anchor import AnchorCheck

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
    (case-insensitive; empty matches any) and whose effective time lies in [since, until]."""

    item: str = ""
    actor: str = ""
    trigger: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _word(value: str) -> str:
    return value.lower()


def _same(value: str) -> str:
    return value


# A filter term: `name:value` (or `name=value`, the spelling `fire --where` has always taken).
_TERM = re.compile(r"\A(?P<name>[A-Za-z_]+)[:=](?P<value>.*)\Z", re.DOTALL)
# Terms are separated by blanks, and by a comma before the next term (`state=a,kind=b`).
_BETWEEN_TERMS = re.compile(r"\s*,\s*(?=[A-Za-z_]+[:=])|\s+")


@dataclass(frozen=True, slots=True)
class Filter:
    """Which items: each field given must match (SPEC "Filters"), None is no condition.
    `state` and `kind` exact, case-insensitive; `party` one of the item's parties, exact,
    case-insensitive; `text` each of its words in the key or the title. Values are checked
    and normalised when the filter is made (an empty one is a UsageError, never "match
    everything"); whether a state exists is the service's to say (it knows the workflows).

    One syntax for every front end (`parse`, and `str()` back): the TUI's filter box, saved
    views and `fire --where`. A filter word is one field here, with its normaliser in the
    field's metadata: adding a word (e.g. `pending:JPN`) is a field here and its condition in
    tracker/store/sql.py `item_where`."""

    state: str | None = field(default=None, metadata={"normal": _word})
    kind: str | None = field(default=None, metadata={"normal": fields.kind})
    party: str | None = field(default=None, metadata={"normal": fields.party})
    # Words matched in key or title; parse gathers `text:` terms and bare words here.
    text: str | None = field(default=None, metadata={"normal": _same})
    # A party whose consent a gated transition of the item awaits now (SPEC "Approvals": at
    # least one consent in effect, this party's missing), as `tracker pending --party` lists.
    pending: str | None = field(default=None, metadata={"normal": fields.party})

    def __post_init__(self) -> None:
        for name, normal in _FILTER_WORDS.items():
            value = fields.filter_value(name, getattr(self, name))
            if value is not None:
                object.__setattr__(self, name, normal(value))

    @classmethod
    def parse(cls, typed: str, *, field_first: bool = False) -> Filter:
        """`state:stalled kind:exercise party:JPN some words`: a term `name:value` (or
        `name=value`) sets that field, every other word is text matched in key or title
        (`text:WORD` for a word that holds a colon). Terms are separated by blanks, or by a
        comma before the next term (`state=proposed,kind=exercise`). UsageError for an
        unknown field name, an empty value or a field given twice; with `field_first`, also
        unless the typed text starts with a term (a bulk selection names what it selects by:
        a stray word must not widen it to every title holding that word)."""
        found: dict[str, str] = {}
        words: list[str] = []
        terms = [t for t in _BETWEEN_TERMS.split(typed.strip()) if t]
        if field_first and not (terms and _TERM.match(terms[0])):
            raise UsageError(
                f"bad filter {fields.printable(typed)}: start with FIELD:VALUE "
                f"(one of: {', '.join(_FILTER_WORDS)})"
            )
        for term in terms:
            matched = _TERM.match(term)
            if matched is None:
                words.append(term)
                continue
            name, value = matched["name"].lower(), matched["value"]
            if name not in _FILTER_WORDS:
                raise UsageError(
                    f"no filter {fields.printable(name)} (one of: {', '.join(_FILTER_WORDS)}; "
                    "text:WORD for a word with a colon)"
                )
            if not value.strip():
                raise UsageError(f"the {name} filter is empty (leave it out to match everything)")
            if name == "text":
                words.append(value)
            elif name in found:
                raise UsageError(f"the filter gives {name} twice")
            else:
                found[name] = value
        return cls(**found, text=" ".join(words) if words else None)

    def __str__(self) -> str:
        """The filter as `parse` reads it back: `state:stalled party:JPN words`."""
        terms = [
            f"{name}:{getattr(self, name)}"
            for name in _FILTER_WORDS
            if name != "text" and getattr(self, name) is not None
        ]
        for word in (self.text or "").split():
            terms.append(f"text:{word}" if _TERM.match(word) else word)
        return " ".join(terms)

    def __bool__(self) -> bool:
        """False for the filter that matches every item."""
        return any(getattr(self, name) is not None for name in _FILTER_WORDS)

    def over(self, fallback: Filter) -> Filter:
        """This filter, with `fallback`'s value where this one gives none (explicit options
        over a saved view's)."""
        return dataclasses.replace(
            fallback, **{n: v for n in _FILTER_WORDS if (v := getattr(self, n)) is not None}
        )

    def to_json(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in _FILTER_WORDS}


# The filter words, in the order `str()` writes them, each with its normaliser.
_FILTER_WORDS: dict[str, Callable[[str], str]] = {
    f.name: f.metadata["normal"] for f in dataclasses.fields(Filter)
}
FILTER_WORDS: tuple[str, ...] = tuple(_FILTER_WORDS)


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
    approved: int = 0
    withdrawn: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "fired": self.fired,
            "commented": self.commented,
            "edited": self.edited,
            "approved": self.approved,
            "withdrawn": self.withdrawn,
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


@dataclass(frozen=True, slots=True)
class Consent:
    """A party's consent in effect: who gave it for the party, when, why, on what source; the
    hash of its `approve` entry (what the transition's entry will name)."""

    party: str
    actor: str
    occurred_at: datetime
    reason: str | None
    source: str | None
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "actor": self.actor,
            "occurred_at": iso(self.occurred_at),
            "reason": self.reason,
            "source": self.source,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Pending:
    """A gated transition of an item with at least one consent in effect: who must consent
    (`required`), who has (`consents`), who is awaited, since when (the first consent)."""

    key: str
    title: str
    kind: str
    state: str
    trigger: str
    to_state: str | None
    required: tuple[str, ...]
    consents: tuple[Consent, ...]
    awaited: tuple[str, ...]
    since: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "state": self.state,
            "trigger": self.trigger,
            "to_state": self.to_state,
            "required": list(self.required),
            "consents": [c.to_json() for c in self.consents],
            "awaited": list(self.awaited),
            "since": iso(self.since),
        }
