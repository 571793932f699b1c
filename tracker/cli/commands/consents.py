"""Consents (SPEC "Approvals"): `approve`, `withdraw`, `pending`; the rows `show` lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..context import Context, pass_context
from ..options import FORMAT, entry_options

if TYPE_CHECKING:
    from ...records import FireResult, Pending
    from ...service import Tracker

PENDING_COLUMNS = ["key", "state", "trigger", "to_state", "agreed", "awaited", "since", "title"]
# What `show` lists of an item's pending transitions (the item is shown above them).
SHOWN_COLUMNS = PENDING_COLUMNS[2:7]


class PendingRow:
    """A pending transition as a table or CSV row: who agreed, as party codes."""

    def __init__(self, pending: Pending) -> None:
        self.pending = pending

    def to_json(self) -> dict[str, object]:
        return {**self.pending.to_json(), "agreed": [c.party for c in self.pending.consents]}


@click.command()
@click.argument("key")
@click.argument("trigger")
@click.option("--party", required=True, help="The party whose consent this is.")
@entry_options(
    "reason",
    "source",
    "at",
    "actor",
    reason="Why (the trigger's required fields are required on a consent).",
    actor="Who, for the party (default: you; the party map may restrict it).",
)
@FORMAT
@pass_context
def approve(
    obj: Context,
    key: str,
    trigger: str,
    party: str,
    reason: str | None,
    source: str | None,
    at: str | None,
    actor: str | None,
    fmt: str,
) -> None:
    """A party's consent to a gated transition (the item's state is unchanged); the consent
    that completes the set fires it. Exit 4 if the trigger needs no consent here, not this
    party's, or has it already.

    \b
    Example:
      tracker approve ACSA sign --party ROK --source "Yonhap"
    """
    tracker = obj.tracker()
    said = {"reason": reason, "source": source, "at": at, "actor": actor}
    result = tracker.approve(key, trigger, party=party, **said)
    _done(tracker, result, f"{party.strip().upper()} approved", trigger, fmt)


@click.command()
@click.argument("key")
@click.argument("trigger")
@click.option("--party", required=True, help="The party whose consent is taken back.")
@entry_options("reason", "source", "at", "actor")
@FORMAT
@pass_context
def withdraw(
    obj: Context,
    key: str,
    trigger: str,
    party: str,
    reason: str | None,
    source: str | None,
    at: str | None,
    actor: str | None,
    fmt: str,
) -> None:
    """Take back a party's consent to a gated transition (exit 4 if it is not in effect).

    \b
    Example:
      tracker withdraw ACSA sign --party ROK --reason "cabinet reshuffle"
    """
    tracker = obj.tracker()
    said = {"reason": reason, "source": source, "at": at, "actor": actor}
    result = tracker.withdraw(key, trigger, party=party, **said)
    _done(tracker, result, f"{party.strip().upper()} withdrew from", trigger, fmt)


def _done(tracker: Tracker, result: FireResult, done: str, trigger: str, fmt: str) -> None:
    """What approve or withdraw did: the transition it fired, or who is still awaited."""
    from .. import output

    if fmt != "table":
        output.emit_one(result, fmt)
        return
    item, entry = result.item, result.entry
    trigger = trigger.strip().lower()
    line = f"{output.safe(item.key)}: {done} {trigger}"
    if entry.trigger not in ("approve", "withdraw"):
        line += f"; fired {entry.trigger}: {entry.from_state} -> {entry.to_state}"
    else:
        waiting = [p for p in tracker.pending(key=item.key) if p.trigger == trigger]
        if waiting and waiting[0].awaited:
            line += f"; awaiting {', '.join(waiting[0].awaited)}"
    click.echo(line)


@click.command()
@click.option("--party", help="Only those awaiting this party's consent.")
@click.option("--key", help="Only this item's.")
@click.option("--at", metavar="DATE", help="As history stood then (state then; title today's).")
@FORMAT
@pass_context
def pending(obj: Context, party: str | None, key: str | None, at: str | None, fmt: str) -> None:
    """Gated transitions waiting for consent: who agreed (when, why), who is awaited, since
    when. JSON lists each consent with its actor, time, reason, source and entry hash.

    \b
    Examples:
      tracker pending --party JPN
      tracker pending --at 2026-01-31 --format json
    """
    from .. import output

    found = obj.tracker().pending(party=party, key=key, at=at)
    if fmt in ("json", "ndjson"):
        output.emit(found, fmt, [])
        return
    output.emit([PendingRow(p) for p in found], fmt, PENDING_COLUMNS)
