"""What a replay knows of one item's chain so far: the state the walk (audit/replay.py) keeps
per item and its collaborators read and write (item_fields.Fields, consent_checks.Consents),
and how they report a problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..chain import GENESIS
from ..consents import InEffect


@dataclass(slots=True)
class ChainState:
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


# Report a problem of an item (chain) at an entry (None: of the item row): Replay.problem.
Report = Callable[[ChainState, "int | None", str], None]
