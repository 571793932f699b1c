"""What every part of the Tracker facade shares: the database and the workflows it works on,
the default actor, the one filter normaliser (`_where`) and the one way API writes go (`_write`).

`Tracker` (tracker.service) is one object made of the parts in this package, one per job (reads,
history, writes, consents, audit, saved views); each part is a thin facade over the modules
that do the work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias

from sqlalchemy import Engine

from ..operations import Operation, checked
from ..records import (
    ApplyResult,
    Filter,
    FireCheck,
    FireResult,
    HistoryEntry,
    Item,
    ItemState,
    Pending,
    Span,
    View,
)
from ..store import apply as applying
from ..store import queries
from ..store.database import Database
from ..workflow import Workflows

# Tracker.list shadows the builtin inside the class: its return types are named out here.
Items: TypeAlias = list[Item]
Entries: TypeAlias = list[HistoryEntry]
Keys: TypeAlias = list[str]
When: TypeAlias = str | datetime | None
Results: TypeAlias = list[FireResult]
States: TypeAlias = list[ItemState]
Views: TypeAlias = list[View]
Checks: TypeAlias = list[FireCheck]
Spans: TypeAlias = list[Span]
Waiting: TypeAlias = list[Pending]


def no_progress(_done: int) -> None:
    pass


class Part:
    """The fields of a Tracker, which sets them (tracker.service.Tracker.__init__)."""

    engine: Engine
    url: str
    workflows: Workflows
    db: Database

    @property
    def default_actor(self) -> str:
        """Who a change is by when no actor is given: the OS user on SQLite, the database
        role (current_user) on PostgreSQL; a UsageError when it is not a usable actor."""
        return self.db.default_actor

    def _where(
        self,
        where: Filter | None,
        state: str | None,
        kind: str | None,
        party: str | None,
        text: str | None,
        *,
        then: bool = False,
    ) -> tuple[Filter, queries.Where]:
        """The filter (the keywords win over `where`), and its SQL conditions; with `then`,
        those of all but the state (time travel asks for the state an item had then)."""
        chosen = queries.chosen(self.workflows, where, state, kind, party, text)
        sql = dataclasses.replace(chosen, state=None) if then else chosen
        return chosen, queries.conditions(self.db, self.workflows, sql)

    def _write(
        self, ops: Sequence[Operation], dry_run: bool = False
    ) -> tuple[ApplyResult, Results]:
        """API operations as one batch (errors name no batch line)."""
        quiet = [checked(op, name_lines=False) for op in ops]
        return applying.write(self.db, self.workflows, quiet, dry_run=dry_run, quiet_lines=True)
