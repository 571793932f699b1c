"""Following the item fields history records (chain.py), for the replay (audit/replay.py): a
create or seal sets them all (a seal must agree with what history already has), an edit changes
some from the values they had; at the end each item row is compared with them, field by field."""

from __future__ import annotations

import json
from typing import Any

from .. import fields
from ..chain import EDITABLE, ITEM_FIELD_NAMES, fields_text
from .chain_state import ChainState, Report

SNAPSHOT_TRIGGERS = frozenset({"create", "seal"})


class Fields:
    """The replay's follower of item fields: it reads and writes each chain's `fields_text`,
    `fields` and `fields_entry`, and reports what is wrong through `problem`."""

    def __init__(self, problem: Report) -> None:
        self.problem = problem

    def take(self, chain: ChainState, entry_id: int, trigger: str, fields: str | None) -> None:
        """The fields a create, seal or edit records (any other trigger must record none)."""
        known = chain.fields_text is not None or chain.fields is not None
        if trigger in SNAPSHOT_TRIGGERS:
            if fields is None:
                if trigger == "seal":
                    self.problem(chain, entry_id, "a seal entry that records no fields")
                return  # a create written before fields were chained
            if trigger == "seal" and known:
                current = self.current(chain)
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
        current = self.current(chain) if known else None
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

    def current(self, chain: ChainState) -> dict[str, Any] | None:
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

    def compare(self, chain: ChainState) -> None:
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
        current = self.current(chain)
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
