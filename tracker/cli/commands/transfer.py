"""Files in and out: `apply` a batch, `export`, `import`."""

from __future__ import annotations

import click

from ...wording import plural
from ..context import Context, pass_context
from ..options import DRY_RUN, FORMAT, OUTPUT, file_name
from ..streams import open_input, open_output, progress_bar


@click.command()
@click.argument("file", callback=file_name)
@DRY_RUN
@FORMAT
@pass_context
def apply(obj: Context, file: str, dry_run: bool, fmt: str) -> None:
    """Run a batch of operations from FILE (or - for stdin), all or nothing.

    FILE is a JSON array, NDJSON or a YAML list of {"op": "add"|"fire"|"comment"|"edit", ...}.

    \b
    Example:
      printf '%s\\n' '{"op":"fire","key":"ACSA","trigger":"resume"}' | tracker apply -
    """
    from ...formats import batchfile as batch
    from .. import output

    with open_input(file) as stream:
        ops = batch.read(stream)
    with progress_bar("apply", len(ops)) as progress:
        result = obj.tracker().apply(ops, dry_run=dry_run, progress=progress)
    if fmt == "table":
        verb = "would apply" if dry_run else "applied"
        click.echo(
            f"{verb} {plural(len(ops), 'operation')}: {result.added} added, {result.fired} fired, "
            f"{result.commented} commented, {result.edited} edited"
            + (
                f", {result.approved} approved, {result.withdrawn} withdrawn"
                if result.approved or result.withdrawn
                else ""
            )
        )
    else:
        output.emit_one(result, fmt)


@click.command()
@OUTPUT
@pass_context
def export(obj: Context, target: str) -> None:
    """Dump everything (items, history, hashes) as NDJSON.

    \b
    Example:
      tracker export -o backup.ndjson && tracker --db new.db import backup.ndjson
    """
    tracker = obj.tracker()
    with open_output(target, tracker) as out, progress_bar("export", None) as progress:
        tracker.export(out, progress=progress)


@click.command("import")
@click.argument("file", callback=file_name)
@click.option("--merge", is_flag=True, help="Add to a database that already has items.")
@pass_context
def import_(obj: Context, file: str, merge: bool) -> None:
    """Restore an export from FILE (or -). Chains are checked before anything is written.

    \b
    Example:
      tracker --db restored.db import backup.ndjson
    """
    from ...formats.ndjson import read_lines

    with open_input(file) as stream, progress_bar("import", None) as progress:
        n_items, n_entries = obj.tracker().import_(
            read_lines(stream), merge=merge, progress=progress
        )
    entries = plural(n_entries, "history entry", "history entries")
    click.echo(f"imported {plural(n_items, 'item')} and {entries}")
