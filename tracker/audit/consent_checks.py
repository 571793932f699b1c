"""The replay's checks of consents (SPEC "Approvals"), for audit/replay.py: an approve or
withdraw must name a gated trigger and a party it needs; a state change must rest on the
consents in effect of every party its trigger needs, name them, and void the others. Which
consents are in effect is tracker.consents' rule (`InEffect`), the writer's too."""

from __future__ import annotations

from ..consents import APPROVE, Given, InEffect, parse_consent, settled
from ..errors import NotAllowed
from ..workflow import Workflows
from .chain_state import ChainState, Report
from .item_fields import Fields


class Consents:
    """The replay's checker of consents: it keeps each chain's `consents` in effect, reads the
    item's parties from `fields` (as history has them at the entry) and reports through
    `problem`."""

    def __init__(self, workflows: Workflows, fields: Fields, problem: Report) -> None:
        self.workflows = workflows
        self.fields = fields
        self.problem = problem

    def required(
        self, chain: ChainState, entry_id: int, trigger: str, state: str | None
    ) -> tuple[str, ...] | None:
        """The parties whose consent `trigger` needs from `state`, by the item's parties as
        history has them there; None when that cannot be known (workflow not loaded, or
        fields never recorded: history from before migration 0005)."""
        workflow = self.workflows.by_name.get(chain.workflow)
        if workflow is None or state is None:
            return None
        if not workflow.needs_consent(trigger, state):
            return ()
        current = self.fields.current(chain)
        if current is None or not isinstance(current.get("parties"), list):
            return None
        return workflow.approvers(trigger, state, current["parties"])

    def entry(
        self,
        chain: ChainState,
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

    def settle(
        self,
        chain: ChainState,
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


def _hashes(found: list[str]) -> str:
    """Entry hashes, short, for a message."""
    return "[" + ", ".join(f"{h[:12]}…" for h in found) + "]" if found else "none"
