"""Replaying history: each entry checked against its item's chain so far (order, states,
workflow, hash, the fields and consents entries record), then every item row against where its
history leads. Pure: it is fed rows (audit/chains.py reads them from the database,
formats/export.py from an export file) and knows nothing of storage."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..chain import canonical, entry_hash
from ..consents import CONSENT_TRIGGERS
from ..records import Problem, VerifyReport
from ..workflow import STATE_KEEPING_TRIGGERS, Workflows, keeps_state
from .chain_state import ChainState
from .consent_checks import Consents
from .item_fields import SNAPSHOT_TRIGGERS, Fields
from .item_fields import shown as shown

HASH = re.compile(r"^[0-9a-f]{64}$")
# Triggers whose entry records item fields (chain.py): every field, or {field: [old, new]}.
FIELD_TRIGGERS = frozenset({"create", "edit", "seal"})
# Entries whose fields a replay follows even when they record none.
FOLLOWED_TRIGGERS = FIELD_TRIGGERS | CONSENT_TRIGGERS
# An entry a child of a split verify leaves to its parent, one that records fields or that
# settles consents: (id, ref, trigger, fields, from_state, hash).
Deferred = tuple[int, Any, str, "str | None", "str | None", str]
# The text columns of an entry (`Replay.entry`'s arguments from `trigger` on) and of an item
# row (chains.heads: id, key, workflow, state, version, last_hash, then its fields).
ENTRY_TEXTS = (
    "trigger", "from_state", "to_state", "occurred_at", "recorded_at", "actor", "reason",
    "source", "hash", "fields",
)  # fmt: skip
ITEM_TEXTS = (
    None, "key", "workflow", "state", None, "last_hash", "title", "kind", "parties",
    "description", "created_at",
)  # fmt: skip


def as_text(names: Sequence[str | None], values: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """`values` with every text SQLite gave back as bytes (a BLOB another program stored in a
    text column: SQLite keeps the type it is given) decoded, and the names of those columns:
    each is a problem of its own, whatever else its row holds."""
    named = [n for n, value in zip(names, values, strict=False) if n and type(value) is bytes]
    decoded = [v.decode("utf-8", "replace") if type(v) is bytes else v for v in values]
    return decoded, named


def blob_problem(name: str) -> str:
    """The problem of a text column holding a BLOB (`as_text`)."""
    return f"{name} is stored as a blob, not text"


class Replay:
    """Walks history entries in id order and checks each against its item's chain so far:
    order, states, workflow, hash, and the item fields entries record; then compares each item
    row, every field, with where its history leads (`report`)."""

    def __init__(self, workflows: Workflows, *, defer_fields: bool = False) -> None:
        self.workflows = workflows
        self.chains: dict[Any, ChainState] = {}
        self.problems: list[Problem] = []
        self.entries = 0
        # The collaborators that follow what entries record, on the chain state kept here.
        self.fields = Fields(self.problem)
        self.consents = Consents(workflows, self.fields, self.problem)
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
        blobs: Sequence[str] = (),
    ) -> None:
        """Register an item as its row says it stands now (`row`: the canonical text of its
        fields, chain.item_fields_text; `blobs`: the columns of the row stored as a BLOB,
        `as_text`)."""
        chain = ChainState(key, workflow, state, version, head, row)
        for name in blobs:
            self.problem(chain, None, blob_problem(name))
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
            if (
                chain is None
                or type(chain.seen_version) is not int  # one SQL set to text: `entry` names it
                or version != chain.seen_version + 1
                or type(occurred) is not str  # a BLOB: `entry` names it
                or occurred < chain.seen_time
            ):
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
            if not good or type(version) is not int or type(fields) is bytes:
                self.entry(*row)
                continue
            try:
                text = text_of(
                    chain.seen_hash, chain.key, version, trigger, from_state, to_state, occurred,
                    recorded, actor, reason, source, fields,
                )  # fmt: skip
            except TypeError:  # a BLOB in a text column: `entry` names it
                self.entry(*row)
                continue
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

    def problem(self, chain: ChainState, entry_id: int | None, message: str) -> None:
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
        texts = (trigger, from_state, to_state, occurred, recorded, actor, reason, source)
        decoded, blobs = as_text(ENTRY_TEXTS, (*texts, digest, fields))
        if blobs:
            for name in blobs:
                self.problem(chain, entry_id, blob_problem(name))
            (trigger, from_state, to_state, occurred, recorded, actor, reason, source, digest,
             fields) = decoded  # fmt: skip
        seen = chain.seen_version
        # A version SQL set to text (or a BLOB) is named, and so is the next one's, which does
        # not follow it.
        if type(seen) is not int or version != seen + 1:
            self.problem(chain, entry_id, f"version {version} follows {seen}")
        if chain.seen_version == 0:
            self.check_create(chain, entry_id, trigger, from_state, to_state)
        else:
            self.check_step(chain, entry_id, trigger, from_state, to_state)
        if occurred < chain.seen_time:
            self.problem(chain, entry_id, f"effective date {occurred} is before the previous one")
        try:
            expected = entry_hash(
                chain.seen_hash, chain.key, version, trigger, from_state, to_state, occurred,
                recorded, actor, reason, source, fields,
            )  # fmt: skip
        except TypeError:  # a version stored as a BLOB (named above) has no canonical form
            expected = None
        if expected != digest:
            self.problem(chain, entry_id, "hash does not match the entry and the one before it")
        chain.seen_version, chain.seen_state, chain.seen_time = version, to_state, occurred
        chain.seen_hash = digest
        self.fields_of(chain, entry_id, ref, trigger, fields, from_state, digest)

    def fields_of(
        self,
        chain: ChainState,
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
        chain: ChainState,
        entry_id: int,
        trigger: str,
        fields: str | None,
        from_state: str | None = None,
        digest: str = "",
    ) -> None:
        """Follow the item fields an entry records (chain.py): a create or seal sets them all
        (a seal must agree with what history already has), an edit changes some from the
        values they had. A consent's entry records the consent; a state change the consents
        it rests on and voids (`consents`: consent_checks.Consents)."""
        if trigger in CONSENT_TRIGGERS:
            self.consents.entry(chain, entry_id, trigger, fields, from_state, digest)
            return
        if trigger not in STATE_KEEPING_TRIGGERS and trigger != "create":
            self.consents.settle(chain, entry_id, trigger, fields, from_state)
            return
        self.fields.take(chain, entry_id, trigger, fields)

    def check_create(
        self, chain: ChainState, entry_id: int, trigger: str, from_state: str | None, to_state: str
    ) -> None:
        workflow = self.workflows.by_name.get(chain.workflow)
        if trigger != "create" or from_state is not None:
            self.problem(chain, entry_id, f"first entry is {trigger!r}, not a create")
        elif workflow and to_state != workflow.initial:
            self.problem(chain, entry_id, f"created in {to_state}, not {workflow.initial}")

    def check_step(
        self, chain: ChainState, entry_id: int, trigger: str, from_state: str | None, to_state: str
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

    def compare_fields(self, chain: ChainState) -> None:
        """The item row, field by field, against the fields its history records."""
        self.fields.compare(chain)

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


def ordered(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Problems of entries in entry order, then those of items (as found): one order whatever
    the order of checking (a single pass, or a split verify)."""
    return tuple(sorted(problems, key=lambda p: (p.entry_id is None, p.entry_id or 0)))
