"""A checked batch written in bulk, in the caller's transaction (store/batch.py checks it):
new items (their ids taken first, or read back), each touched item once with compare-and-set
on the version it read, every history entry (their ids when the batch reports them), and the
rows of item_parties. SQLite by executemany, PostgreSQL by COPY (bulk_pg.py)."""

from __future__ import annotations

import builtins
import json
from typing import Any

from ..errors import Conflict
from . import bulk_pg
from .batch_rows import (
    HISTORY_COLUMNS,
    HISTORY_MARKS,
    ITEM_INSERT_COLUMNS,
    ITEM_UPDATE_COLUMNS,
    NARROW_UPDATE,
    Live,
)

# SQLite's statements, written once.
_INSERT_HISTORY = f"INSERT INTO history ({', '.join(HISTORY_COLUMNS)}) VALUES ({HISTORY_MARKS})"
_INSERT_ITEMS = (
    f"INSERT INTO items ({', '.join(ITEM_INSERT_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in ITEM_INSERT_COLUMNS)})"
)
_PARTY_COLUMNS = ("item_id", "position", "party", "key_lower")
_INSERT_PARTIES = f"INSERT INTO item_parties ({', '.join(_PARTY_COLUMNS)}) VALUES (?, ?, ?, ?)"
# The compare-and-set: the full update, and the narrow one (fires and comments only).
_UPDATE_ITEMS = {
    narrow: f"UPDATE items SET {', '.join(f'{name} = ?' for name in columns)}"
    " WHERE id = ? AND version = ?"
    for narrow, columns in ((False, ITEM_UPDATE_COLUMNS), (True, NARROW_UPDATE))
}


class BulkWrite:
    """The writes of one batch: `reporting` (a batch small enough to report each result)
    fills `entry_ids` with each entry's id (by the entry's id()); `narrow` writes back only
    what fires and comments change."""

    def __init__(
        self, driver: Any, entry_ids: dict[int, int], *, sqlite: bool, narrow: bool, reporting: bool
    ) -> None:
        self.driver = driver
        self.entry_ids = entry_ids
        self.sqlite = sqlite
        self.narrow = narrow
        self.reporting = reporting

    def flush(self, touched: builtins.list[Live]) -> None:
        """Write what the batch did: new items, then each touched item once (compare-and-set
        on the version it read), then every history entry."""
        fresh = [live for live in touched if live.id is None]
        if fresh:
            self.insert_items(fresh)
            self.write_parties(fresh)
        changed = [live for live in touched if live.read_version]
        if changed:
            self.update_items(changed)
            edited = [live for live in changed if live.parties_changed]
            if edited:
                self.write_parties(edited, replace=True)
        self.insert_entries(touched)

    def write_parties(self, lives: builtins.list[Live], *, replace: bool = False) -> None:
        """The rows of item_parties for these items as their parties now stand, each with the
        item's key_lower (the index a filter by party reads, by key; verify checks it);
        `replace`: their rows so far go first."""
        rows = [
            (live.id, n, party, live.key.lower())
            for live in lives
            for n, party in enumerate(live.parties.split())
        ]
        if self.sqlite:
            if replace:
                self.driver.executemany(
                    "DELETE FROM item_parties WHERE item_id = ?", [(live.id,) for live in lives]
                )
            self.driver.executemany(_INSERT_PARTIES, rows)
            return
        if replace:
            with self.driver.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM item_parties WHERE item_id = ANY(%s)",
                    ([live.id for live in lives],),
                )
        bulk_pg.copy(self.driver, "item_parties", _PARTY_COLUMNS, rows)

    def insert_entries(self, touched: builtins.list[Live]) -> None:
        # An entry is its row, but for a new item's id, known only now.
        rows: builtins.list[tuple[Any, ...]] = []
        for live in touched:
            if live.read_version:
                rows += live.entries
            else:
                rows += [(live.id, *entry[1:]) for entry in live.entries]
        if not self.sqlite:
            if not self.reporting:
                bulk_pg.copy(self.driver, "history", HISTORY_COLUMNS, rows)
                return
            # Small batches report each entry with its id: taken from the sequence first.
            ids = bulk_pg.take_ids(self.driver, "history", len(rows))
            entries = (entry for live in touched for entry in live.entries)
            for made_entry, new_id in zip(entries, ids, strict=True):
                self.entry_ids[id(made_entry)] = new_id
            rows = [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)]
            bulk_pg.copy(self.driver, "history", ("id", *HISTORY_COLUMNS), rows)
            return
        statement = _INSERT_HISTORY
        if self.reporting and len(rows) == 1:
            # One entry (a single fire): its id is the cursor's lastrowid.
            only = touched[0].entries[0]
            self.entry_ids[id(only)] = self.driver.execute(statement, rows[0]).lastrowid
            return
        # Small batches report each entry with its id: read them back by (item_id, version),
        # which is unique, among the ids above the largest before the insert. That holds under
        # concurrency too: BEGIN IMMEDIATE keeps every other writer out.
        before = (
            self.driver.execute("SELECT max(id) FROM history").fetchone()[0]
            if self.reporting
            else None
        )
        self.driver.executemany(statement, rows)
        if not self.reporting:
            return
        made = {(live.id, entry[1]): entry for live in touched for entry in live.entries}
        written = self.driver.execute(
            "SELECT item_id, version, id FROM history WHERE id > ?", (before or 0,)
        )
        for item_id, version, new_id in written:
            entry = made.get((item_id, version))
            if entry is not None:
                self.entry_ids[id(entry)] = new_id

    def insert_items(self, fresh: builtins.list[Live]) -> None:
        """New items; their ids are taken from the sequence first (PostgreSQL) or read back by
        key after the insert (SQLite; key_lower is unique)."""
        if not self.sqlite:
            for live, new_id in zip(
                fresh, bulk_pg.take_ids(self.driver, "items", len(fresh)), strict=True
            ):
                live.id = new_id
        rows = [
            (
                live.key,
                live.key.lower(),
                live.title,
                live.kind,
                live.workflow,
                live.parties,
                live.description,
                live.state,
                live.version,
                live.last_hash,
                live.created,
                live.updated,
                live.changed,
            )
            for live in fresh
        ]
        if not self.sqlite:
            identified = [(live.id, *row) for live, row in zip(fresh, rows, strict=True)]
            bulk_pg.copy(self.driver, "items", ("id", *ITEM_INSERT_COLUMNS), identified)
            return
        self.driver.executemany(_INSERT_ITEMS, rows)
        by_key = {live.key.lower(): live for live in fresh}
        written = self.driver.execute(
            "SELECT key_lower, id FROM items WHERE key_lower IN (SELECT value FROM json_each(?))",
            (json.dumps(builtins.list(by_key)),),
        )
        for key_lower, new_id in written:
            by_key[key_lower].id = new_id

    def update_items(self, changed: builtins.list[Live]) -> None:
        """Write the touched items back, compare-and-set on the version each was read at: the
        columns fires and comments change, or all that may change where an item was edited."""
        rows: builtins.list[tuple[Any, ...]]
        narrow = self.narrow or not any(live.edited for live in changed)
        if narrow:
            rows = [
                (live.state, live.version, live.last_hash, live.changed, live.updated, live.id,
                 live.read_version)
                for live in changed
            ]  # fmt: skip
        else:
            rows = [
                (live.state, live.version, live.last_hash, live.changed, live.updated, live.title,
                 live.description, live.parties, live.id, live.read_version)
                for live in changed
            ]  # fmt: skip
        if not self.sqlite:
            columns = NARROW_UPDATE if narrow else ITEM_UPDATE_COLUMNS
            updated = bulk_pg.update_items(self.driver, columns, rows)
        elif len(rows) == 1:  # a single fire: execute costs less than executemany
            updated = self.driver.execute(_UPDATE_ITEMS[narrow], rows[0]).rowcount
        else:
            updated = self.driver.executemany(_UPDATE_ITEMS[narrow], rows).rowcount
        if updated != len(rows):
            raise Conflict("a concurrent writer changed an item in this batch; nothing was written")
