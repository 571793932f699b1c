"""Tracker's writes: add, fire, comment, edit, a batch, and bulk fire with its checks. Each is
one all-or-nothing batch of typed operations (tracker.operations) through store.apply."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..collector import no_collection
from ..operations import Add, Comment, Edit, Fire, Operation, typed
from ..records import ApplyResult, Filter, FireCheck, FireResult, Item
from ..store import apply as applying
from ..store import queries
from ..store.batch import Progress
from .part import Checks, Part, Results, When, no_progress


class Writes(Part):
    """Typed operations in, one transaction each."""

    def add(
        self,
        key: str,
        title: str,
        kind: str,
        parties: Iterable[str] = (),
        description: str = "",
        *,
        at: When = None,
        actor: str | None = None,
        reason: str | None = None,
        source: str | None = None,
    ) -> Item:
        """A new item in its workflow's initial state, with its `create` history entry."""
        op = Add(key, title, kind, tuple(parties), description, at, actor, reason, source)
        return self._write([op])[1][0].item

    def fire(
        self,
        key: str,
        trigger: str,
        *,
        reason: str | None = None,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
        expect_state: str | None = None,
        dry_run: bool = False,
    ) -> FireResult:
        """Fire one transition. NotAllowed (4) names the allowed triggers; Conflict (5) when
        `expect_state` does not match; `dry_run` checks everything and writes nothing."""
        op = Fire(key, trigger, reason, source, at, actor, expect_state)
        return self._write([op], dry_run)[1][0]

    def fire_many(
        self,
        keys: Sequence[str],
        trigger: str,
        *,
        reason: str | None = None,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
        expect_state: str | None = None,
        dry_run: bool = False,
    ) -> Results:
        """Fire one trigger on several items as one all-or-nothing batch."""
        ops = [Fire(k, trigger, reason, source, at, actor, expect_state) for k in keys]
        return self._write(ops, dry_run)[1]

    def comment(
        self,
        key: str,
        text: str,
        *,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
    ) -> FireResult:
        """A note on an item: a `comment` history entry that leaves its state as it is."""
        return self._write([Comment(key, text, source, at, actor)])[1][0]

    def edit(
        self,
        key: str,
        *,
        title: str | None = None,
        description: str | None = None,
        parties: Iterable[str] | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> FireResult:
        """Change an item's title, description or parties; an `edit` history entry records
        what changed (old and new values) so the history stays complete."""
        listed = tuple(parties) if parties is not None else None
        op = Edit(key, title, description, listed, reason, actor=actor)
        return self._write([op])[1][0]

    def apply(
        self,
        operations: Iterable[Operation | Mapping[str, Any]],
        *,
        dry_run: bool = False,
        progress: Progress = no_progress,
    ) -> ApplyResult:
        """Run a batch of operations (add, fire, comment, edit) all or nothing. Accepts typed
        operations (`Add`, `Fire`...; from a batch file they name their line in errors) or
        plain mappings with an `op` field; those without a line are numbered from 1."""
        with no_collection():
            ops = typed(operations)
            db, workflows = self.db, self.workflows
            return applying.write(
                db, workflows, ops, dry_run=dry_run, quiet_lines=False, progress=progress
            )[0]

    def check_fire(self, keys: Sequence[str], trigger: str) -> FireCheck:
        """Which of `keys` `trigger` may fire on now and which it may not (with each refused
        item's state and allowed triggers), for a bulk dialog to show before confirming.
        Writes nothing. ItemNotFound (3) for an unknown key, TriggerNotFound (3) for a
        trigger no workflow has."""
        return applying.check(self.workflows, trigger, queries.fire_targets(self.db, keys))

    def check_fire_all(self, keys: Sequence[str]) -> Checks:
        """`check_fire` for every trigger of the workflows in force, from one read of the
        items: how many of `keys` each trigger would move (what a bulk dialog offers)."""
        targets = queries.fire_targets(self.db, keys)
        return [
            applying.check(self.workflows, trigger, targets) for trigger in self.workflows.triggers
        ]

    def fire_where(
        self,
        trigger: str,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        reason: str | None = None,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> ApplyResult:
        """Fire `trigger` on every item matching the filters (as `list` selects them), as one
        all-or-nothing batch. NotAllowed (4), naming them, when the trigger is not allowed for
        some; Conflict (5) when an item changes state between selecting and writing. No
        match fires nothing (an empty result, not an error). `keys` come in key order."""
        targets = queries.targets(self.db, self._where(where, state, kind, party, text)[1])
        if not targets:
            return ApplyResult(0, 0, 0, 0, dry_run)
        check = applying.check(self.workflows, trigger, targets)
        applying.all_allowed(check, len(targets))
        # The state seen when selecting: a change in between is a conflict.
        ops = [
            Fire(row.key, check.trigger, reason, source, at, actor, expect_state=row.state)
            for row in targets
        ]
        summary = self._write(ops, dry_run)[0]
        return dataclasses.replace(summary, keys=tuple(row.key for row in targets))
