"""The rules of consent (SPEC "Approvals"), pure: no storage, no clock.

A consent is an `approve` history entry recording `{"party": P, "trigger": T}`; `withdraw`
records the same and takes it back. The consents *in effect* on an item are its approve entries
since its last state change that no later withdraw took back. A state change settles them:
a gated trigger rests on the consents of its required parties (`{"consents": [hashes]}` on
its entry) and every other consent in effect is void (`{"voids": [hashes]}`), hashes in the
order the consents were given. The writer (store/batch.py) and the checker (verify and import:
audit/replay.py) both go through `InEffect`, so they cannot disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import fields as text_rules
from .chain import fields_text
from .errors import NotAllowed, UsageError
from .records import Consent, Pending
from .workflow import STATE_KEEPING_TRIGGERS, Workflow

APPROVE = "approve"
WITHDRAW = "withdraw"
CONSENT_TRIGGERS = frozenset({APPROVE, WITHDRAW})
# Entries that leave the state as it is: they neither end nor settle the consents in effect.
KEEPING_TRIGGERS = STATE_KEEPING_TRIGGERS


def trigger_name(value: str) -> str:
    """A trigger named on approve or withdraw, lower-cased; bad text is a UsageError."""
    lowered = value.strip().lower()
    if not text_rules.NAME.match(lowered):
        raise UsageError(f"bad trigger {text_rules.printable(value)}: a lower-case word")
    return lowered


def consent_fields(trigger: str, party: str) -> str:
    """The canonical fields text of an approve or withdraw entry."""
    return fields_text({"party": party, "trigger": trigger})


# The canonical fields of a consent whose party and trigger are well-formed names (which JSON
# writes as they are): read without a JSON parse (`pending` reads thousands).
_PLAIN_CONSENT = re.compile(
    r'\{"party":"([A-Z][A-Z0-9_-]{0,15})","trigger":"([a-z][a-z0-9_-]{0,39})"\}'
)


def parse_consent(text: str | None) -> tuple[str, str] | None:
    """(trigger, party) from an approve or withdraw entry's fields; None unless they are
    exactly that, in canonical form."""
    if text is None:
        return None
    plain = _PLAIN_CONSENT.fullmatch(text)
    if plain is not None:
        return plain[2], plain[1]
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if (
        not isinstance(parsed, dict)
        or set(parsed) != {"party", "trigger"}
        or not all(isinstance(v, str) for v in parsed.values())
        or fields_text(parsed) != text
    ):
        return None
    return parsed["trigger"], parsed["party"]


def settle_fields(rests_on: list[str], voids: list[str]) -> str | None:
    """The fields text of a state-change entry: the consents it rests on, those it voids."""
    found: dict[str, Any] = {}
    if rests_on:
        found["consents"] = rests_on
    if voids:
        found["voids"] = voids
    return fields_text(found) if found else None


def settled(text: str | None) -> tuple[list[str], list[str]] | None:
    """(consents, voids) from a state-change entry's fields; None unless the fields are
    that (or absent), in canonical form."""
    if text is None:
        return [], []
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if (
        not isinstance(parsed, dict)
        or not parsed
        or not set(parsed) <= {"consents", "voids"}
        or not all(
            isinstance(v, list) and v and all(isinstance(h, str) for h in v)
            for v in parsed.values()
        )
        or fields_text(parsed) != text
    ):
        return None
    return list(parsed.get("consents", [])), list(parsed.get("voids", []))


def needs_text(trigger: str, missing: Iterable[str], have: Iterable[str]) -> str:
    """ "sign needs the consent of JPN, ROK (have: USA)" """
    return (
        f"{trigger} needs the consent of {', '.join(missing)} (have: {', '.join(have) or 'none'})"
    )


@dataclass(frozen=True, slots=True)
class Given:
    """A consent in effect: its approve entry."""

    trigger: str
    party: str
    hash: str
    version: int = 0
    actor: str = ""
    occurred_at: Any = None
    reason: str | None = None
    source: str | None = None


class InEffect:
    """The consents in effect on one item, in the order they were given."""

    __slots__ = ("given",)

    def __init__(self, given: Iterable[Given] = ()) -> None:
        self.given: dict[tuple[str, str], Given] = {(g.trigger, g.party): g for g in given}

    @classmethod
    def replay(cls, entries: Iterable[tuple[str, Given]]) -> InEffect:
        """The consents in effect after (entry trigger, consent) pairs since the last state
        change, oldest first; a withdraw takes back its party's consent (if any)."""
        found = cls()
        for kind, given in entries:
            if kind == APPROVE:
                found.given[(given.trigger, given.party)] = given
            else:
                found.given.pop((given.trigger, given.party), None)
        return found

    def __bool__(self) -> bool:
        return bool(self.given)

    def parties(self, trigger: str) -> tuple[str, ...]:
        """The parties whose consent to `trigger` is in effect, sorted."""
        return tuple(sorted(party for (name, party) in self.given if name == trigger))

    def of(self, trigger: str) -> list[Given]:
        """The consents to `trigger` in effect, in the order given."""
        return [g for g in self.given.values() if g.trigger == trigger]

    def missing(self, trigger: str, required: Iterable[str]) -> tuple[str, ...]:
        """The required parties whose consent to `trigger` is not in effect."""
        return tuple(p for p in required if (trigger, p) not in self.given)

    def check_new(self, trigger: str, party: str) -> None:
        """NotAllowed if `party`'s consent to `trigger` is in effect already."""
        if (trigger, party) in self.given:
            raise NotAllowed(f"{party} already approved {trigger}")

    def approve(self, given: Given) -> None:
        """Take a new consent; NotAllowed if that party's consent is in effect already."""
        self.check_new(given.trigger, given.party)
        self.given[(given.trigger, given.party)] = given

    def withdraw(self, trigger: str, party: str) -> Given:
        """Take a consent back; NotAllowed if it is not in effect."""
        found = self.given.pop((trigger, party), None)
        if found is None:
            have = ", ".join(self.parties(trigger)) or "none"
            raise NotAllowed(f"no consent of {party} to {trigger} is in effect (have: {have})")
        return found

    def settle(self, trigger: str, required: Iterable[str]) -> str | None:
        """A state change by `trigger` (which needs the consent of `required`, none when it is
        not gated): the fields its entry records; the consents in effect end. NotAllowed,
        naming who is missing, if a required consent is not in effect (nothing changes)."""
        needed = tuple(required)
        missing = self.missing(trigger, needed)
        if missing:
            raise NotAllowed(needs_text(trigger, missing, self.parties(trigger)))
        rests_on, voids = [], []
        for given in self.given.values():
            if given.trigger == trigger and given.party in needed:
                rests_on.append(given.hash)
            else:
                voids.append(given.hash)
        self.given.clear()
        return settle_fields(rests_on, voids)


def pending(
    item: Mapping[str, Any],
    workflow: Workflow | None,
    entries: Iterable[tuple[str, Given]],
) -> list[Pending]:
    """The gated transitions of one item waiting with at least one consent in effect, from its
    consent entries since its last state change (`item`: key, title, kind, state, parties)."""
    effect = InEffect.replay(entries)
    found = []
    for trigger in dict.fromkeys(g.trigger for g in effect.given.values()):
        given = effect.of(trigger)
        state = item["state"]
        required = workflow.approvers(trigger, state, item["parties"]) if workflow else ()
        found.append(
            Pending(
                key=item["key"],
                title=item["title"],
                kind=item["kind"],
                state=state,
                trigger=trigger,
                to_state=workflow.leads_to(state, trigger) if workflow else None,
                required=required,
                consents=tuple(
                    Consent(g.party, g.actor, g.occurred_at, g.reason, g.source, g.hash)
                    for g in given
                ),
                awaited=effect.missing(trigger, required),
                since=min(g.occurred_at for g in given),
            )
        )
    return found
