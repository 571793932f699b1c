"""What every command gets: the root command's settings, and the tracker opened from them on
first use (`Context.tracker()`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..service import Tracker


class Context:
    """What the root command collected: where the database is, which workflows are extra."""

    def __init__(self, db: str | None, workflows: str | None) -> None:
        self.db = db
        self.workflows = workflows
        self._tracker: Tracker | None = None

    def tracker(self) -> Tracker:
        if self._tracker is None:
            from ..service import Tracker

            self._tracker = Tracker.open(self.db, workflows_dir=self.workflows, lasting=True)
        return self._tracker

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()


pass_context = click.make_pass_decorator(Context)
