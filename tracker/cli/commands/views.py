"""`view`: saved filters (save, list, delete)."""

from __future__ import annotations

import click

from ...errors import Conflict
from ...records import FILTER_WORDS, Filter
from ..context import Context, pass_context
from ..options import AS_OF, FORMAT, filter_options


@click.group()
def view() -> None:
    """Saved views: named filters kept in the database, seen by every user of it.

    \b
    Example:
      tracker view save stuck --state stalled && tracker list --view stuck
    """


@view.command("save")
@click.argument("name")
@filter_options
@AS_OF
@click.option("--replace", is_flag=True, help="Overwrite a view of the same name.")
@pass_context
def view_save(
    obj: Context,
    name: str,
    where: Filter,
    as_of: str | None,
    replace: bool,
) -> None:
    """Save the filters as view NAME (a short word); use it with `tracker list --view NAME`.

    \b
    Examples:
      tracker view save stuck --state stalled
      tracker view save japan-drills --party JPN --kind drill --replace
    """
    try:
        saved = obj.tracker().save_view(name, where, as_of=as_of, replace=replace)
    except Conflict as exc:
        raise Conflict(f"{exc} (replace it with --replace)") from exc
    click.echo(f"saved view {saved.name}")


@view.command("list")
@FORMAT
@pass_context
def view_list(obj: Context, fmt: str) -> None:
    """The saved views and their filters.

    \b
    Example:
      tracker view list --format json
    """
    from .. import output

    saved = obj.tracker().views()
    # The table leaves out when a view was made; CSV gives every field.
    made = ["created_at"] if fmt == "csv" else []
    columns = ["name", *FILTER_WORDS, "as_of", *made, "created_by"]
    if any(v.broken for v in saved):  # a row changed around the tracker: say what is wrong
        columns.append("broken")
    output.emit(saved, fmt, columns)


@view.command("delete")
@click.argument("name")
@pass_context
def view_delete(obj: Context, name: str) -> None:
    """Delete view NAME (views are settings, not history).

    \b
    Example:
      tracker view delete stuck
    """
    obj.tracker().delete_view(name)
    click.echo(f"deleted view {name.lower()}")
