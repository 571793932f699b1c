"""`fire`: one item, several as one batch, or every item a filter selects."""

from __future__ import annotations

import click

from ...records import Filter
from ...wording import plural
from ..context import Context, pass_context
from ..options import DRY_RUN, FORMAT, WHERE, entry_options


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("args", nargs=-1, required=True, metavar="[KEY...] TRIGGER")
@WHERE
@entry_options("reason", "source", "at", "actor", reason="Why (required by stall and suspend).")
@click.option("--expect-state", help="Refuse (exit 5) unless the item is in this state.")
@DRY_RUN
@FORMAT
@pass_context
def fire(
    obj: Context,
    args: tuple[str, ...],
    where: Filter | None,
    reason: str | None,
    source: str | None,
    at: str | None,
    actor: str | None,
    expect_state: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Fire a trigger on one item, or on several as one all-or-nothing batch.

    With --where, TRIGGER is the only argument and the items are those matching the filters;
    if the trigger is not allowed for some of them, nothing is fired and they are named.

    \b
    Examples:
      tracker fire DRILLS resume --source "Yonhap" --at 2026-02-10
      tracker fire SAREX REFUEL stall --reason "budget freeze" --expect-state resumed
      tracker fire suspend --where state=proposed,kind=exercise --reason "typhoon season"
    """
    from .. import output

    if where is not None:
        if expect_state:
            raise click.UsageError("--expect-state does not go with --where (use state=)")
        written = {"reason": reason, "source": source, "at": at, "actor": actor}
        _fire_where(obj, args, where, written, dry_run, fmt)
        return
    if len(args) < 2:
        raise click.UsageError("give at least one KEY and a TRIGGER")
    *keys, trigger = args
    results = obj.tracker().fire_many(
        keys,
        trigger,
        reason=reason,
        source=source,
        at=at,
        actor=actor,
        expect_state=expect_state,
        dry_run=dry_run,
    )
    if fmt == "table":
        word = "would fire" if dry_run else "fired"
        for result in results:
            entry = result.entry
            click.echo(
                f"{output.safe(result.item.key)}: {word} {entry.trigger}: "
                f"{entry.from_state} -> {entry.to_state}"
            )
        return
    output.emit(results, fmt, ["item", "entry", "dry_run"])


def _fire_where(
    obj: Context,
    args: tuple[str, ...],
    where: Filter,
    written: dict[str, str | None],
    dry_run: bool,
    fmt: str,
) -> None:
    from .. import output

    if len(args) != 1:
        raise click.UsageError("with --where give only the TRIGGER, no keys")
    result = obj.tracker().fire_where(args[0], where, **written, dry_run=dry_run)
    if fmt != "table":
        output.emit_one(result, fmt)
        return
    if not result.fired:
        click.echo("no items match; nothing fired")
        return
    shown = ", ".join(output.safe(key) for key in result.keys[:20])
    more = f" and {len(result.keys) - 20} more" if len(result.keys) > 20 else ""
    word = "would fire" if dry_run else "fired"
    click.echo(f"{word} {args[0].lower()} on {plural(result.fired, 'item')}: {shown}{more}")
