"""What a batch holds and writes (store/batch.py, store/batch_write.py): an item as the batch
sees it (`Live`), a history entry it made (`Entry`, a row), and the columns it loads and
writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..consents import InEffect
from ..errors import TrackerError
from ..frozen import builder
from ..records import HistoryEntry, Item
from ..workflow import Workflows
from .queries import items_from

# A history entry a batch made: its row, in the order of HISTORY_COLUMNS (item_id is None
# until a new item has its id).
Entry = tuple[
    int | None, int, str, str | None, str, str, str, str | None, str | None, str, str | None, str
]
HISTORY_COLUMNS = (
    "item_id",
    "version",
    "trigger",
    "from_state",
    "to_state",
    "occurred_at",
    "actor",
    "reason",
    "source",
    "hash",
    "fields",
    "recorded_at",
)
HISTORY_MARKS = ", ".join("?" for _ in HISTORY_COLUMNS)
ITEM_INSERT_COLUMNS = (
    "key",
    "key_lower",
    "title",
    "kind",
    "workflow",
    "parties",
    "description",
    "state",
    "version",
    "last_hash",
    "created_at",
    "updated_at",
    "changed_at",
)
# The columns a batch loads of an item, Live's first fields in their order (times as their
# canonical text: SQLite stores them so, bulk_pg converts them).
LOAD_COLUMNS = ("id", *(name for name in ITEM_INSERT_COLUMNS if name != "key_lower"))
Loaded = tuple[int, str, str, str, str, str, str, str, int, str, str, str, str]
# A big batch of these ops only (no result reported, no field edited) loads and writes back
# only what they read (parties: a gated trigger's approvers) and change: a fifth of the load's
# time at 100,000 fires.
NARROW_OPS = frozenset({"fire", "comment"})
NARROW_COLUMNS = ("id", "key", "workflow", "parties", "state", "version", "last_hash", "changed_at")
Narrow = tuple[int, str, str, str, str, int, str, str]
# What writing an item back sets: the first five only where no item written was edited.
ITEM_UPDATE_COLUMNS = (
    "state",
    "version",
    "last_hash",
    "changed_at",
    "updated_at",
    "title",
    "description",
    "parties",
)
NARROW_UPDATE = ITEM_UPDATE_COLUMNS[:5]


@dataclass(slots=True)
class Live:
    """An item as a batch sees it: loaded (id set) or added by the batch (id None)."""

    id: int | None
    key: str
    title: str
    kind: str
    workflow: str
    # As stored: the codes joined by a space (kept so; split only for a record or an edit).
    parties: str
    description: str
    state: str
    version: int
    last_hash: str
    # Times as their canonical text (dates.iso): compared, hashed and stored as they are.
    created: str
    updated: str
    changed: str
    read_version: int = 0
    # An edit of this batch changed its parties: its rows in item_parties are written again.
    parties_changed: bool = False
    # An edit of this batch changed its title, description or parties: written back in full.
    edited: bool = False
    entries: list[Entry] = field(default_factory=list)
    # The consents in effect (tracker.consents); None until read, for items of a workflow
    # that gates a trigger.
    consents: InEffect | None = None

    def record(self, workflows: Workflows) -> Item:
        """The item as a record (queries.items_from, the one row -> Item)."""
        row = (
            self.key, self.title, self.kind, self.parties, self.state, self.version,
            self.description, self.created, self.updated, self.workflow, self.changed,
        )  # fmt: skip
        return items_from([row], workflows)[0]


def add_narrow(live: dict[str, Live], rows: Sequence[Narrow]) -> None:
    """Add the items of NARROW_COLUMNS `rows` to `live` by lowered key: the fields a narrow
    batch never reads are left empty (and never written back: NARROW_UPDATE)."""
    for id_, key, workflow, codes, state, version, last_hash, changed in rows:
        live[key.lower()] = Live(
            id_,
            key,
            "",
            "",
            workflow,
            codes,
            "",
            state,
            version,
            last_hash,
            "",
            "",
            changed,
            version,
        )


def entry_record(entry: Entry, entry_id: int, item: Item, recorded_at: datetime) -> HistoryEntry:
    """A history entry a batch made on `item`, as a record (`entry_id`: 0 until written)."""
    (_item, version, trigger, from_state, to_state, occurred, actor, reason, source, digest,
     fields_, _recorded) = entry  # fmt: skip
    # By position (id, item, trigger ... hash, version, fields; tracker.frozen).
    return _ENTRY(
        entry_id,
        item.key,
        trigger,
        from_state,
        to_state,
        datetime.fromisoformat(occurred),
        recorded_at,
        actor,
        reason,
        source,
        digest,
        version,
        fields_,
    )


# A single fire builds one (tracker.frozen).
_ENTRY = builder(HistoryEntry)


def naming(key: str, exc: TrackerError) -> None:
    """`exc`'s message now names the item `key` it is about (the caller raises it again)."""
    exc.args = (f"{key}: {exc}",)
