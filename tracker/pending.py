"""The records of consents (SPEC "Approvals"): a Consent in effect, and a Pending gated
transition with the consents it has and the parties it awaits. Re-exported by tracker.records;
which consents are in effect is tracker.consents' rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .dates import iso


@dataclass(frozen=True, slots=True)
class Consent:
    """A party's consent in effect: who gave it for the party, when, why, on what source; the
    hash of its `approve` entry (what the transition's entry will name)."""

    party: str
    actor: str
    occurred_at: datetime
    reason: str | None
    source: str | None
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "actor": self.actor,
            "occurred_at": iso(self.occurred_at),
            "reason": self.reason,
            "source": self.source,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Pending:
    """A gated transition of an item with at least one consent in effect: who must consent
    (`required`), who has (`consents`), who is awaited, since when (the first consent)."""

    key: str
    title: str
    kind: str
    state: str
    trigger: str
    to_state: str | None
    required: tuple[str, ...]
    consents: tuple[Consent, ...]
    awaited: tuple[str, ...]
    since: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "state": self.state,
            "trigger": self.trigger,
            "to_state": self.to_state,
            "required": list(self.required),
            "consents": [c.to_json() for c in self.consents],
            "awaited": list(self.awaited),
            "since": iso(self.since),
        }
