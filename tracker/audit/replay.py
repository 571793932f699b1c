"""Replaying history: each entry checked against its item's chain so far (order, states,
workflow, hash, the fields and consents entries record), then every item row against where its
history leads. Pure: it is fed rows (audit/chains.py reads them from the database,
formats/export.py from an export file) and knows nothing of storage."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import fields
from ..chain import (
    EDITABLE,
    GENESIS,
    ITEM_FIELD_NAMES,
    canonical,
    entry_hash,
    fields_text,
)
from ..consents import (
    APPROVE,
    CONSENT_TRIGGERS,
    Given,
    InEffect,
    parse_consent,
    settled,
)
from ..errors import NotAllowed
from ..records import Problem, VerifyReport
from ..workflow import STATE_KEEPING_TRIGGERS, Workflows, keeps_state

HASH = re.compile(r"^[0-9a-f]{64}$")
# Triggers that leave the state as it is: a note, a change of fields, a record of the fields.
# Triggers whose entry records item fields (chain.py): every field, or {field: [old, new]}.
SNAPSHOT_TRIGGERS = frozenset({"create", "seal"})
FIELD_TRIGGERS = frozenset({"create", "edit", "seal"})
# Entries whose fields a replay follows even when they record none.
FOLLOWED_TRIGGERS = FIELD_TRIGGERS | CONSENT_TRIGGERS
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
                    f"{name}: the edit changes it from {shown(old)}, history has "
                    f"{shown(current.get(name))}",
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
                    f"{name}: the item has {shown(values[name])}, its history "
                    f"{shown(current.get(name))}",
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


def shown(value: Any) -> str:
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
