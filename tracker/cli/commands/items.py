"""Items: `add`, `list`, `show`, `comment`, `edit`."""

from __future__ import annotations

import click

from ...records import ITEM_FIELDS, Filter
from ..context import Context, pass_context
from ..options import AS_OF, FORMAT, LIMIT, entry_options, filter_options
from .consents import SHOWN_COLUMNS, PendingRow


@click.command()
@click.argument("key")
@click.option("--title", required=True, help="What the item is.")
@click.option("--kind", required=True, help="Its kind (names the workflow, e.g. agreement).")
@click.option("--party", "parties", multiple=True, help="A party, e.g. ROK (repeatable).")
@click.option("--description", default="", help="Longer text.")
@entry_options(
    "at",
    "actor",
    "reason",
    "source",
    at="Effective date of creation (ISO 8601; default now).",
    reason="Why it was created.",
)
@FORMAT
@pass_context
def add(
    obj: Context,
    key: str,
    title: str,
    kind: str,
    parties: tuple[str, ...],
    description: str,
    at: str | None,
    actor: str | None,
    reason: str | None,
    source: str | None,
    fmt: str,
) -> None:
    """Add an item in its workflow's initial state.

    \b
    Example:
      tracker add GSOMIA --title "Intelligence sharing pact" --kind agreement \\
          --party ROK --party JPN --at 2016-11-23 --source Yonhap
    """
    from .. import output

    item = obj.tracker().add(
        key, title, kind, parties, description, at=at, actor=actor, reason=reason, source=source
    )
    if fmt == "table":
        click.echo(f"added {output.safe(item.key)} ({item.state})")
    else:
        output.emit_one(item, fmt)


@click.command("list")
@filter_options
@AS_OF
@click.option("--view", metavar="NAME", help="A saved view's filters (explicit options win).")
@click.option(
    "--sort",
    default="key",
    show_default=True,
    help="Sort by key, title, kind, state, changed_at, created_at or updated_at.",
)
@click.option("--desc", is_flag=True, help="Sort descending.")
@LIMIT
@FORMAT
@pass_context
def list_(
    obj: Context,
    where: Filter,
    as_of: str | None,
    view: str | None,
    sort: str,
    desc: bool,
    limit: int | None,
    fmt: str,
) -> None:
    """List items, filtered.

    \b
    Examples:
      tracker list --party JPN --state suspended --format csv
      tracker list --view stuck --kind exercise
    """
    from .. import output

    found = obj.tracker().list(
        where,
        as_of=as_of,
        view=view,
        order_by=sort,
        descending=desc,
        limit=limit,
    )
    output.emit(found, fmt, ITEM_FIELDS if fmt == "csv" else output.ITEM_COLUMNS)


@click.command()
@click.argument("key")
@click.option(
    "--entries",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many recent entries.",
)
@FORMAT
@pass_context
def show(obj: Context, key: str, entries: int, fmt: str) -> None:
    """Show an item, its allowed triggers and its recent history.

    \b
    Example:
      tracker show acsa
    """
    import json

    from .. import output

    tracker = obj.tracker()
    item = tracker.get(key)
    recent = tracker.history(item.key, newest_first=True, limit=entries)[::-1]
    waiting = tracker.pending(key=item.key)
    if fmt in ("json", "ndjson"):
        data = {
            **item.to_json(),
            "history": [e.to_json() for e in recent],
            "pending": [p.to_json() for p in waiting],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2 if fmt == "json" else None))
        return
    if fmt == "csv":
        output.emit([item], "csv", list(item.to_json()))
        return
    output.emit_one(item, "table")
    if waiting:
        click.echo("")
        rows = [PendingRow(p) for p in waiting]
        output.emit(rows, "table", SHOWN_COLUMNS, title="waiting for consent")
    click.echo("")
    output.emit(output.entry_rows(recent), "table", output.ENTRY_COLUMNS, title="recent history")


@click.command()
@click.argument("key")
@click.argument("text")
@entry_options("source", "at", "actor")
@pass_context
def comment(
    obj: Context, key: str, text: str, source: str | None, at: str | None, actor: str | None
) -> None:
    """Add a note to an item's history without changing its state.

    \b
    Example:
      tracker comment ACSA "Seoul asks for more time" --source Yonhap
    """
    result = obj.tracker().comment(key, text, source=source, at=at, actor=actor)
    click.echo(f"commented on {result.item.key}")


@click.command()
@click.argument("key")
@click.option("--title", help="New title.")
@click.option("--description", help="New description.")
@click.option("--party", "parties", multiple=True, help="The parties, all of them (repeatable).")
@entry_options("reason", "actor", reason="Why the change.")
@pass_context
def edit(
    obj: Context,
    key: str,
    title: str | None,
    description: str | None,
    parties: tuple[str, ...],
    reason: str | None,
    actor: str | None,
) -> None:
    """Change an item's title, description or parties (recorded in its history).

    \b
    Example:
      tracker edit ACSA --party ROK --party JPN --party USA --reason "US joins talks"
    """
    result = obj.tracker().edit(
        key,
        title=title,
        description=description,
        parties=parties or None,
        reason=reason,
        actor=actor,
    )
    click.echo(f"edited {result.item.key}")
