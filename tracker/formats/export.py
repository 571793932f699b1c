"""The export file: its format (a header line, the items, then the history entries, as NDJSON)
and reading one back for `import`: its shape and every rule a fire applies are checked, and
every chain replayed (audit/replay.py), before anything is written (store/importer.py writes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import dates, fields
from ..audit.replay import (
    HASH,
    Replay,
    shown,
)
from ..chain import (
    EDITABLE,
    entry_hash,
    fields_text,
    item_fields_text,
)
from ..consents import (
    APPROVE,
)
from ..errors import UsageError, VerificationFailed
from ..records import ENTRY_FIELDS, ITEM_FIELDS
from ..wording import plural
from ..workflow import COMMENT_REQUIRES, Workflow, Workflows, missing
from .ndjson import read as ndjson

EXPORT_FORMAT = "tracker-export"
# 2: entries carry the item fields they record (`fields`); import still reads 1.
EXPORT_VERSION = 2
# An export line: the SPEC's shape plus its type (and an item's workflow; no allowed triggers);
# entries of export format 2 also carry their `fields`.
ITEM_LINE_FIELDS = frozenset({"type", "workflow", *ITEM_FIELDS}) - {"allowed_triggers"}
ENTRY_LINE_FIELDS = frozenset({"type", *ENTRY_FIELDS, "fields"})
ENTRY_LINE_FIELDS_V1 = frozenset({"type", *ENTRY_FIELDS})
EXPORT_VERSIONS = (1, 2)


@dataclass
class Dump:
    """An export read into memory and checked, ready to write."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        return len(self.entries)


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
                f"updated_at: the item has {shown(item['updated_at'])}, its history "
                f"{shown(item['_recorded'])}",
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
