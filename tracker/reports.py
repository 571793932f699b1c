"""What a batch, a bulk check and verify report: ApplyResult, FireCheck and its Refusals,
VerifyReport and its Problems. Re-exported by tracker.records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .audit.anchor import AnchorCheck


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What a batch did (or, on a dry run, would do): counts and the keys it touched."""

    added: int
    fired: int
    commented: int
    edited: int
    dry_run: bool
    keys: tuple[str, ...] = field(default=())
    approved: int = 0
    withdrawn: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "fired": self.fired,
            "commented": self.commented,
            "edited": self.edited,
            "approved": self.approved,
            "withdrawn": self.withdrawn,
            "dry_run": self.dry_run,
            "keys": list(self.keys),
        }


@dataclass(frozen=True, slots=True)
class Refusal:
    """An item a bulk fire cannot include: its state does not allow the trigger."""

    key: str
    state: str
    allowed_triggers: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": self.state,
            "allowed_triggers": list(self.allowed_triggers),
        }


@dataclass(frozen=True, slots=True)
class FireCheck:
    """Which of the given items one trigger may fire on (`allowed`, in the order given) and
    which it may not (`refused`); `requires` names the fields the trigger needs (reason...)."""

    trigger: str
    allowed: tuple[str, ...]
    refused: tuple[Refusal, ...]
    requires: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "allowed": list(self.allowed),
            "refused": [r.to_json() for r in self.refused],
            "requires": list(self.requires),
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing `verify` found wrong."""

    item: str
    entry_id: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item, "entry": self.entry_id, "message": self.message}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    items: int
    entries: int
    problems: tuple[Problem, ...]
    # With `verify --anchor`: what was found about the anchor (its date, signer, trust).
    anchor: AnchorCheck | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "items": self.items,
            "entries": self.entries,
            "problems": [p.to_json() for p in self.problems],
            **({} if self.anchor is None else {"anchor": self.anchor.to_json()}),
        }
