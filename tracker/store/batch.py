"""Where a write happens: a batch of operations (add, fire, comment, edit, approve, withdraw)
checked in memory against each item's state and workflow, then written in bulk in the
caller's transaction: new items, each touched item once (compare-and-set on the version it
read), every history entry with its hash (store/batch_write.py). store/apply.py owns the
transaction; this module owns what goes in it. What it reads first is store/batch_read.py;
the consents it checks approvals and gated fires against, store/batch_consents.py.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .. import dates, fields
from ..chain import GENESIS, entry_hash, fields_text, item_fields_text
from ..errors import (
    Conflict,
    ItemNotFound,
    NotAllowed,
    NotFound,
    TrackerError,
    UsageError,
)
from ..frozen import builder
from ..operations import OPERATIONS, Add, Comment, Edit, Fire, Operation, When
from ..records import FireResult, Item
from ..workflow import Workflow, Workflows
from .batch_consent_ops import ConsentOps
from .batch_consents import BatchConsents
from .batch_read import item_rows
from .batch_rows import (
    LOAD_COLUMNS,
    NARROW_COLUMNS,
    NARROW_OPS,
    Entry,
    Live,
    Loaded,
    Narrow,
    add_narrow,
    entry_record,
    naming,
)
from .batch_write import BulkWrite

Progress = Callable[[int], None]
# What decides a fire's check: (workflow, state, trigger, reason, source); and its answer: the
# target state, and the workflow where it gates a trigger (None where it gates none).
Asked = tuple[str, str, str, str | None, str | None]
Target = tuple[str, Workflow | None]
# What a batch reports, built fast (tracker.frozen): a single fire builds one.
_RESULT = builder(FireResult)


@functools.lru_cache(maxsize=256)
def _said(
    by: str | None, why: str | None, source: str | None
) -> tuple[str | None, str | None, str | None]:
    """The (actor, reason, source) given to an entry as recorded (the actor None: the default
    one), each checked by its field's rule (fields.text). Remembered across batches: writers
    repeat them (an error is not remembered: it is raised again)."""
    return (
        # An actor given empty (`--actor "$WHO"` with WHO unset) is an error: the default
        # actor instead would put someone else's name on the entry.
        fields.text("actor", by, required=by is not None),
        fields.text("reason", why, multiline=True),
        fields.text("source", source),
    )


class Batch(ConsentOps):
    """One write transaction's worth of operations, checked in memory, then written in bulk."""

    # Batches up to this size report each operation's result (items and entries with ids).
    REPORT_LIMIT = 1000

    def __init__(
        self,
        workflows: Workflows,
        driver: Any,
        actor: Callable[[], str],
        *,
        sqlite: bool,
        name_lines: bool,
    ) -> None:
        """`driver` is where the batch reads and writes, in the caller's transaction: the
        pooled sqlite3 connection (in BEGIN IMMEDIATE) or psycopg connection (bulk_pg.py)."""
        self.workflows = workflows
        self.sqlite = sqlite
        self.name_lines = name_lines
        self.done: list[tuple[Item, Entry]] = []
        self.entry_ids: dict[int, int] = {}
        self.times: dict[str, tuple[datetime, str]] = {}
        self.driver = driver
        self.default_actor = actor
        self.live: dict[str, Live] = {}
        # Operations done, by op name.
        self.counts = dict.fromkeys(OPERATIONS, 0)
        # The consents in effect on the items, and who may consent (batch_consents.py).
        self.consents = BatchConsents(workflows, driver, self.live, actor, sqlite=sqlite)
        # What was checked once for the whole batch: a fire's target state for each
        # (workflow, state, trigger, reason, source), and the workflow where it gates a
        # trigger (the consents are checked for each fire).
        self.targets: dict[Asked, Target] = {}
        # Whether the batch loads and writes back only what fires and comments read (run).
        self.narrow = False
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
        report = len(ops) <= self.REPORT_LIMIT
        self.narrow = not report and all(op.op in NARROW_OPS for op in ops)
        self.load({op.key.lower() for op in ops})
        # "Now" is read once the write lock is held: taken before, a writer that waited for
        # the lock would date its entry before the winner's and be refused (history order).
        self.recorded_at = dates.now()
        self.recorded_text = dates.iso(self.recorded_at)
        counts = self.counts
        for done, op in enumerate(ops, start=1):
            name = op.op
            try:
                live = _HANDLERS[name](self, op)
            except TrackerError as exc:
                if self.name_lines:
                    exc.args = (f"line {op.line or done}: {exc}",)
                raise
            counts[name] += 1
            if report:
                self.done.append((live.record(self.workflows), live.entries[-1]))
            if done % 10000 == 0:
                progress(done)

    def results(self, dry_run: bool) -> builtins.list[FireResult]:
        ids, recorded_at = self.entry_ids, self.recorded_at
        return [
            _RESULT(item, entry_record(entry, ids.get(id(entry), 0), item, recorded_at), dry_run)
            for item, entry in self.done
        ]

    def load(self, keys: set[str]) -> None:
        columns = NARROW_COLUMNS if self.narrow else LOAD_COLUMNS
        rows = item_rows(self.driver, keys, columns, sqlite=self.sqlite, many=self.REPORT_LIMIT)
        if self.narrow:
            self.keep_narrow(rows)
        else:
            self.keep(rows)

    def keep(self, rows: Sequence[Loaded]) -> None:
        """Keep loaded item rows (LOAD_COLUMNS) as the batch's live items, each read at the
        version it holds."""
        live = self.live
        for row in rows:
            live[row[1].lower()] = Live(*row, row[8])

    def keep_narrow(self, rows: Sequence[Narrow]) -> None:
        """keep() for NARROW_COLUMNS (batch_rows.add_narrow)."""
        add_narrow(self.live, rows)

    def find(self, key: str) -> Live:
        live = self.live.get(key.lower())
        if live is None:
            raise ItemNotFound(key)
        return live

    def when(self, at: When, live: Live | None) -> tuple[datetime, str]:
        # An empty date is an error (parse_when), not "now": `--at "$DATE"` with DATE unset
        # must not record today as the effective date.
        seen = self.times.get(at) if type(at) is str else None
        if seen is not None:
            moment, text = seen  # a batch often repeats one effective date
        elif at is None or (type(at) is str and at.strip().lower() == "now"):
            # `now` is the batch's one time, read under the write lock: a second clock read
            # here would come out a little after it and be refused as "in the future".
            moment, text = self.recorded_at, self.recorded_text
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
        actor, reason, source = _said(by, why, source_given)
        if actor is None:
            actor = self.actor
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
            (live.id, version, trigger, from_state, to_state, when[1], actor, reason, source,
             digest, text, self.recorded_text)
        )  # fmt: skip
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
            parties=" ".join(fields.parties(op.parties or ())),
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
            live.parties.split(),
            live.description,
            live.created,
        )
        self.append(
            live, "create", workflow.initial, when, op.actor, op.reason, op.source, recorded
        )
        return live

    def fire(self, op: Fire) -> Live:
        live = self.live.get(op.key.lower())  # find(), written out: it runs once per fire
        if live is None:
            raise ItemNotFound(op.key)
        expected = op.expect_state
        if expected is not None and not expected.strip():
            # `--expect-state "$S"` with S unset must not fire without the check it asked for.
            raise UsageError("expect_state is empty: give the state expected, or leave it out")
        if expected and expected.strip().lower() != live.state:
            raise Conflict(f"{live.key} is {live.state}, not {expected.lower()} as expected")
        trigger = op.trigger.lower()
        # A fire's check depends on these only: worked out once for each in a batch.
        asked = (live.workflow, live.state, trigger, op.reason, op.source)
        target, gated = self.targets.get(asked) or self.fire_target(live, trigger, op, asked)
        settled = None
        if gated is not None:
            try:
                settled = self.consents.settle(live, gated, trigger)
            except TrackerError as exc:
                naming(live.key, exc)
                raise
        when = self.when(op.at, live)
        self.append(live, trigger, target, when, op.actor, op.reason, op.source, settled)
        return live

    def fire_target(self, live: Live, trigger: str, op: Fire, asked: Asked) -> Target:
        """The state a fire of `trigger` on `live` leads to (NotAllowed naming the item), and
        the workflow where it gates a trigger (None where not), remembered as `asked`."""
        workflow = self.workflow_of(live)
        try:
            target = workflow.check(live.state, trigger, {"reason": op.reason, "source": op.source})
        except TrackerError as exc:
            naming(live.key, exc)
            raise
        found = self.targets[asked] = (target, workflow if workflow.gated else None)
        return found

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
            if " ".join(parties) != live.parties:
                changes["parties"] = [live.parties.split(), list(parties)]
        reason = fields.text("reason", op.reason, multiline=True)
        if not changes:
            raise UsageError(f"nothing to change on {live.key}")
        when = self.when(op.at, live)
        live.edited = True
        if "title" in changes:
            live.title = changes["title"][1]
        if "description" in changes:
            live.description = changes["description"][1]
        if "parties" in changes:
            live.parties = " ".join(changes["parties"][1])
            live.parties_changed = True
        note = reason or f"changed {', '.join(sorted(changes))}"
        self.append(live, "edit", live.state, when, op.actor, note, None, fields_text(changes))
        return live

    def flush(self) -> None:
        """Write what the batch did (store/batch_write.py): new items, then each touched item
        once (compare-and-set on the version it read), then every history entry."""
        reporting = bool(self.done)
        writer = BulkWrite(
            self.driver, self.entry_ids, sqlite=self.sqlite, narrow=self.narrow, reporting=reporting
        )
        writer.flush(self.touched())


# Each op is carried out by the Batch method of its name.
_HANDLERS: dict[str, Callable[[Batch, Any], Live]] = {
    name: getattr(Batch, name) for name in OPERATIONS
}
