"""The CLI's option stacks, each declared once (as sqlite-utils declares its output options):
a command takes a stack by one decorator, so the same option reads and means the same in
every command that has it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..records import Filter

Command = TypeVar("Command", bound=Callable[..., Any])

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "ndjson", "csv"]),
    default="table",
    show_default=True,
    help="Output format.",
)


def file_name(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A file's name (`-` for stdin or stdout where a command says so), as a click callback.
    An empty one is refused: the OS reads it as the working directory (`cannot write : Is a
    directory`; `anchor --key ''` advised `chmod 600 .`)."""
    if value is not None and not value.strip():
        raise click.BadParameter("the file name is empty")
    return value


# Where a command writes its output: a file, or stdout (the default).
OUTPUT = click.option(
    "--output",
    "-o",
    "target",
    callback=file_name,
    default="-",
    metavar="FILE",
    help="Write to FILE (default stdout).",
)


AS_OF = click.option("--as-of", "as_of", metavar="DATE", help="The items as they stood on DATE.")
LIMIT = click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Check everything; write nothing.")


def period_options(command: Command) -> Command:
    """--since and --until: the entries (or the time axis) between two dates, inclusive; a
    bare date covers its whole day (the service's one rule, dates.period)."""
    return _stacked(_PERIOD, command)


_PERIOD = (
    click.option("--since", metavar="DATE", help="From DATE (default: the first entry)."),
    click.option(
        "--until",
        metavar="DATE",
        help="Up to DATE, inclusive: a bare date covers its whole day (default: now).",
    ),
)

# The item filter (SPEC "Filters"), one option per filter word; the command gets them as one
# `where: Filter`. A new filter word gets its option by one line here.
_FILTER_HELP = {
    "state": "Only items in this state.",
    "kind": "Only items of this kind.",
    "party": "Only items with this party.",
    "text": "Only items with these words in key or title.",
    "pending": "Only items with a gated transition awaiting this party's consent.",
}
_FILTER = tuple(click.option(f"--{name}", help=text) for name, text in _FILTER_HELP.items())


def filter_options(command: Command) -> Command:
    """--state, --kind, --party, --text and --pending, handed to the command as `where` (a Filter,
    checked before the database is opened: an empty value is exit 2)."""

    @functools.wraps(command)
    def with_filter(*args: Any, **kwargs: Any) -> Any:
        where = Filter(**{name: kwargs.pop(name) for name in _FILTER_HELP})
        return command(*args, where=where, **kwargs)

    return _stacked(_FILTER, with_filter)  # type: ignore[return-value]


def _where(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> Filter | None:
    if not values:
        return None
    for value in values:  # each starts with a term: a stray word must not widen a bulk fire
        Filter.parse(value, field_first=True)
    return Filter.parse(" ".join(values))


WHERE = click.option(
    "--where",
    multiple=True,
    callback=_where,
    metavar="FILTER",
    help="Fire on every item matching the filter words (state=proposed,kind=exercise or "
    '"state:proposed kind:exercise"; as list selects them) instead of named keys.',
)

# What a written history entry records besides its trigger; commands differ only in the help.
_ENTRY = {
    "reason": "Why.",
    "source": "Citation: outlet, document or URL.",
    "at": "Effective date (ISO 8601; default now; not before the item's latest entry).",
    "actor": "Who (default: you).",
}


def entry_options(*names: str, **helps: str) -> Callable[[Command], Command]:
    """--reason, --source, --at, --actor (those named, in that order), with a command's own
    help where it says more (`reason="Why it was created."`)."""
    chosen = tuple(
        click.option(
            f"--{name}",
            metavar="DATE" if name == "at" else None,
            help=helps.get(name, _ENTRY[name]),
        )
        for name in names
    )

    def stack(command: Command) -> Command:
        return _stacked(chosen, command)

    return stack


def _stacked(options: tuple[Callable[[Command], Command], ...], command: Command) -> Command:
    for option in reversed(options):  # the first listed shows first in --help
        command = option(command)
    return command
