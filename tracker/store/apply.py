"""Running a batch of operations in one transaction, straight on the driver's connection (on
PostgreSQL the one of a session, bulk_pg.py), and the check a bulk fire makes before it."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError

from ..collector import no_collection
from ..errors import NotAllowed, TriggerNotFound
from ..frozen import builder
from ..operations import Operation
from ..records import ApplyResult, FireCheck, FireResult, Refusal
from ..wording import plural
from ..workflow import Workflows
from .batch import Batch, Progress
from .database import Database

# Every write makes one (tracker.frozen).
_SUMMARY = builder(ApplyResult)


def _no_progress(_done: int) -> None:
    pass


def write(
    db: Database,
    workflows: Workflows,
    ops: Sequence[Operation],
    *,
    dry_run: bool,
    quiet_lines: bool,
    progress: Progress = _no_progress,
) -> tuple[ApplyResult, list[FireResult]]:
    """Check and write `ops` all or nothing (nothing with `dry_run`): the summary and each
    operation's result. `quiet_lines`: errors do not name batch lines (an API call)."""
    if not ops:
        return ApplyResult(0, 0, 0, 0, dry_run), []

    def batch(driver: Any) -> Batch:
        return Batch(
            workflows,
            driver,
            lambda: db.default_actor,
            sqlite=db.sqlite,
            name_lines=not quiet_lines,
        )

    def on_sqlite(connection: sqlite3.Connection) -> Batch:
        run = batch(connection)
        run.run(ops, progress)
        if not dry_run:
            run.flush()
        return run

    if db.sqlite:
        with no_collection():
            run = db.sqlite_transaction(on_sqlite, commit=not dry_run)
    else:
        import psycopg  # the engine's driver: already imported with it

        with db.session(write=True) as session, no_collection():
            # The batch runs on the driver, in the session's transaction (bulk_pg.py).
            driver = session.connection().connection.driver_connection
            assert driver is not None
            run = batch(driver)
            try:
                run.run(ops, progress)
                if dry_run:
                    session.rollback()
                else:
                    run.flush()
            except psycopg.Error as exc:
                # SQLAlchemy saw no statement fail: a lost connection is marked lost here, or
                # the rollback closing the block fails too and its "the connection is lost"
                # replaces the server's reason (terminated, shut down) as the error.
                lost = driver.broken or driver.closed
                if lost:
                    session.connection().invalidate(exc)
                raise DBAPIError.instance(
                    None, None, exc, psycopg.Error, connection_invalidated=lost
                ) from None
    counts = run.counts
    # By position (tracker.frozen): added, fired, commented, edited, dry_run, keys, approved,
    # withdrawn.
    summary = _SUMMARY(
        counts["add"],
        counts["fire"],
        counts["comment"],
        counts["edit"],
        dry_run,
        tuple(live.key for live in run.touched()),
        counts["approve"],
        counts["withdraw"],
    )
    return summary, run.results(dry_run)


def check(workflows: Workflows, trigger: str, targets: Sequence[Any]) -> FireCheck:
    """Which of `targets` (rows of key, state, workflow) `trigger` may fire on now.
    TriggerNotFound for a trigger no workflow has."""
    trigger = trigger.strip().lower()
    in_force = workflows.by_name
    if trigger not in workflows.triggers:
        raise TriggerNotFound(f"no trigger {trigger!r} in any workflow")
    allowed: list[str] = []
    refused: list[Refusal] = []
    requires: dict[str, None] = {}
    for row in targets:
        workflow = in_force.get(row.workflow)
        if workflow is not None and workflow.leads_to(row.state, trigger):
            allowed.append(row.key)
            requires.update(dict.fromkeys(workflow.requires(trigger)))
        else:
            permitted = workflow.allowed(row.state) if workflow else ()
            refused.append(Refusal(row.key, row.state, permitted))
    return FireCheck(trigger, tuple(allowed), tuple(refused), tuple(requires))


def all_allowed(checked: FireCheck, matching: int) -> None:
    """NotAllowed, naming the first few, when `checked` refuses some of the `matching` items."""
    if not checked.refused:
        return
    shown = ", ".join(f"{r.key} ({r.state})" for r in checked.refused[:5])
    more = f" and {len(checked.refused) - 5} more" if len(checked.refused) > 5 else ""
    raise NotAllowed(
        f"cannot {checked.trigger} {len(checked.refused)} of the "
        f"{plural(matching, 'matching item')}: {shown}{more}; "
        "narrow the selection (e.g. by state)"
    )
