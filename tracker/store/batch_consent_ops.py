"""The consent operations of a batch (approve, withdraw): a party's consent to a gated
trigger checked against the item's workflow and the consents in effect, then chained; the
consent that completes the set fires the trigger. A part of store/batch.py's Batch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from .. import consents as consent_rules
from .. import fields
from ..errors import NotAllowed, TrackerError, TriggerNotFound
from ..operations import Approve, When, Withdraw
from ..workflow import Workflow
from .batch_consents import BatchConsents
from .batch_rows import Live, naming


class ConsentOps:
    """approve and withdraw, for Batch (whose attributes and helpers they use)."""

    consents: BatchConsents
    counts: dict[str, int]
    find: Callable[[str], Live]
    workflow_of: Callable[[Live], Workflow]
    when: Callable[[When, Live | None], tuple[datetime, str]]
    append: Callable[..., None]

    def consent_target(self, op: Approve | Withdraw) -> tuple[Live, Workflow, str, str]:
        """The item, workflow, trigger and party an approve or withdraw names."""
        live = self.find(op.key)
        trigger = consent_rules.trigger_name(op.trigger)
        party = fields.party(op.party)
        workflow = self.workflow_of(live)
        if trigger not in workflow.triggers:
            raise TriggerNotFound(
                f"no trigger {trigger!r} in workflow {workflow.name!r}"
                f" (triggers: {', '.join(workflow.triggers)})"
            )
        return live, workflow, trigger, party

    def approve(self, op: Approve) -> Live:
        """A party's consent to a gated trigger from the item's state; the consent that
        completes the set fires the trigger (a second entry, resting on every consent)."""
        live, workflow, trigger, party = self.consent_target(op)
        try:
            workflow.target(live.state, trigger)
            required = workflow.approvers(trigger, live.state, live.parties.split())
            if not required:
                raise NotAllowed(f"{trigger} from {live.state} needs no consent")
            if party not in required:
                raise NotAllowed(
                    f"{trigger} needs the consent of {', '.join(required)}, not {party}"
                )
            # The trigger's required fields are required on each consent.
            said = {"reason": op.reason, "source": op.source}
            target = workflow.check(live.state, trigger, said)
            consents = self.consents.in_effect(live, workflow)
            consents.check_new(trigger, party)
        except TrackerError as exc:
            naming(live.key, exc)
            raise
        when, said_by = self.consent_entry(live, op, consent_rules.APPROVE, trigger, party)
        consents.approve(consent_rules.Given(trigger, party, live.last_hash, live.version))
        if not consents.missing(trigger, required):
            settled = consents.settle(trigger, required)
            self.append(live, trigger, target, when, *said_by, settled)
            self.counts["fire"] += 1
        return live

    def withdraw(self, op: Withdraw) -> Live:
        """Take back a party's consent that is in effect."""
        live, workflow, trigger, party = self.consent_target(op)
        try:
            self.consents.in_effect(live, workflow).withdraw(trigger, party)
        except TrackerError as exc:
            naming(live.key, exc)
            raise
        self.consent_entry(live, op, consent_rules.WITHDRAW, trigger, party)
        return live

    def consent_entry(
        self, live: Live, op: Approve | Withdraw, kind: str, trigger: str, party: str
    ) -> tuple[tuple[datetime, str], tuple[str | None, str | None, str | None]]:
        """What every consent entry checks last (its time; that the actor may consent for the
        party), then the entry, chained: its time and who said it, for a fire it completes."""
        try:
            when = self.when(op.at, live)
            self.consents.may_consent(op.actor, party)
        except TrackerError as exc:
            naming(live.key, exc)
            raise
        said_by = (op.actor, op.reason, op.source)
        recorded = consent_rules.consent_fields(trigger, party)
        self.append(live, kind, live.state, when, *said_by, recorded)
        return when, said_by
