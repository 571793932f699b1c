"""Replaying history (for verify and import) and reading an export back in."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from . import dates, fields
from .batch import ndjson
from .db.chain import GENESIS, entry_hash
from .db.models import history, items
from .errors import UsageError, VerificationFailed
from .records import ENTRY_FIELDS, ITEM_FIELDS, Problem, VerifyReport
from .wording import plural
from .workflow import Workflows

HASH = re.compile(r"^[0-9a-f]{64}$")
Q = '"'
NON_STATE_TRIGGERS = frozenset({"comment", "edit"})
# An export line: the SPEC's shape plus its type (and an item's workflow; no allowed triggers).
ITEM_LINE_FIELDS = frozenset({"type", "workflow", *ITEM_FIELDS}) - {"allowed_triggers"}
ENTRY_LINE_FIELDS = frozenset({"type", *ENTRY_FIELDS})


@dataclass(slots=True)
class _Chain:
    key: str
    workflow: str
    state: str
    version: int
    head: str
    seen_version: int = 0
    seen_state: str | None = None
    seen_hash: str = GENESIS
    seen_time: str = ""
    broken: bool = False
    # The workflow's initial state and its `leads_to`; None when it is not loaded.
    initial: str | None = None
    leads_to: Callable[[str | None, str], str | None] | None = None


class Replay:
    """Walks history entries in id order and checks each against its item's chain so far."""

    def __init__(self, workflows: Workflows) -> None:
        self.workflows = workflows
        self.chains: dict[Any, _Chain] = {}
        self.problems: list[Problem] = []
        self.entries = 0

    def expect(
        self, ref: Any, key: str, workflow: str, state: str, version: int, head: str
    ) -> None:
        """Register an item as its row says it stands now."""
        chain = _Chain(key, workflow, state, version, head)
        found = self.workflows.by_name.get(workflow)
        if found is not None:
            chain.initial, chain.leads_to = found.initial, found.leads_to
        self.chains[ref] = chain

    def resume(self, rows: Iterable[Sequence[Any]]) -> None:
        """Take up items' chains where others left them: each row an item's last entry so far
        (ref, version, to_state, occurred, hash), set as `entry` would have set it. Checking
        those entries, and those before them, is the caller's part."""
        chains = self.chains
        for ref, version, to_state, occurred, digest in rows:
            chain = chains.get(ref)
            if chain is not None:
                chain.seen_version, chain.seen_state, chain.seen_time = version, to_state, occurred
                chain.seen_hash = digest

    def check_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Check many entries (each the arguments of `entry`), fast: an entry that passes every
        check is taken here in one step; any other goes through `entry`, which names what is
        wrong. Nothing is changed before that decision, so the outcome is `entry`'s exactly."""
        chains = self.chains
        sha256 = hashlib.sha256
        non_state = NON_STATE_TRIGGERS
        taken = 0
        for row in rows:
            (_, ref, version, trigger, from_state, to_state, occurred, recorded, actor,
             reason, source, digest) = row  # fmt: skip
            chain = chains.get(ref)
            if chain is None or version != chain.seen_version + 1 or occurred < chain.seen_time:
                self.entry(*row)
                continue
            if version == 1:
                good = (
                    trigger == "create"
                    and from_state is None
                    and (chain.initial is None or to_state == chain.initial)
                )
            elif from_state != chain.seen_state:
                good = False
            elif trigger in non_state:
                good = to_state == from_state
            else:
                leads_to = chain.leads_to
                good = leads_to is None or leads_to(from_state, trigger) == to_state
            if not good or type(version) is not int:
                self.entry(*row)
                continue
            # db.chain.canonical, written out here for speed, with each string put in quotes as
            # it is, unescaped. That is the canonical form for every value free of `"`, `\` and
            # control characters (all the tracker's own values, most free text); for any other
            # the text differs from the canonical form, so the hash cannot match and `entry`
            # checks the row instead: a shortcut here can only send a row the slow way, never
            # pass a wrong one.
            text = (
                f'["{chain.seen_hash}","{chain.key}",{version},"{trigger}",'
                f"{'null' if from_state is None else f'{Q}{from_state}{Q}'},"
                f'"{to_state}","{occurred}","{recorded}","{actor}",'
                f"{'null' if reason is None else f'{Q}{reason}{Q}'},"
                f"{'null' if source is None else f'{Q}{source}{Q}'}]"
            )
            if sha256(text.encode("utf-8")).hexdigest() != digest:
                self.entry(*row)
                continue
            chain.seen_version, chain.seen_state, chain.seen_time = version, to_state, occurred
            chain.seen_hash = digest
            taken += 1
        self.entries += taken

    def problem(self, chain: _Chain, entry_id: int | None, message: str) -> None:
        chain.broken = True
        self.problems.append(Problem(chain.key, entry_id, message))

    def entry(
        self,
        entry_id: int,
        ref: Any,
        version: int,
        trigger: str,
        from_state: str | None,
        to_state: str,
        occurred: str,
        recorded: str,
        actor: str,
        reason: str | None,
        source: str | None,
        digest: str,
    ) -> None:
        """Check one entry: order, states, workflow, hash."""
        self.entries += 1
        chain = self.chains.get(ref)
        if chain is None:
            self.problems.append(Problem(str(ref), entry_id, "entry of an unknown item"))
            return
        if version != chain.seen_version + 1:
            self.problem(chain, entry_id, f"version {version} follows {chain.seen_version}")
        if chain.seen_version == 0:
            self.check_create(chain, entry_id, trigger, from_state, to_state)
        else:
            self.check_step(chain, entry_id, trigger, from_state, to_state)
        if occurred < chain.seen_time:
            self.problem(chain, entry_id, f"effective date {occurred} is before the previous one")
        expected = entry_hash(
            chain.seen_hash,
            chain.key,
            version,
            trigger,
            from_state,
            to_state,
            occurred,
            recorded,
            actor,
            reason,
            source,
        )
        if expected != digest:
            self.problem(chain, entry_id, "hash does not match the entry and the one before it")
        chain.seen_version, chain.seen_state, chain.seen_time = version, to_state, occurred
        chain.seen_hash = digest

    def check_create(
        self, chain: _Chain, entry_id: int, trigger: str, from_state: str | None, to_state: str
    ) -> None:
        workflow = self.workflows.by_name.get(chain.workflow)
        if trigger != "create" or from_state is not None:
            self.problem(chain, entry_id, f"first entry is {trigger!r}, not a create")
        elif workflow and to_state != workflow.initial:
            self.problem(chain, entry_id, f"created in {to_state}, not {workflow.initial}")

    def check_step(
        self, chain: _Chain, entry_id: int, trigger: str, from_state: str | None, to_state: str
    ) -> None:
        if from_state != chain.seen_state:
            self.problem(
                chain,
                entry_id,
                f"from_state {from_state} differs from the previous to_state {chain.seen_state}",
            )
            return
        if trigger in NON_STATE_TRIGGERS:
            if to_state != from_state:
                self.problem(chain, entry_id, f"a {trigger} changed the state to {to_state}")
            return
        workflow = self.workflows.by_name.get(chain.workflow)
        if workflow is None:
            return
        target = workflow.leads_to(from_state, trigger)
        if target != to_state:
            self.problem(
                chain, entry_id, f"{trigger} from {from_state} leads to {target}, not {to_state}"
            )

    def report(self) -> VerifyReport:
        """Compare each item's row with where its history leads; the problems found."""
        for chain in self.chains.values():
            if chain.seen_version == 0:
                self.problem(chain, None, "item has no history")
                continue
            if chain.state != chain.seen_state:
                self.problem(
                    chain,
                    None,
                    f"item is {chain.state} but its history leads to {chain.seen_state}",
                )
            if chain.version != chain.seen_version:
                self.problem(
                    chain, None, f"item version {chain.version} but {chain.seen_version} entries"
                )
            if chain.head != chain.seen_hash:
                self.problem(chain, None, "item's head hash is not its last entry's hash")
        return VerifyReport(len(self.chains), self.entries, tuple(self.problems))


@dataclass
class Dump:
    """An export read into memory and checked, ready to write."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        return len(self.entries)

    def write(
        self, session: Session, *, keep_ids: bool, sqlite: bool, progress: Callable[[int], None]
    ) -> None:
        """Insert the items, then the entries (ids kept when the database was empty)."""

        def when(value: str) -> Any:
            return value if sqlite else dates.parse_when(value)

        if not self.items:
            return
        item_rows = []
        for index, item in enumerate(self.items.values(), start=1):
            row = {
                "key": item["key"],
                "key_lower": item["key"].lower(),
                "title": item["title"],
                "kind": item["kind"],
                "workflow": item["workflow"],
                "parties": " ".join(item["parties"]),
                "description": item["description"],
                "state": item["state"],
                "version": item["version"],
                "last_hash": item["_head"],
                "created_at": when(item["created_at"]),
                "updated_at": when(item["updated_at"]),
                "changed_at": when(item["_changed"]),
            }
            if keep_ids:
                row["id"] = index
            item_rows.append(row)
        returned = (
            session.execute(
                insert(items).returning(items.c.id, sort_by_parameter_order=True), item_rows
            )
            .scalars()
            .all()
        )
        ids = dict(zip(self.items, returned, strict=True))
        for start in range(0, len(self.entries), 10000):
            rows = []
            for entry in self.entries[start : start + 10000]:
                row = {
                    "item_id": ids[entry["item"].lower()],
                    "version": entry["_version"],
                    "trigger": entry["trigger"],
                    "from_state": entry["from_state"],
                    "to_state": entry["to_state"],
                    "occurred_at": when(entry["occurred_at"]),
                    "recorded_at": when(entry["recorded_at"]),
                    "actor": entry["actor"],
                    "reason": entry["reason"],
                    "source": entry["source"],
                    "hash": entry["hash"],
                }
                if keep_ids:
                    row["id"] = entry["id"]
                rows.append(row)
            session.execute(insert(history), rows)
            progress(start + len(rows))
        if keep_ids and not sqlite:
            for table in ("items", "history"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )


def read_export(lines: Iterable[str], workflows: Workflows) -> Dump:
    """Parse and check an export: its shape (UsageError, exit 2) and every chain
    (VerificationFailed, exit 7). Nothing is written here."""
    dump = Dump()
    replay = Replay(workflows)
    header_seen = False
    header: dict[str, Any] = {}
    versions: dict[str, int] = {}
    last_id = 0
    for number, obj in ndjson(lines):
        if not isinstance(obj, dict):
            raise UsageError(f"line {number}: expected an object")
        if not header_seen:
            if obj.get("format") != "tracker-export" or obj.get("version") != 1:
                raise UsageError(f"line {number}: not a tracker export (no header line)")
            header = obj
            header_seen = True
            continue
        kind = obj.get("type")
        if kind == "item":
            _check_item(obj, number, dump, workflows)
            replay.expect(
                obj["key"].lower(), obj["key"], obj["workflow"], obj["state"], obj["version"], ""
            )
            dump.items[obj["key"].lower()] = obj
        elif kind == "entry":
            _check_entry(obj, number, dump, last_id)
            last_id = obj["id"]
            ref = obj["item"].lower()
            versions[ref] = versions.get(ref, 0) + 1
            obj["_version"] = versions[ref]
            replay.entry(
                obj["id"],
                ref,
                obj["_version"],
                obj["trigger"],
                obj["from_state"],
                obj["to_state"],
                obj["occurred_at"],
                obj["recorded_at"],
                obj["actor"],
                obj["reason"],
                obj["source"],
                obj["hash"],
            )
            item = dump.items[ref]
            item["_head"], item["_changed"] = obj["hash"], obj["occurred_at"]
            dump.entries.append(obj)
        else:
            raise UsageError(f"line {number}: unknown line type {kind!r} (item, entry)")
    if not header_seen:
        raise UsageError("empty file: not a tracker export")
    # The header's counts catch a file cut short (an export or a copy that did not finish).
    if header.get("items") != len(dump.items) or header.get("entries") != len(dump.entries):
        raise UsageError(
            f"the header promises {header.get('items')!r} items and {header.get('entries')!r} "
            f"entries, the file has {len(dump.items)} and {len(dump.entries)}: "
            "truncated or edited"
        )
    for ref, chain in replay.chains.items():
        chain.head = dump.items[ref].get("_head", "")
    report = replay.report()
    if not report.ok:
        first = report.problems[0]
        where = f" entry {first.entry_id}" if first.entry_id is not None else ""
        raise VerificationFailed(
            f"import refused: {first.item}{where}: {first.message}"
            + (
                f" (and {plural(len(report.problems) - 1, 'more problem', 'more problems')})"
                if len(report.problems) > 1
                else ""
            )
        )
    return dump


def _check_item(obj: dict[str, Any], number: int, dump: Dump, workflows: Workflows) -> None:
    """Every field of an item line, by the rules `add` applies (a title read from an export
    is as untrusted as one typed in)."""
    _check_fields(obj, ITEM_LINE_FIELDS, number)
    try:
        for name in ("key", "title", "kind", "state", "workflow", "description"):
            _expect(obj[name], str, name)
        fields.key(obj["key"])
        fields.text("title", obj["title"], required=True)
        if fields.kind(obj["kind"]) != obj["kind"]:
            raise UsageError(f"kind {obj['kind']!r} is not lower-case")
        fields.text("description", obj["description"], multiline=True)
        parties = obj["parties"]
        if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
            raise UsageError("parties must be a list of strings")
        if list(fields.parties(parties)) != parties:
            raise UsageError(f"parties {parties!r} are not upper-case codes given once")
        _expect(obj["version"], int, "version")
    except UsageError as exc:
        raise UsageError(f"line {number}: {exc}") from None
    if obj["key"].lower() in dump.items:
        raise UsageError(f"line {number}: item {obj['key']!r} appears twice")
    workflow = workflows.by_name.get(obj["workflow"])
    if workflow is None:
        raise UsageError(f"line {number}: workflow {obj['workflow']!r} is not loaded")
    if obj["state"] not in workflow.states:
        raise UsageError(f"line {number}: {obj['state']!r} is not a state of {workflow.name}")
    for name in ("created_at", "updated_at"):
        _check_time(obj[name], number)


def _check_entry(obj: dict[str, Any], number: int, dump: Dump, last_id: int) -> None:
    """Every field of an entry line: types, text rules, times (the chain is checked by replay)."""
    _check_fields(obj, ENTRY_LINE_FIELDS, number)
    if not _is(obj["id"], int) or obj["id"] <= last_id:
        raise UsageError(f"line {number}: entry ids must be whole numbers in increasing order")
    if not isinstance(obj["item"], str) or obj["item"].lower() not in dump.items:
        raise UsageError(f"line {number}: entry of an item not listed before it")
    try:
        for name in ("trigger", "to_state", "actor", "hash"):
            _expect(obj[name], str, name)
        for name in ("from_state", "reason", "source"):
            if obj[name] is not None:
                _expect(obj[name], str, name)
        fields.text("actor", obj["actor"], required=True)
        fields.text("reason", obj["reason"], multiline=True)
        fields.text("source", obj["source"])
        if not HASH.match(obj["hash"]):
            raise UsageError("hash is not 64 lower-case hex digits")
    except UsageError as exc:
        raise UsageError(f"line {number}: {exc}") from None
    for name in ("occurred_at", "recorded_at"):
        _check_time(obj[name], number)


def _is(value: Any, kind: type) -> bool:
    # bool is an int to isinstance; a `true` version or id is still not a number.
    return isinstance(value, kind) and not isinstance(value, bool)


def _expect(value: Any, kind: type, name: str) -> None:
    if not _is(value, kind):
        raise UsageError(f"{name} must be a {'string' if kind is str else 'whole number'}")


def _check_fields(obj: dict[str, Any], expected: frozenset[str], number: int) -> None:
    if set(obj) != expected:
        odd = sorted(set(obj) ^ expected)
        raise UsageError(f"line {number}: missing or unknown field {odd[0]!r}")


def _check_time(value: Any, number: int) -> None:
    if not isinstance(value, str) or dates.iso(dates.parse_when(value)) != value:
        raise UsageError(
            f"line {number}: time {value!r} is not in canonical form (YYYY-MM-DDTHH:MM:SS.ffffffZ)"
        )
