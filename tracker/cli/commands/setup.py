"""Setting up: `init` (create or upgrade the database, load the seeds) and `tui`."""

from __future__ import annotations

import sys

import click

from ...errors import UsageError
from ...wording import plural
from ..context import Context, pass_context


@click.command()
@pass_context
def tui(obj: Context) -> None:
    """Open the terminal UI (also what `tracker` alone does)."""
    # Without a terminal (a script, a CI job, `tracker < /dev/null > out`) the TUI wrote its
    # escape sequences into the output and waited for keys forever.
    if not (sys.stdin and sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "the TUI needs a terminal (stdin and stdout); in scripts, give a command "
            "(tracker list, tracker --help)"
        )
    try:
        from ...tui.app import run
    except ModuleNotFoundError:
        click.echo(click.get_current_context().find_root().get_help())
        return
    run(obj.tracker())


@click.command()
@click.option("--seed", is_flag=True, help="Also load the seed items (idempotent).")
@pass_context
def init(obj: Context, seed: bool) -> None:
    """Create or upgrade the database; with --seed load the seed items.

    \b
    Example:
      tracker --db sqlite:///team.db init --seed
    """
    tracker = obj.tracker()
    added = tracker.seed() if seed else 0
    count = sum(tracker.count().values())
    click.echo(
        f"database ready: {tracker.shown_url} ({plural(count, 'item')}"
        + (f", {added} seeded" if seed else "")
        + ")"
    )
