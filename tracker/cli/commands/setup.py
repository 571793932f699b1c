"""Setting up: `init` (create or upgrade the database, load the seeds) and `tui`."""

from __future__ import annotations

import click

from ...wording import plural
from ..context import Context, pass_context


@click.command()
@pass_context
def tui(obj: Context) -> None:
    """Open the terminal UI (also what `tracker` alone does)."""
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
