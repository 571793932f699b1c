"""The consents a batch checks against (store/batch.py; SPEC "Approvals"): those in effect on
its items, read on first need for every item of the batch in a gated workflow at once; what a
state change settles (the consents it rests on and those it voids); and who may consent for a
party (the actor-to-party map, read once a batch, on the first consent). Which consents are in
effect is tracker.consents' rule (`InEffect`), the replay's too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import fields, parties
from ..consents import InEffect
from ..workflow import Workflow, Workflows
from .batch_read import consent_rows
from .batch_rows import Live


class BatchConsents:
    """A batch's consents, over its `live` items (the batch's own dict, filled as it loads)."""

    def __init__(
        self,
        workflows: Workflows,
        driver: Any,
        live: dict[str, Live],
        actor: Callable[[], str],
        *,
        sqlite: bool,
    ) -> None:
        self.workflows = workflows
        self.driver = driver
        self.live = live
        self.default_actor = actor
        self.sqlite = sqlite
        # The actor-to-party map (tracker.parties), read on the first consent.
        self.party_map: parties.PartyMap | None = None
        self.party_map_read = False

    def in_effect(self, live: Live, workflow: Workflow) -> InEffect:
        """The consents in effect on `live` (none where its workflow gates nothing). Read on
        first need, for every item of the batch in a gated workflow at once."""
        if live.consents is None:
            if not workflow.gated or live.id is None:
                live.consents = InEffect()
            else:
                self.load()
        assert live.consents is not None
        return live.consents

    def load(self) -> None:
        """Read the consents in effect of the batch's loaded items in gated workflows."""
        gated = {name for name, workflow in self.workflows.by_name.items() if workflow.gated}
        waiting = {
            live.id: live
            for live in self.live.values()
            if live.consents is None and live.id is not None and live.workflow in gated
        }
        found = consent_rows(self.driver, sorted(waiting), sqlite=self.sqlite)
        for item_id, live in waiting.items():
            live.consents = InEffect.replay(found.get(item_id, ()))

    def settle(self, live: Live, workflow: Workflow, trigger: str) -> str | None:
        """A state change of `live` by `trigger`: the consents it rests on and those it voids
        (its entry's fields); NotAllowed naming who is missing for a gated trigger."""
        if not workflow.gated:
            return None
        required = workflow.approvers(trigger, live.state, live.parties.split())
        return self.in_effect(live, workflow).settle(trigger, required)

    def may_consent(self, actor: str | None, party: str) -> None:
        """NotAllowed unless the actor recorded (`actor`, else the default one) may consent
        for `party` by the actor-to-party map (tracker.parties; read once a batch, on the
        first consent). No map: everyone may."""
        if not self.party_map_read:
            self.party_map, self.party_map_read = parties.load(), True
        by = fields.text("actor", actor, required=actor is not None) or self.default_actor()
        parties.check(by, party, self.party_map)
