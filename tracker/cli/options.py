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

# The item filter (SPEC "Filters"); the command gets them as one `where: Filter`.
_FILTER = (
    click.option("--state", help="Only items in this state."),
    click.option("--kind", help="Only items of this kind."),
    click.option("--party", help="Only items with this party."),
    click.option("--text", help="Only items with these words in key or title."),
)


def filter_options(command: Command) -> Command:
    """--state, --kind, --party and --text, handed to the command as `where` (a Filter,
    checked before the database is opened: an empty value is exit 2)."""

    @functools.wraps(command)
    def with_filter(
        *args: Any,
        state: str | None,
        kind: str | None,
        party: str | None,
        text: str | None,
        **kwargs: Any,
    ) -> Any:
        where = Filter(state=state, kind=kind, party=party, text=text)
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
