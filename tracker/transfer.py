"""Replaying history (for verify and import) and reading an export back in."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from . import dates, fields
from .chain import (
    EDITABLE,
    GENESIS,
    ITEM_FIELD_NAMES,
    canonical,
    entry_hash,
    fields_text,
    item_fields_text,
)
from .consents import (
    APPROVE,
    CONSENT_TRIGGERS,
    Given,
    InEffect,
    parse_consent,
    settled,
)
from .errors import NotAllowed, UsageError, VerificationFailed
from .formats.ndjson import read as ndjson
from .records import ENTRY_FIELDS, ITEM_FIELDS, Problem, VerifyReport
from .store.models import history, item_parties, items
from .wording import plural
from .workflow import (
    COMMENT_REQUIRES,
    STATE_KEEPING_TRIGGERS,
    Workflow,
    Workflows,
    keeps_state,
    missing,
)

HASH = re.compile(r"^[0-9a-f]{64}$")
# Triggers that leave the state as it is: a note, a change of fields, a record of the fields.
# Triggers whose entry records item fields (chain.py): every field, or {field: [old, new]}.
SNAPSHOT_TRIGGERS = frozenset({"create", "seal"})
FIELD_TRIGGERS = frozenset({"create", "edit", "seal"})
# Entries whose fields a replay follows even when they record none.
FOLLOWED_TRIGGERS = FIELD_TRIGGERS | CONSENT_TRIGGERS
# An export line: the SPEC's shape plus its type (and an item's workflow; no allowed triggers);
# entries of export format 2 also carry their `fields`.
ITEM_LINE_FIELDS = frozenset({"type", "workflow", *ITEM_FIELDS}) - {"allowed_triggers"}
ENTRY_LINE_FIELDS = frozenset({"type", *ENTRY_FIELDS, "fields"})
ENTRY_LINE_FIELDS_V1 = frozenset({"type", *ENTRY_FIELDS})
EXPORT_VERSIONS = (1, 2)
# An entry a child of a split verify leaves to its parent, one that records fields or that
# settles consents: (id, ref, trigger, fields, from_state, hash).
Deferred = tuple[int, Any, str, "str | None", "str | None", str]


@dataclass(slots=True)
class _Chain:
    key: str
    workflow: str
    state: str
    version: int
    head: str
    # The item row's fields (chain.item_fields_text) to compare with where history leads; None when
    # this replay does not compare them (the child of a split verify).
    row: str | None = None
    seen_version: int = 0
    seen_state: str | None = None
    seen_hash: str = GENESIS
    seen_time: str = ""
    broken: bool = False
    # Entries of the item checked by the other process of a split verify.
    elsewhere: bool = False
    # The item fields as history has them so far: the canonical text a create or seal recorded
    # (`fields_text`, parsed only when needed) or, after an edit, the fields (`fields`).
    # Both None: no entry has recorded them (history from before migration 0005).
    fields_text: str | None = None
    fields: dict[str, Any] | None = None
    fields_entry: int | None = None
    # The workflow's initial state and its `leads_to`; None when it is not loaded.
    initial: str | None = None
    leads_to: Callable[[str | None, str], str | None] | None = None
    # Whether the workflow gates a trigger: then every state change settles consents.
    gated: bool = False
    # The consents in effect (tracker.consents), made on first need.
    consents: InEffect | None = None


class Replay:
    """Walks history entries in id order and checks each against its item's chain so far:
    order, states, workflow, hash, and the item fields entries record; then compares each item
    row, every field, with where its history leads (`report`)."""

    def __init__(self, workflows: Workflows, *, defer_fields: bool = False) -> None:
        self.workflows = workflows
        self.chains: dict[Any, _Chain] = {}
        self.problems: list[Problem] = []
        self.entries = 0
        # The child of a split verify hands field-bearing entries to its parent, which knows
        # each item's fields up to the split (`take_fields`).
        self.deferred: list[Deferred] | None = [] if defer_fields else None

    def expect(
        self,
        ref: Any,
        key: str,
        workflow: str,
        state: str,
        version: int,
        head: str,
        row: str | None = None,
    ) -> None:
        """Register an item as its row says it stands now (`row`: the canonical text of its
        fields, chain.item_fields_text)."""
        chain = _Chain(key, workflow, state, version, head, row)
        found = self.workflows.by_name.get(workflow)
        if found is not None:
            chain.initial, chain.leads_to = found.initial, found.leads_to
            chain.gated = found.gated
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
                chain.elsewhere = True

    def only_here(self) -> list[Any]:
        """The items whose every entry this replay checked (none came from `resume`)."""
        return [ref for ref, c in self.chains.items() if c.seen_version and not c.elsewhere]

    def check_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Check many entries (each the arguments of `entry`), fast: an entry that passes every
        check is taken here in one step; any other goes through `entry`, which names what is
        wrong. Nothing is changed before that decision, so the outcome is `entry`'s exactly.
        The hash is computed by chain.canonical, the one function, as everywhere."""
        chains = self.chains
        sha256 = hashlib.sha256
        text_of = canonical
        non_state = STATE_KEEPING_TRIGGERS
        followed = FOLLOWED_TRIGGERS
        snapshot_triggers = SNAPSHOT_TRIGGERS
        deferred = self.deferred
        taken = 0
        for row in rows:
            (entry_id, ref, version, trigger, from_state, to_state, occurred, recorded, actor,
             reason, source, digest, fields) = row  # fmt: skip
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
            text = text_of(
                chain.seen_hash, chain.key, version, trigger, from_state, to_state, occurred,
                recorded, actor, reason, source, fields,
            )  # fmt: skip
            if sha256(text.encode("utf-8")).hexdigest() != digest:
                self.entry(*row)
                continue
            chain.seen_version, chain.seen_state, chain.seen_time = version, to_state, occurred
            chain.seen_hash = digest
            taken += 1
            if fields is not None or trigger in followed or chain.gated:
                if (
                    fields is not None
                    and deferred is None
                    and chain.fields_text is None
                    and chain.fields is None
                    and trigger in snapshot_triggers
                ):
                    # The common case, as take_fields has it: the first fields an item records.
                    chain.fields_text, chain.fields_entry = fields, entry_id
                else:
                    self.fields_of(chain, entry_id, ref, trigger, fields, from_state, digest)
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
        fields: str | None = None,
    ) -> None:
        """Check one entry: order, states, workflow, hash, the fields it records."""
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
            fields,
        )
        if expected != digest:
            self.problem(chain, entry_id, "hash does not match the entry and the one before it")
        chain.seen_version, chain.seen_state, chain.seen_time = version, to_state, occurred
        chain.seen_hash = digest
        self.fields_of(chain, entry_id, ref, trigger, fields, from_state, digest)

    def fields_of(
        self,
        chain: _Chain,
        entry_id: int,
        ref: Any,
        trigger: str,
        fields: str | None,
        from_state: str | None,
        digest: str,
    ) -> None:
        """Follow what an entry records: item fields, or consents given, taken back, rested on
        or voided (a state change of a gated workflow's item records them or nothing)."""
        if (
            fields is None
            and trigger not in FOLLOWED_TRIGGERS
            and not (chain.gated and trigger not in STATE_KEEPING_TRIGGERS)
        ):
            return
        if self.deferred is not None:
            self.deferred.append((entry_id, ref, trigger, fields, from_state, digest))
            return
        self.take_fields(chain, entry_id, trigger, fields, from_state, digest)

    def take(self, deferred: Iterable[Deferred], only_there: Iterable[Any]) -> None:
        """Apply field-bearing entries a split verify's child deferred (in id order); the
        child checked every entry of the items `only_there`."""
        for ref in only_there:
            chain = self.chains.get(ref)
            if chain is not None:
                chain.elsewhere = True
        for entry_id, ref, trigger, recorded, from_state, digest in deferred:
            chain = self.chains.get(ref)
            if chain is not None:
                self.take_fields(chain, entry_id, trigger, recorded, from_state, digest)

    def take_fields(
        self,
        chain: _Chain,
        entry_id: int,
        trigger: str,
        fields: str | None,
        from_state: str | None = None,
        digest: str = "",
    ) -> None:
        """Follow the item fields an entry records (chain.py): a create or seal sets them all
        (a seal must agree with what history already has), an edit changes some from the
        values they had. A consent's entry records the consent; a state change the consents
        it rests on and voids (`consent_entry`, `settle_entry`)."""
        if trigger in CONSENT_TRIGGERS:
            self.consent_entry(chain, entry_id, trigger, fields, from_state, digest)
            return
        if trigger not in STATE_KEEPING_TRIGGERS and trigger != "create":
            self.settle_entry(chain, entry_id, trigger, fields, from_state)
            return
        known = chain.fields_text is not None or chain.fields is not None
        if trigger in SNAPSHOT_TRIGGERS:
            if fields is None:
                if trigger == "seal":
                    self.problem(chain, entry_id, "a seal entry that records no fields")
                return  # a create written before fields were chained
            if trigger == "seal" and known:
                current = self.current_fields(chain)
                recorded = _snapshot(fields)
                if current is not None and recorded is not None and current != recorded:
                    names = [n for n in ITEM_FIELD_NAMES if current.get(n) != recorded.get(n)]
                    self.problem(
                        chain, entry_id, f"the seal records other {', '.join(names)} than history"
                    )
            chain.fields_text, chain.fields, chain.fields_entry = fields, None, entry_id
            return
        if trigger != "edit":
            if fields is not None:
                self.problem(chain, entry_id, f"a {trigger} entry records item fields")
            return
        if fields is None:
            if known:
                self.problem(chain, entry_id, "an edit that records no fields")
            return  # an edit written before fields were chained
        changes = _changes(fields)
        if changes is None:
            self.problem(
                chain, entry_id, "an edit's fields are not {field: [old, new]} in canonical form"
            )
            return
        current = self.current_fields(chain) if known else None
        if current is None:
            self.problem(chain, entry_id, "an edit of item fields that history never recorded")
            return
        for name, (old, new) in changes.items():
            if current.get(name) != old:
                self.problem(
                    chain,
                    entry_id,
                    f"{name}: the edit changes it from {_shown(old)}, history has "
                    f"{_shown(current.get(name))}",
                )
            current[name] = new
        chain.fields, chain.fields_text, chain.fields_entry = current, None, entry_id

    def required(
        self, chain: _Chain, entry_id: int, trigger: str, state: str | None
    ) -> tuple[str, ...] | None:
        """The parties whose consent `trigger` needs from `state`, by the item's parties as
        history has them there; None when that cannot be known (workflow not loaded, or
        fields never recorded: history from before migration 0005)."""
        workflow = self.workflows.by_name.get(chain.workflow)
        if workflow is None or state is None:
            return None
        if not workflow.needs_consent(trigger, state):
            return ()
        current = self.current_fields(chain)
        if current is None or not isinstance(current.get("parties"), list):
            return None
        return workflow.approvers(trigger, state, current["parties"])

    def consent_entry(
        self,
        chain: _Chain,
        entry_id: int,
        trigger: str,
        fields: str | None,
        from_state: str | None,
        digest: str,
    ) -> None:
        """An approve or withdraw: it names a gated trigger and a party whose consent that
        trigger needs from the state; an approve is new, a withdraw takes back one in effect."""
        named = parse_consent(fields)
        if named is None:
            self.problem(
                chain,
                entry_id,
                f"a {trigger} entry's fields are not {{party, trigger}} in canonical form",
            )
            return
        gated, party = named
        consents = chain.consents = chain.consents or InEffect()
        try:
            if trigger != APPROVE:
                consents.withdraw(gated, party)
                return
            required = self.required(chain, entry_id, gated, from_state)
            if required == ():
                self.problem(
                    chain, entry_id, f"a consent to {gated}, which needs none from {from_state}"
                )
            elif required is not None and party not in required:
                self.problem(
                    chain,
                    entry_id,
                    f"a consent of {party} to {gated}, which needs {', '.join(required)}",
                )
            consents.approve(Given(gated, party, digest))
        except NotAllowed as exc:
            self.problem(chain, entry_id, str(exc))

    def settle_entry(
        self,
        chain: _Chain,
        entry_id: int,
        trigger: str,
        fields: str | None,
        from_state: str | None,
    ) -> None:
        """A state change: it must rest on the consents in effect of every party its trigger
        needs, name them, and void every other consent in effect (tracker.consents)."""
        consents, chain.consents = chain.consents or InEffect(), None
        required = self.required(chain, entry_id, trigger, from_state)
        if required is None:  # who was needed cannot be known: rest on what was given
            required = consents.parties(trigger)
        try:
            expected = consents.settle(trigger, required)
        except NotAllowed as exc:
            self.problem(chain, entry_id, f"{exc}: fired without it")
            return
        if fields == expected:
            return
        found = settled(fields)
        if found is None:
            self.problem(
                chain,
                entry_id,
                f"a {trigger} entry records fields other than the consents it rests on and voids",
            )
            return
        wanted = settled(expected)
        assert wanted is not None
        for name, has, should in (
            ("rests on", found[0], wanted[0]),
            ("voids", found[1], wanted[1]),
        ):
            if has != should:
                self.problem(
                    chain,
                    entry_id,
                    f"{trigger} {name} {_hashes(has)}, but the consents in effect say "
                    f"{_hashes(should)}",
                )

    def current_fields(self, chain: _Chain) -> dict[str, Any] | None:
        """The fields history has for the item so far (parsing a create's or seal's text on
        first need); None, with a problem reported, when that text is not valid."""
        if chain.fields is not None:
            return chain.fields
        if chain.fields_text is None:
            return None
        parsed = _snapshot(chain.fields_text)
        if parsed is None:
            self.problem(
                chain,
                chain.fields_entry,
                "the entry's fields are not every item field in canonical form",
            )
            chain.fields_text = None
            return None
        chain.fields, chain.fields_text = parsed, None
        return parsed

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
        if keeps_state(trigger):
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

    def report(self, *, states: bool = True, fields: bool = True) -> VerifyReport:
        """Compare each item's row with where its history leads: state, version and head
        (`states`), then every field (`fields`); the problems found, those of entries first
        in entry order, then those of items."""
        if states:
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
                        chain,
                        None,
                        f"item version {chain.version} but {chain.seen_version} entries",
                    )
                if chain.head != chain.seen_hash:
                    self.problem(chain, None, "item's head hash is not its last entry's hash")
        if fields:
            for chain in self.chains.values():
                self.compare_fields(chain)
        return VerifyReport(len(self.chains), self.entries, ordered(self.problems))

    def compare_fields(self, chain: _Chain) -> None:
        """The item row, field by field, against the fields its history records."""
        row = chain.row
        if row is None or not (chain.seen_version or chain.elsewhere):
            return
        if chain.fields_text is not None and chain.fields_text == row:
            return  # the common case: fields as created (or sealed), in canonical form
        if chain.fields_text is None and chain.fields is None:
            self.problem(
                chain, None, "no entry records the item's fields (history from before 0005)"
            )
            return
        text = chain.fields_text
        current = self.current_fields(chain)
        if current is None:
            return
        values = json.loads(row)
        differ = False
        for name in ITEM_FIELD_NAMES:
            if current.get(name) != values[name]:
                differ = True
                self.problem(
                    chain,
                    None,
                    f"{name}: the item has {_shown(values[name])}, its history "
                    f"{_shown(current.get(name))}",
                )
        if not differ and text is not None:
            self.problem(chain, chain.fields_entry, "the entry's fields are not in canonical form")


def ordered(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Problems of entries in entry order, then those of items (as found): one order whatever
    the order of checking (a single pass, or a split verify)."""
    return tuple(sorted(problems, key=lambda p: (p.entry_id is None, p.entry_id or 0)))


def _hashes(found: list[str]) -> str:
    """Entry hashes, short, for a message."""
    return "[" + ", ".join(f"{h[:12]}…" for h in found) + "]" if found else "none"


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return fields.printable(" ".join(str(v) for v in value))
    return fields.printable(str(value)) if value is not None else "nothing"


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _snapshot(text: str) -> dict[str, Any] | None:
    """Every item field from a create's or seal's fields text; None unless it is exactly that,
    in canonical form."""
    parsed = _parse(text)
    if (
        not isinstance(parsed, dict)
        or set(parsed) != set(ITEM_FIELD_NAMES)
        or fields_text(parsed) != text
    ):
        return None
    return parsed


def _changes(text: str) -> dict[str, tuple[Any, Any]] | None:
    """An edit's {field: [old, new]}; None unless it is exactly that, in canonical form."""
    parsed = _parse(text)
    if (
        not isinstance(parsed, dict)
        or not parsed
        or not set(parsed) <= EDITABLE
        or fields_text(parsed) != text
        or not all(isinstance(v, list) and len(v) == 2 for v in parsed.values())
    ):
        return None
    return {name: (pair[0], pair[1]) for name, pair in parsed.items()}


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
        party_rows = [
            {"item_id": ids[lowered], "position": n, "party": party}
            for lowered, item in self.items.items()
            for n, party in enumerate(item["parties"])
        ]
        if party_rows:
            session.execute(insert(item_parties), party_rows)
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
                    "fields": entry["_fields"],
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


def read_export(
    lines: Iterable[str], workflows: Workflows, *, actor: Callable[[], str] = lambda: "unknown"
) -> Dump:
    """Parse and check an export: its shape and every rule a fire applies (UsageError, exit 2),
    every chain and every item field against its history (VerificationFailed, exit 7).
    Nothing is written here. An export of format 1 (before item fields were chained) gets a
    `seal` entry per item, by `actor()` (asked only then), recording its fields, as migration
    0005 does."""
    dump = Dump()
    replay = Replay(workflows)
    header_seen = False
    header: dict[str, Any] = {}
    versions: dict[str, int] = {}
    last_id = 0
    now = dates.iso(dates.now())
    entry_fields = ENTRY_LINE_FIELDS
    for number, obj in ndjson(lines):
        if not isinstance(obj, dict):
            raise UsageError(f"line {number}: expected an object")
        if not header_seen:
            if obj.get("format") != "tracker-export" or obj.get("version") not in EXPORT_VERSIONS:
                raise UsageError(f"line {number}: not a tracker export (no header line)")
            header = obj
            header_seen = True
            if obj["version"] == 1:
                entry_fields = ENTRY_LINE_FIELDS_V1
            continue
        kind = obj.get("type")
        if kind == "item":
            _check_item(obj, number, dump, workflows)
            row = item_fields_text(
                obj["key"],
                obj["title"],
                obj["kind"],
                obj["workflow"],
                obj["parties"],
                obj["description"],
                obj["created_at"],
            )
            replay.expect(
                obj["key"].lower(),
                obj["key"],
                obj["workflow"],
                obj["state"],
                obj["version"],
                "",
                row,
            )
            dump.items[obj["key"].lower()] = obj
        elif kind == "entry":
            _check_entry(obj, number, dump, last_id, entry_fields)
            ref = obj["item"].lower()
            _check_rules(obj, number, workflows.by_name[dump.items[ref]["workflow"]], now)
            last_id = obj["id"]
            versions[ref] = versions.get(ref, 0) + 1
            obj["_version"] = versions[ref]
            recorded = obj.get("fields")
            obj["_fields"] = None if recorded is None else fields_text(recorded)
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
                obj["_fields"],
            )
            item = dump.items[ref]
            item["_head"], item["_changed"] = obj["hash"], obj["occurred_at"]
            item["_recorded"] = obj["recorded_at"]
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
        item = dump.items[ref]
        chain.head = item.get("_head", "")
        # Not chained, but the last entry's recorded_at (as verify holds it): never written
        # otherwise. A seal made below takes its own time.
        if "_recorded" in item and item["updated_at"] != item["_recorded"]:
            replay.problem(
                chain,
                None,
                f"updated_at: the item has {_shown(item['updated_at'])}, its history "
                f"{_shown(item['_recorded'])}",
            )
    unsealed = set()
    if header["version"] == 1:
        # Nothing records these items' fields: seal them (below) instead of refusing.
        for ref, chain in replay.chains.items():
            if chain.seen_version and chain.fields_text is None and chain.fields is None:
                chain.row = None
                unsealed.add(ref)
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
    sealer = actor() if unsealed else ""
    for ref, item in dump.items.items():
        if ref in unsealed:
            last_id += 1
            dump.entries.append(_seal(item, last_id, now, sealer))
    return dump


IMPORT_SEAL_REASON = (
    "item fields recorded at import: the export (format 1) was made before they were chained"
)


def _seal(item: dict[str, Any], entry_id: int, recorded: str, actor: str) -> dict[str, Any]:
    """A `seal` entry recording every field of an imported item (chain.py), chained to its
    last entry and dated at it; the item takes it as its head."""
    text = item_fields_text(
        item["key"],
        item["title"],
        item["kind"],
        item["workflow"],
        item["parties"],
        item["description"],
        item["created_at"],
    )
    version = item["version"] + 1
    digest = entry_hash(
        item["_head"], item["key"], version, "seal", item["state"], item["state"],
        item["_changed"], recorded, actor, IMPORT_SEAL_REASON, None, text,
    )  # fmt: skip
    item["version"], item["_head"], item["updated_at"] = version, digest, recorded
    return {
        "id": entry_id,
        "item": item["key"],
        "_version": version,
        "trigger": "seal",
        "from_state": item["state"],
        "to_state": item["state"],
        "occurred_at": item["_changed"],
        "recorded_at": recorded,
        "actor": actor,
        "reason": IMPORT_SEAL_REASON,
        "source": None,
        "hash": digest,
        "_fields": text,
    }


def _check_rules(obj: dict[str, Any], number: int, workflow: Workflow, now: str) -> None:
    """The rules a fire, comment or edit applies, for an entry read from an export (exit 2):
    no effective date in the future or after the entry was recorded, the fields its trigger
    requires, a comment's text, an edit's new values by the rules of `edit`."""
    occurred, trigger = obj["occurred_at"], obj["trigger"]
    try:
        if occurred > now or occurred > obj["recorded_at"]:
            raise UsageError(f"effective date {occurred} is in the future")
        recorded = obj["fields"]
        # A consent carries the fields its trigger requires (the trigger it names).
        named = (
            recorded.get("trigger")
            if trigger == APPROVE and isinstance(recorded, dict)
            else trigger
        )
        needs = COMMENT_REQUIRES if trigger == "comment" else workflow.requires(str(named))
        left_out = missing(needs, obj)
        if left_out:
            raise UsageError(f"{trigger} requires {' and '.join(left_out)}")
        if recorded is not None and not isinstance(recorded, dict):
            raise UsageError("fields must be an object or null")
        if trigger == "edit" and recorded:
            _check_edit(recorded)
    except UsageError as exc:
        raise UsageError(f"line {number}: {exc}") from None


def _check_edit(changes: dict[str, Any]) -> None:
    """An edit's new values, by the rules `edit` applies (the old ones are checked by replay)."""
    for name, pair in changes.items():
        if name not in EDITABLE or not isinstance(pair, list) or len(pair) != 2:
            raise UsageError(
                f"an edit's fields must be {{field: [old, new]}} of {sorted(EDITABLE)}"
            )
        new = pair[1]
        if name == "parties":
            if not isinstance(new, list) or not all(isinstance(p, str) for p in new):
                raise UsageError("parties must be a list of strings")
            if list(fields.parties(new)) != new:
                raise UsageError(f"parties {new!r} are not upper-case codes given once")
            continue
        _expect(new, str, name)
        checked = fields.text(name, new, required=name == "title", multiline=name != "title")
        if (checked or "") != new:
            raise UsageError(f"{name} {fields.printable(new)} is not as `edit` stores it")


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


def _check_entry(
    obj: dict[str, Any], number: int, dump: Dump, last_id: int, expected: frozenset[str]
) -> None:
    """Every field of an entry line: types, text rules, times (the chain is checked by replay)."""
    _check_fields(obj, expected, number)
    obj.setdefault("fields", None)
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
