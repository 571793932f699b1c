"""History: `history`, `as-of` and the `timeline` picture."""

from __future__ import annotations

import click

from ...records import ENTRY_FIELDS, STATE_FIELDS, Filter
from ...wording import plural
from ..context import Context, pass_context
from ..options import FORMAT, LIMIT, file_name, filter_options, period_options
from ..streams import replaced_file


@click.command()
@click.argument("key", required=False)
@period_options
@click.option("--actor", help="Only entries by this actor.")
@click.option("--trigger", help="Only entries of this trigger.")
@LIMIT
@FORMAT
@pass_context
def history(
    obj: Context,
    key: str | None,
    since: str | None,
    until: str | None,
    actor: str | None,
    trigger: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """History entries, oldest first.

    \b
    Example:
      tracker history --since 2025-11-01 --trigger suspend --format ndjson
    """
    from .. import output

    found = obj.tracker().history(
        key, since=since, until=until, actor=actor, trigger=trigger, limit=limit
    )
    if fmt == "table":
        output.emit(output.entry_rows(found), fmt, output.ENTRY_COLUMNS)
        return
    output.emit(found, fmt, ENTRY_FIELDS if fmt == "csv" else output.ENTRY_COLUMNS)


@click.command("as-of")
@click.argument("date")
@FORMAT
@pass_context
def as_of(obj: Context, date: str, fmt: str) -> None:
    """Every item's state on DATE (by effective date).

    \b
    Example:
      tracker as-of 2025-12-01
    """
    from .. import output

    # The table leaves out the version; CSV gives every field.
    columns = STATE_FIELDS if fmt == "csv" else [f for f in STATE_FIELDS if f != "version"]
    output.emit(obj.tracker().as_of(date), fmt, columns)


@click.command()
@click.argument("keys", nargs=-1, metavar="[KEY...]")
@filter_options
@period_options
@click.option("--title", help="The picture's title.")
@click.option(
    "--output",
    "-o",
    "target",
    callback=file_name,
    required=True,
    metavar="FILE",
    help="FILE.svg, .html or .png",
)
@pass_context
def timeline(
    obj: Context,
    keys: tuple[str, ...],
    where: Filter,
    since: str | None,
    until: str | None,
    title: str | None,
    target: str,
) -> None:
    """Draw history as a picture: a band per item over time, coloured by state, each entry
    marked; in .svg and .html, hover for the trigger, reason, actor and source.

    Needs matplotlib: pip install 'tracker[timeline]'.

    \b
    Examples:
      tracker timeline --output timeline.html
      tracker timeline REFUEL DRILLS --since 2025-10-01 --output docs/refuel.png
    """
    from ... import dates
    from ...errors import NotFound
    from ...render import timeline as drawing
    from ...render.palette import Palette

    drawing.output_format(target)
    start, stop = dates.period(since, until)
    tracker = obj.tracker()
    if not keys:
        drawing.check_size(sum(tracker.count(where).values()))
    spans = tracker.spans(
        list(keys) or None,
        since=start,
        until=stop,
        where=where,
    )
    if not spans:
        raise NotFound("no history to draw: no item matches in that date range")
    palette = Palette.of(tracker.workflows.by_name.values())
    with replaced_file(target, tracker) as temporary:
        drawing.render(spans, temporary, since=start, until=stop, title=title, palette=palette)
    count = len({span.key for span in spans})
    entries = plural(len(spans), "history entry", "history entries")
    click.echo(f"wrote {target} ({plural(count, 'item')}, {entries})")
