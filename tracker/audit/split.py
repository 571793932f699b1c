"""A verify split over two processes: this one checks the entries up to a boundary, a
child Python the rest, in the same snapshot; the report is the one a single pass makes."""

from __future__ import annotations

import dataclasses
import gc
import pickle
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseUnusable, TrackerError
from ..records import VerifyReport
from ..store.database import Database
from ..store.engine import in_memory, make_engine
from ..workflow import Workflows
from . import chains

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclasses.dataclass(slots=True)
class Split:
    """What the child of a split verify checks, and in which snapshot: the entries with ids in
    (boundary, last]; on PostgreSQL in the `shared` (exported) snapshot, on SQLite with the
    parent's item rows (`heads`), the entries up to `last` being the same in any later read."""

    boundary: int
    last: int
    shared: str | None = None
    heads: list[tuple[Any, ...]] | None = None


def _no_progress(_done: int) -> None:
    pass


def possible(db: Database) -> bool:
    """Whether a child Python can open this database (not an in-memory SQLite one)."""
    return bool(sys.executable) and not in_memory(db.url)


def verify_split(
    db: Database, workflows: Workflows, session: Session, split: Split, progress: Any
) -> VerifyReport:
    """Verify with a child process checking the entries after `boundary` and every item's
    end state while this one checks those up to it; then this one follows the item fields
    the child's entries record and compares every item's fields. Problems are ordered as
    one pass orders them. The child is a fresh interpreter: no fork of an open connection,
    and no re-run of the caller's main module as multiprocessing's spawn would do. It runs
    isolated (`-I`: no current directory, PYTHONPATH or user site on its path) and is told
    where this process's `tracker` package is, so it runs this very code and nothing
    planted beside it. It shows no progress of its own: the count here jumps by its
    entries at the end. This process reads in `session`, the child what `split` says."""
    from .replay import ordered

    root = str(Path(__file__).resolve().parents[2])  # the directory holding `tracker`
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from tracker.audit.split import child as v; v()"
    )
    command = [sys.executable, "-I", "-c", code, root]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as running:
        assert running.stdin is not None and running.stdout is not None
        tail: tuple[VerifyReport, Any, Any] | TrackerError | None = None
        try:
            pickle.dump((db.url, workflows, split), running.stdin)
            running.stdin.close()
            head = chains.replay(
                db, workflows, upto=split.boundary, progress=progress, session=session
            )
            tail = pickle.load(running.stdout)
        except EOFError:
            pass
        finally:
            if tail is None:
                running.kill()
    if isinstance(tail, TrackerError):
        raise tail
    if tail is None:
        raise DatabaseUnusable(f"verify: the checking process failed (exit {running.returncode})")
    report, deferred, only_there = tail
    head.take(deferred, only_there)
    fields = head.report(states=False)
    entries = head.entries + report.entries
    progress(entries)
    return VerifyReport(report.items, entries, ordered((*report.problems, *fields.problems)))


def child() -> None:
    """The child of a split verify: read (url, workflows, split) from stdin, check the entries
    after the boundary and every item's end state, in the parent's snapshot (`Split`); write
    the report (or the error)."""
    gc.disable()  # a short-lived process; the collector would walk every chain again and again
    url, workflows, split = pickle.load(sys.stdin.buffer)
    result: tuple[VerifyReport, Any, Any] | TrackerError
    try:
        db = Database(make_engine(url), url)
        try:
            replay = chains.replay(
                db,
                workflows,
                after=split.boundary,
                upto=split.last,
                progress=_no_progress,
                shared=split.shared,
                rows=split.heads,
            )
        finally:
            db.close()
        result = replay.report(fields=False), replay.deferred, replay.only_here()
    except TrackerError as exc:
        result = exc
    pickle.dump(result, sys.stdout.buffer)
