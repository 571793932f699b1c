"""Tracker's consents (SPEC "Approvals"): approve, withdraw, who an actor speaks for, and
what is pending."""

from __future__ import annotations

from .. import dates, fields, parties
from ..operations import Approve, Withdraw
from ..records import FireResult
from ..store import consents
from ..store import history as entries
from .part import Part, Waiting, When


class Consents(Part):
    """Consents to gated transitions."""

    def approve(
        self,
        key: str,
        trigger: str,
        *,
        party: str,
        reason: str | None = None,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
    ) -> FireResult:
        """`party`'s consent to the gated `trigger` from the item's state (SPEC "Approvals"):
        an `approve` entry. The consent that completes the set also fires the trigger in the
        same transaction: then the result's entry is that transition's (it names the consents
        it rests on), else the approve entry. NotAllowed (4) when the trigger needs no consent
        here, or not this party's, or has it already; the trigger's required fields are
        required here too."""
        op = Approve(key, trigger, party, reason, source, at, actor)
        return self._write([op])[1][0]

    def withdraw(
        self,
        key: str,
        trigger: str,
        *,
        party: str,
        reason: str | None = None,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
    ) -> FireResult:
        """Take back `party`'s consent to `trigger` (a `withdraw` entry); NotAllowed (4) if
        it is not in effect."""
        op = Withdraw(key, trigger, party, reason, source, at, actor)
        return self._write([op])[1][0]

    def speaks_for(self, actor: str | None = None) -> tuple[str, ...] | None:
        """The parties `actor` (default: the default actor) may consent for, by the
        actor-to-party map (tracker.parties: parties.toml in the user config directory, or
        TRACKER_PARTIES); None when there is no map, so every party. A map that cannot be
        used is a UsageError (exit 2) naming the file and line. On PostgreSQL the database
        checks role membership too (tracker_party_<p>, docs/roles.sql), which this does not
        read: an actor mapped to a party whose role it lacks is still refused there."""
        who = fields.text("actor", actor, required=actor is not None) or self.default_actor
        return parties.speaks_for(who, parties.load())

    def pending(
        self, *, party: str | None = None, key: str | None = None, at: When = None
    ) -> Waiting:
        """Every gated transition with at least one consent in effect, by key and trigger:
        who must consent, who has (when, why), who is awaited, since when. `party`: only those
        awaiting that party's consent; `key`: one item's (ItemNotFound if none); `at`: as
        history stood on that date (state then; title and parties today's)."""
        party = fields.filter_value("party", party)
        wanted = fields.party(party) if party is not None else None
        item_id = entries.item_id(self.db, key) if key is not None else None
        moment = dates.parse_when(at) if at is not None else None
        return consents.pending(self.db, self.workflows, item_id, moment, wanted)
