"""One pass that proves a database clean, fast: `verify` runs it first, and the exact replay
(chains.replay, replay.Replay: it names every problem) only when this pass has a doubt.

It makes every check the exact replay makes, so that it says "clean" only where the exact
replay finds no problem (tests/reliability/test_verify_clean.py holds the two side by side on
tampered databases), but reads history in another order: by item and version, not by id.
Each item's chain is then read in one run, with its state in local variables: the exact
replay's walk in id order jumps between 100,000 chains, and touching each chain's state cost
more than the hash. The entries in id order within an item are its versions 1, 2, 3 ... in
order exactly when its versions are those and its ids grow with them, which is checked; the
items, in id order, are read beside it (a merge on the item id).

The canonical form (chain.canonical) is written without the JSON string encoder: each string
quoted as it is, which is what the encoder writes unless the string holds a `"`, a backslash or
a control character. Workflow names (states and triggers) are checked once to hold none (a
workflow with such a name counts as not loaded), and an entry's trigger and states must be
those names; the key is quoted by the encoder itself (once per item); the previous hash is one
the hash check compared with a hex digest. The free text (times, actor, reason, source) of
each batch is scanned once for the bytes the encoder escapes. A value of a type the encoder
refuses is refused here too: the comparisons and `+` take text only, `^` an int only. The
hashes of a batch are computed and compared in C after its loop.
"""

from __future__ import annotations

import gc
import hashlib
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from .. import fields as text_rules
from ..chain import item_fields_text
from ..workflow import STATE_KEEPING_TRIGGERS, Workflows
from .replay import FOLLOWED_TRIGGERS, Replay

# What a JSON string encoder escapes: control characters, `"` and the backslash.
_ESCAPED = bytes(range(0x20)) + b'"\\'
_hexdigest = operator.methodcaller("hexdigest")
_MISSING = object()
_Q, _E = '"', ""


def _plain(name: str) -> bool:
    """Whether the JSON encoder writes `name` quoted as it is."""
    return encode_basestring(name) == f'"{name}"'


def _holds(chains: dict[Any, Any], ref: Any) -> bool:
    """Whether the exact replay holds consents in effect for item `ref`: then its next state
    change must void them (with none, a state change that records no fields is right)."""
    chain = chains.get(ref)
    return chain is not None and bool(chain.consents)


Moves = tuple[str, dict[tuple[str, str], str], frozenset[tuple[str, str]]]


def plain_workflows(workflows: Workflows) -> dict[str, Moves]:
    """Each loaded workflow whose state and trigger names the JSON encoder writes as they
    are: its initial state, moves {(from, trigger): to} and gated moves (consent_moves). An
    item of any other workflow is a doubt."""
    return {
        name: (workflow.initial, dict(workflow.moves), workflow.consent_moves)
        for name, workflow in workflows.by_name.items()
        if all(_plain(name) for name in (*workflow.states, *workflow.triggers))
    }


class _Doubt(Exception):
    """Something the exact replay may name: stop and let it."""


@dataclass(frozen=True, slots=True)
class Clean:
    """What a clean pass found: the counts, and whether a derived column (key_lower,
    changed_at, updated_at) differs from where its item's chain ends (then the caller names
    it with the query the exact verify uses)."""

    items: int
    entries: int
    derived_differ: bool


def clean_pass(
    item_batches: Iterable[Sequence[Sequence[Any]]],
    entry_batches: Iterable[Sequence[Sequence[Any]]],
    workflows: Workflows,
    progress: Callable[[int], None],
) -> Clean | None:
    """Check every chain; None at the first doubt.

    `item_batches`: the items by id, each (id, key, workflow, state, version, last_hash, title,
    kind, parties, description, created_at, key_lower, changed_at, updated_at), times as the
    canonical text. `entry_batches`: every history entry by item id and version, each (id,
    item_id, version, trigger, from_state, to_state, occurred_at, recorded_at, actor, reason,
    source, hash, fields)."""
    # The pass makes a million short-lived rows and keeps nothing that could form a cycle: the
    # collector's passes over every live object cost it a few per cent for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        items = (row for rows in item_batches for row in rows)
        return _Pass(items, workflows).run(entry_batches, progress)
    except _Doubt:
        return None
    finally:
        if collecting:
            gc.enable()


class _Pass:
    def __init__(self, items: Iterator[Sequence[Any]], workflows: Workflows) -> None:
        self.items = items
        self.count = 0
        self.derived_differ = False
        # The rare field-bearing entries (an edit, a seal, a create without fields, a consent,
        # a state change that settles consents) go through the exact replay's own rules, one
        # chain at a time.
        self.replay = Replay(workflows)
        self.workflows = plain_workflows(workflows)

    def item(self, ref: Any) -> Sequence[Any]:
        """The item row with id `ref`: every item before it has no history (a doubt), and an
        entry whose item is not there is one too."""
        for row in self.items:
            self.count += 1
            if row[0] == ref:
                return row
            raise _Doubt
        raise _Doubt

    def end(self, row: Sequence[Any], ended: tuple[Any, ...], fields_text: str | None) -> None:
        """Compare an item's row with where its chain ended: (version, state, hash, occurred,
        recorded) of its last entry, and the fields its history records."""
        (ref, key, workflow, state, version, head, title, kind, parties, description, created,
         lowered, changed, updated) = row  # fmt: skip
        if (version, state, head) != ended[:3]:
            raise _Doubt
        written = item_fields_text(
            key, title, kind, workflow, text_rules.stored_parties(parties), description, created
        )
        self.end_fields(ref, written, fields_text)
        if lowered != key.lower() or (changed, updated) != ended[3:]:
            self.derived_differ = True

    def end_fields(self, ref: Any, written: str, fields_text: str | None) -> None:
        """Compare an item's fields (`written`: chain.item_fields_text of its row) with those
        its history records: its create's (`fields_text`), or, where an entry was followed,
        the exact replay's chain of it."""
        chain = self.replay.chains.get(ref)
        if chain is None:
            if fields_text != written:
                raise _Doubt
        else:
            chain.row = written
            self.replay.compare_fields(chain)
            if self.replay.problems:
                raise _Doubt

    def run(
        self, entry_batches: Iterable[Sequence[Sequence[Any]]], progress: Callable[[int], None]
    ) -> Clean:
        non_state, followed = STATE_KEEPING_TRIGGERS, FOLLOWED_TRIGGERS
        chains = self.replay.chains
        row: Sequence[Any] | None = None
        current: Any = None
        initial: str | None = None
        moves: dict[tuple[str, str], str] = {}
        # The gated moves of the item's workflow: a state change there, or of an item with
        # consents in effect (the exact replay's chain holds them), settles consents.
        gates: frozenset[tuple[str, str]] = frozenset()
        key = ""
        fields_text: str | None = None
        last_id, last_version, last_state, last_time, last_hash, last_recorded = (
            0, 0, None, "", "", ""
        )  # fmt: skip
        done = 0
        for rows in entry_batches:
            heads: list[str] = []
            tails: list[str] = []
            digests: list[Any] = []
            free: list[str] = []
            head, tail, digested, scan = heads.append, tails.append, digests.append, free.append
            try:
                for (entry_id, ref, version, trigger, from_state, to_state, occurred, recorded,
                     actor, reason, source, digest, fields) in rows:  # fmt: skip
                    if ref != current:
                        if row is not None:
                            ended = (last_version, last_state, last_hash, last_time, last_recorded)
                            self.end(row, ended, fields_text)
                        row = self.item(ref)
                        current, key = ref, encode_basestring(row[1])
                        initial, moves, gates = self.workflows.get(row[2], (None, {}, frozenset()))
                        if not moves:  # a workflow not loaded: the exact replay knows what to do
                            raise _Doubt
                        fields_text = None
                        last_id, last_version, last_state, last_time = 0, 0, None, ""
                    if (
                        (version ^ 0) != last_version + 1  # `^`: an int, as the encoder writes it
                        or entry_id <= last_id
                        or occurred < last_time
                        or from_state != last_state
                    ):
                        raise _Doubt
                    rest = (
                        f'"{to_state}","{occurred}","{recorded + _E}","{actor + _E}",'
                        f"{'null' if reason is None else _Q + reason + _Q},"
                        f"{'null' if source is None else _Q + source + _Q}"
                    )
                    scan(f"{occurred}{recorded}{actor}{reason}{source}")
                    if version == 1:
                        if trigger != "create" or to_state != initial:
                            raise _Doubt
                        head(f'["",{key},{version},"create",null,{rest}')
                    elif (
                        to_state != from_state
                        if trigger in non_state
                        else moves.get((from_state, trigger), _MISSING) != to_state
                    ):
                        raise _Doubt
                    else:
                        head(f'["{last_hash}",{key},{version},"{trigger}","{from_state}",{rest}')
                    tail("]" if fields is None else "," + fields + "]")
                    digested(digest)
                    last_id, last_version, last_state, last_time = (
                        entry_id, version, to_state, occurred
                    )  # fmt: skip
                    last_hash, last_recorded = digest, recorded
                    if (
                        fields is not None
                        or trigger in followed
                        or (gates and ((from_state, trigger) in gates or _holds(chains, ref)))
                    ):
                        if version == 1 and fields is not None:
                            fields_text = fields  # the common case, as take_fields has it
                        else:
                            assert row is not None
                            said = (trigger, fields, fields_text, from_state, digest)
                            self.take_fields(row, entry_id, version, *said)
                scanned = "".join(free).encode()
            except (TypeError, ValueError) as exc:  # a value of a type the encoder refuses
                raise _Doubt from exc
            if len(scanned.translate(None, _ESCAPED)) != len(scanned):
                raise _Doubt
            texts = map(str.encode, map(operator.add, heads, tails))
            if list(map(_hexdigest, map(hashlib.sha256, texts))) != digests:
                raise _Doubt
            done += len(rows)
            progress(done)
        if row is not None:
            ended = (last_version, last_state, last_hash, last_time, last_recorded)
            try:
                self.end(row, ended, fields_text)
            except (TypeError, ValueError) as exc:  # as in the loop: a BLOB in the last row
                raise _Doubt from exc
        if next(self.items, None) is not None:  # an item with no history
            raise _Doubt
        return Clean(self.count, done, self.derived_differ)

    def take_fields(
        self,
        row: Sequence[Any],
        entry_id: int,
        version: int,
        trigger: str,
        fields: str | None,
        fields_text: str | None,
        from_state: str | None,
        digest: str,
    ) -> None:
        """An entry whose fields the common case does not cover: the exact replay's rules, on
        a chain of its own for this item (from the fields its history recorded so far)."""
        chains = self.replay.chains
        chain = chains.get(row[0])
        if chain is None:
            self.replay.expect(*row[:6])
            chain = chains[row[0]]
            chain.fields_text = fields_text
        chain.seen_version = version
        self.replay.take_fields(chain, entry_id, trigger, fields, from_state, digest)
        if self.replay.problems:
            raise _Doubt


def follow(
    entries: Iterable[tuple[Any, int, int, str, str | None, str | None, str]],
    items: Iterable[tuple[Any, str, str, str, int, str, str, str | None]],
    workflows: Workflows,
) -> bool:
    """What the C pass (audit/native.py) leaves to the exact replay's rules: `entries` (item
    id, id, version, trigger, from_state, fields, hash), in id order, every entry the loop of
    `_Pass.run` follows and maybe more (this applies its condition), and `items` (id, key,
    workflow, state, version, head, the canonical text of its row's fields, the fields its
    create records), the items those entries are of. Whether all is clean."""
    check = _Pass(iter(()), workflows)
    rows = {row[0]: row for row in items}
    chains, followed = check.replay.chains, FOLLOWED_TRIGGERS
    try:
        for ref, entry_id, version, trigger, from_state, fields, digest in entries:
            row = rows[ref]
            gates = check.workflows[row[2]][2]
            if (  # _Pass.run's condition
                fields is not None
                or trigger in followed
                or (gates and ((from_state, trigger) in gates or _holds(chains, ref)))
            ):
                check.take_fields(
                    row, entry_id, version, trigger, fields, row[7], from_state, digest
                )
        for row in rows.values():
            check.end_fields(row[0], row[6], row[7])
    except (_Doubt, KeyError):
        return False
    return True
