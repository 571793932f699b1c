"""Where a write happens: a batch of operations (add, fire, comment, edit) checked in memory
against each item's state and workflow, then written in bulk in the caller's transaction: new
items, each touched item once (compare-and-set on the version it read), every history entry
with its hash. `Tracker` (service.py) owns the transaction; this module owns what goes in it.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from . import dates, fields
from .db.chain import GENESIS, entry_hash, fields_text, item_fields_text
from .db.models import items
from .db.queries import key_sets, time_text
from .errors import Conflict, ItemNotFound, NotAllowed, NotFound, TrackerError, UsageError
from .operations import OPERATIONS, Add, Comment, Edit, Fire, Operation, When
from .records import FireResult, HistoryEntry, Item
from .workflow import Workflow, Workflows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Progress = Callable[[int], None]

# A history entry a batch made, in the order of HISTORY_COLUMNS (less item_id, recorded_at).
Entry = tuple[int, str, str | None, str, str, str, str | None, str | None, str, str | None]
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
# The columns Batch.keep takes, in its order (SQLite: times are stored as canonical text).
LOAD_SQL = (
    "SELECT id, key, title, kind, workflow, parties, description, state, version, last_hash,"
    " created_at, updated_at, changed_at FROM items"
)
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


@dataclass(slots=True)
class Live:
    """An item as a batch sees it: loaded (id set) or added by the batch (id None)."""

    id: int | None
    key: str
    title: str
    kind: str
    workflow: str
    parties: tuple[str, ...]
    description: str
    state: str
    version: int
    last_hash: str
    # Times as their canonical text (dates.iso): compared, hashed and stored as they are.
    created: str
    updated: str
    changed: str
    read_version: int = 0
    # (version, trigger, from_state, to_state, occurred_at, actor, reason, source, hash, fields)
    entries: list[Entry] = field(default_factory=list)

    def record(self, workflow: Workflow | None) -> Item:
        return Item(
            key=self.key,
            title=self.title,
            kind=self.kind,
            parties=self.parties,
            state=self.state,
            version=self.version,
            description=self.description,
            created_at=datetime.fromisoformat(self.created),
            updated_at=datetime.fromisoformat(self.updated),
            workflow=self.workflow,
            allowed_triggers=workflow.allowed(self.state) if workflow else (),
            changed_at=datetime.fromisoformat(self.changed),
        )


class Batch:
    """One write transaction's worth of operations, checked in memory, then written in bulk."""

    # Batches up to this size report each operation's result (items and entries with ids).
    REPORT_LIMIT = 1000

    def __init__(
        self,
        workflows: Workflows,
        session: Session | None,
        actor: Callable[[], str],
        *,
        sqlite: bool,
        name_lines: bool,
        driver: Any = None,
    ) -> None:
        """`session` (PostgreSQL) or `driver` (SQLite: the pooled sqlite3 connection, in the
        caller's BEGIN IMMEDIATE) is where the batch reads and writes."""
        self.workflows = workflows
        self.sqlite = sqlite
        self.name_lines = name_lines
        self.done: list[tuple[Item, Entry]] = []
        self.entry_ids: dict[int, int] = {}
        self.times: dict[str, tuple[datetime, str]] = {}
        self.session = session
        self.driver = driver
        self.default_actor = actor
        self.live: dict[str, Live] = {}
        # Operations done, by op name.
        self.counts = dict.fromkeys(OPERATIONS, 0)
        # "Now", read by run() once the write lock is held.
        self.recorded_at = datetime.min
        self.recorded_text = ""

    @property
    def actor(self) -> str:
        """Who an operation naming no actor is by, looked up when first needed: a default
        actor that is not usable refuses only the writes that would record it."""
        return self.default_actor()

    def touched(self) -> list[Live]:
        return [live for live in self.live.values() if live.entries]

    def run(self, ops: Sequence[Operation], progress: Progress) -> None:
        self.load({op.key.lower() for op in ops})
        # "Now" is read once the write lock is held: taken before, a writer that waited for
        # the lock would date its entry before the winner's and be refused (history order).
        self.recorded_at = dates.now()
        self.recorded_text = dates.iso(self.recorded_at)
        # Each op is carried out by the method of its name.
        handlers: dict[str, Callable[[Any], Live]] = {
            name: getattr(self, name) for name in OPERATIONS
        }
        report = len(ops) <= self.REPORT_LIMIT
        for done, op in enumerate(ops, start=1):
            try:
                live = handlers[op.op](op)
            except TrackerError as exc:
                if self.name_lines:
                    exc.args = (f"line {op.line or done}: {exc}",)
                raise
            self.counts[op.op] += 1
            if report:
                workflow = self.workflows.by_name.get(live.workflow)
                self.done.append((live.record(workflow), live.entries[-1]))
            if done % 10000 == 0:
                progress(done)

    def results(self, dry_run: bool) -> builtins.list[FireResult]:
        out = []
        for item, entry in self.done:
            (version, trigger, from_state, to_state, occurred, actor, reason, source, digest,
             fields_) = entry  # fmt: skip
            record = HistoryEntry(
                id=self.entry_ids.get(id(entry), 0),
                item=item.key,
                trigger=trigger,
                from_state=from_state,
                to_state=to_state,
                occurred_at=datetime.fromisoformat(occurred),
                recorded_at=self.recorded_at,
                actor=actor,
                reason=reason,
                source=source,
                hash=digest,
                version=version,
                fields=fields_,
            )
            out.append(FireResult(item, record, dry_run))
        return out

    def load(self, keys: set[str]) -> None:
        listed = sorted(keys)
        if self.driver is not None:
            # SQLite: straight on the driver, rows as plain tuples; times are stored as their
            # canonical text already.
            if len(listed) == 1:
                rows = self.driver.execute(f"{LOAD_SQL} WHERE key_lower = ?", listed).fetchall()
            else:
                rows = self.driver.execute(
                    f"{LOAD_SQL} WHERE key_lower IN (SELECT value FROM json_each(?)) ORDER BY id",
                    (json.dumps(listed),),
                ).fetchall()
            self.keep(rows)
            return
        columns = (
            items.c.id,
            items.c.key,
            items.c.title,
            items.c.kind,
            items.c.workflow,
            items.c.parties,
            items.c.description,
            items.c.state,
            items.c.version,
            items.c.last_hash,
            time_text(items.c.created_at, self.sqlite),
            time_text(items.c.updated_at, self.sqlite),
            time_text(items.c.changed_at, self.sqlite),
        )
        assert self.session is not None
        for chosen in key_sets(listed, self.sqlite):
            query = select(*columns).where(chosen).order_by(items.c.id)
            if not self.sqlite:
                query = query.with_for_update()  # lock in id order: no deadlocks between batches
            self.keep(self.session.execute(query).all())

    def keep(self, rows: Sequence[Any]) -> None:
        """Keep loaded item rows (LOAD_SQL's columns) as the batch's live items."""
        live = self.live
        for row in rows:
            (
                id_,
                key,
                title,
                kind,
                workflow,
                parties,
                description,
                state,
                version,
                last_hash,
                created,
                updated,
                changed,
            ) = row
            live[key.lower()] = Live(
                id_,
                key,
                title,
                kind,
                workflow,
                tuple(parties.split()),
                description,
                state,
                version,
                last_hash,
                created,
                updated,
                changed,
                version,
            )

    def find(self, key: str) -> Live:
        live = self.live.get(key.lower())
        if live is None:
            raise ItemNotFound(key)
        return live

    def when(self, at: When, live: Live | None) -> tuple[datetime, str]:
        # An empty date is an error (parse_when), not "now": `--at "$DATE"` with DATE unset
        # must not record today as the effective date.
        if at is None or (type(at) is str and at.strip().lower() == "now"):
            # `now` is the batch's one time, read under the write lock: a second clock read
            # here would come out a little after it and be refused as "in the future".
            moment, text = self.recorded_at, self.recorded_text
        elif type(at) is str and at in self.times:
            moment, text = self.times[at]  # a batch often repeats one effective date
        else:
            moment = dates.parse_when(at)
            text = dates.iso(moment)
            if moment > self.recorded_at:
                raise UsageError(f"effective date {text} is in the future")
            if type(at) is str:
                self.times[at] = moment, text
        # Canonical texts are fixed-width UTC, so they compare as the times do.
        if live is not None and text < live.changed:
            raise NotAllowed(
                f"effective date {text} is before {live.key}'s latest entry "
                f"({live.changed}); history stays in order"
            )
        return moment, text

    def append(
        self,
        live: Live,
        trigger: str,
        to_state: str,
        when: tuple[datetime, str],
        by: str | None,
        why: str | None,
        source_given: str | None = None,
        recorded: str | None = None,
    ) -> None:
        """Chain a new entry to `live`, by actor `by` (None: the default actor) with reason
        `why`; `recorded` is the canonical text of the item fields it carries (chain.py)."""
        # An actor given empty (`--actor "$WHO"` with WHO unset) is an error: recording the
        # default actor instead would put someone else's name on the entry.
        actor = fields.text("actor", by, required=by is not None) or self.actor
        reason = fields.text("reason", why, multiline=True)
        source = fields.text("source", source_given)
        text = recorded
        from_state = live.state if live.version else None
        version = live.version + 1
        digest = entry_hash(
            live.last_hash,
            live.key,
            version,
            trigger,
            from_state,
            to_state,
            when[1],
            self.recorded_text,
            actor,
            reason,
            source,
            text,
        )
        live.entries.append(
            (version, trigger, from_state, to_state, when[1], actor, reason, source, digest, text)
        )
        live.state, live.version, live.last_hash = to_state, version, digest
        live.changed, live.updated = when[1], self.recorded_text

    def workflow_of(self, live: Live) -> Workflow:
        workflow = self.workflows.by_name.get(live.workflow)
        if workflow is None:
            raise NotFound(f"{live.key} follows workflow {live.workflow!r}, which is not loaded")
        return workflow

    def add(self, op: Add) -> Live:
        key = fields.key(op.key)
        if key.lower() in self.live:
            raise Conflict(f"item {self.live[key.lower()].key!r} already exists")
        kind = fields.kind(op.kind)
        workflow = self.workflows.for_kind(kind)
        when = self.when(op.at, None)
        live = Live(
            id=None,
            key=key,
            title=str(fields.text("title", op.title, required=True)),
            kind=kind,
            workflow=workflow.name,
            parties=fields.parties(op.parties or ()),
            description=fields.text("description", op.description, multiline=True) or "",
            state=workflow.initial,
            version=0,
            last_hash=GENESIS,
            created=when[1],
            updated=self.recorded_text,
            changed=when[1],
        )
        self.live[key.lower()] = live
        recorded = item_fields_text(
            live.key,
            live.title,
            live.kind,
            live.workflow,
            live.parties,
            live.description,
            live.created,
        )
        self.append(
            live, "create", workflow.initial, when, op.actor, op.reason, op.source, recorded
        )
        return live

    def fire(self, op: Fire) -> Live:
        live = self.find(op.key)
        workflow = self.workflow_of(live)
        expected = op.expect_state
        if expected is not None and not expected.strip():
            # `--expect-state "$S"` with S unset must not fire without the check it asked for.
            raise UsageError("expect_state is empty: give the state expected, or leave it out")
        if expected and expected.strip().lower() != live.state:
            raise Conflict(f"{live.key} is {live.state}, not {expected.lower()} as expected")
        trigger = op.trigger.lower()
        try:
            target = workflow.check(live.state, trigger, {"reason": op.reason, "source": op.source})
        except TrackerError as exc:
            exc.args = (f"{live.key}: {exc}",)
            raise
        when = self.when(op.at, live)
        self.append(live, trigger, target, when, op.actor, op.reason, op.source)
        return live

    def comment(self, op: Comment) -> Live:
        live = self.find(op.key)
        fields.text("reason", op.reason, required=True, multiline=True)
        when = self.when(op.at, live)
        self.append(live, "comment", live.state, when, op.actor, op.reason, op.source)
        return live

    def edit(self, op: Edit) -> Live:
        """Change title, description or parties. The entry records the old and the new value
        of each field changed (`{field: [old, new]}`, chained); its reason is the one given,
        checked like any reason (never cut), or else names the fields changed."""
        live = self.find(op.key)
        changes: dict[str, list[Any]] = {}
        if op.title is not None:
            new_title = str(fields.text("title", op.title, required=True))
            if new_title != live.title:
                changes["title"] = [live.title, new_title]
        if op.description is not None:
            new_description = fields.text("description", op.description, multiline=True) or ""
            if new_description != live.description:
                changes["description"] = [live.description, new_description]
        if op.parties is not None:
            parties = fields.parties(op.parties)
            if parties != live.parties:
                changes["parties"] = [list(live.parties), list(parties)]
        reason = fields.text("reason", op.reason, multiline=True)
        if not changes:
            raise UsageError(f"nothing to change on {live.key}")
        when = self.when(op.at, live)
        if "title" in changes:
            live.title = changes["title"][1]
        if "description" in changes:
            live.description = changes["description"][1]
        if "parties" in changes:
            live.parties = tuple(changes["parties"][1])
        note = reason or f"changed {', '.join(sorted(changes))}"
        self.append(live, "edit", live.state, when, op.actor, note, None, fields_text(changes))
        return live

    def flush(self) -> None:
        """Write what the batch did: new items, then each touched item once (compare-and-set
        on the version it read), then every history entry."""
        touched = self.touched()
        fresh = [live for live in touched if live.id is None]
        if fresh:
            self.insert_items(fresh)
        changed = [live for live in touched if live.read_version]
        if changed:
            self.update_items(changed)
        self.insert_entries(touched)

    def stored(self, when: str) -> Any:
        """A time as the database takes it: SQLite the canonical text, PostgreSQL a datetime."""
        return when if self.sqlite else datetime.fromisoformat(when)

    def driver_sql(
        self, statement: str, rows: builtins.list[tuple[Any, ...]] | tuple[Any, ...] = ()
    ) -> Any:
        """SQL straight on the driver, executemany for a list of rows: no per-row SQLAlchemy
        processing (the rows already hold what the database stores). `?` marks a parameter."""
        if self.driver is not None:
            if type(rows) is builtins.list:
                return self.driver.executemany(statement, rows)
            return self.driver.execute(statement, rows)
        assert self.session is not None
        connection = self.session.connection()
        if connection.dialect.paramstyle != "qmark":
            statement = statement.replace("?", "%s")
        return connection.exec_driver_sql(statement, rows)

    def insert_entries(self, touched: builtins.list[Live]) -> None:
        recorded = self.stored(self.recorded_text)
        rows: builtins.list[tuple[Any, ...]]
        if self.sqlite:
            rows = [(live.id, *entry, recorded) for live in touched for entry in live.entries]
        else:
            rows = [
                (live.id, *entry[:4], datetime.fromisoformat(entry[4]), *entry[5:], recorded)
                for live in touched
                for entry in live.entries
            ]
        # Small batches report each entry with its id: read them back by (item_id, version),
        # which is unique, among the ids above the largest before the insert. That holds under
        # concurrency too: ids come from a counter that only grows, and no other transaction
        # writes entries of these items now. (Cheaper than INSERT ... RETURNING through
        # SQLAlchemy, whose first compile in a process costs a single `tracker fire` ~7 ms.)
        statement = f"INSERT INTO history ({', '.join(HISTORY_COLUMNS)}) VALUES ({HISTORY_MARKS})"
        if self.done and self.driver is not None and len(rows) == 1:
            # One entry on SQLite (a single fire): its id is the cursor's lastrowid.
            only = touched[0].entries[0]
            self.entry_ids[id(only)] = self.driver.execute(statement, rows[0]).lastrowid
            return
        before = self.driver_sql("SELECT max(id) FROM history").fetchone()[0] if self.done else None
        self.driver_sql(statement, rows)
        if not self.done:
            return
        made = {(live.id, entry[0]): entry for live in touched for entry in live.entries}
        written = self.driver_sql(
            "SELECT item_id, version, id FROM history WHERE id > ?", (before or 0,)
        )
        for item_id, version, new_id in written:
            entry = made.get((item_id, version))
            if entry is not None:
                self.entry_ids[id(entry)] = new_id

    def insert_items(self, fresh: builtins.list[Live]) -> None:
        if self.driver is not None:
            self.insert_items_sqlite(fresh)
            return
        assert self.session is not None
        rows = [
            {
                "key": live.key,
                "key_lower": live.key.lower(),
                "title": live.title,
                "kind": live.kind,
                "workflow": live.workflow,
                "parties": " ".join(live.parties),
                "description": live.description,
                "state": live.state,
                "version": live.version,
                "last_hash": live.last_hash,
                "created_at": self.stored(live.created),
                "updated_at": self.stored(live.updated),
                "changed_at": self.stored(live.changed),
            }
            for live in fresh
        ]
        returned = (
            self.session.execute(
                insert(items).returning(items.c.id, sort_by_parameter_order=True), rows
            )
            .scalars()
            .all()
        )
        for live, new_id in zip(fresh, returned, strict=True):
            live.id = new_id

    def insert_items_sqlite(self, fresh: builtins.list[Live]) -> None:
        """New items on the driver, then their ids read back by key (key_lower is unique)."""
        rows = [
            (
                live.key,
                live.key.lower(),
                live.title,
                live.kind,
                live.workflow,
                " ".join(live.parties),
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
        marks = ", ".join("?" for _ in ITEM_INSERT_COLUMNS)
        self.driver_sql(
            f"INSERT INTO items ({', '.join(ITEM_INSERT_COLUMNS)}) VALUES ({marks})", rows
        )
        by_key = {live.key.lower(): live for live in fresh}
        written = self.driver.execute(
            "SELECT key_lower, id FROM items WHERE key_lower IN (SELECT value FROM json_each(?))",
            (json.dumps(builtins.list(by_key)),),
        )
        for key_lower, new_id in written:
            by_key[key_lower].id = new_id

    def update_items(self, changed: builtins.list[Live]) -> None:
        stored = self.stored
        rows = [
            (
                live.state,
                live.version,
                live.last_hash,
                stored(live.changed),
                stored(live.updated),
                live.title,
                live.description,
                " ".join(live.parties),
                live.id,
                live.read_version,
            )
            for live in changed
        ]
        assignments = ", ".join(f"{name} = ?" for name in ITEM_UPDATE_COLUMNS)
        result = self.driver_sql(
            f"UPDATE items SET {assignments} WHERE id = ? AND version = ?", rows
        )
        if result.rowcount not in (-1, len(rows)):
            raise Conflict("a concurrent writer changed an item in this batch; nothing was written")
