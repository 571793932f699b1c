"""Tracker: the one service API under the CLI, the TUI and Python scripts.

A facade: each method checks its arguments and hands the work to the module that does it
(store/ reads and writes, audit/ verifies, formats/ reads files). Every operation is one
transaction that fully happens or leaves no trace. Records that leave here are frozen
dataclasses (tracker.records); errors come from tracker.errors.

`Tracker` is one object made of one part per job, each a module of this package: reads.py
(items now and then), history.py (entries, pages, spans), writes.py (add, fire, comment, edit,
apply, bulk fire), consents.py (approve, withdraw, pending), audit.py (export, import, verify,
anchor), views.py (saved views); part.py holds what they share. Opening, closing and the seed
(which reads and writes) live here.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from ..audit import SPLIT_VERIFY_FROM
from ..errors import Conflict, UsageError
from ..store.database import Database
from ..store.engine import ensure_schema, in_memory, make_engine, resolve_url, safe_url, sqlite_file
from ..store.queries import SORTABLE
from ..workflow import Workflows
from .audit import Audit
from .consents import Consents
from .history import History
from .reads import Reads
from .writes import Writes

__all__ = ["SORTABLE", "SPLIT_VERIFY_FROM", "Tracker"]


class Tracker(Reads, History, Writes, Consents, Audit):
    """The tracker over one database. Open with `Tracker.open(url)`; close with `close()`
    or use it as a context manager."""

    def __init__(self, engine: Engine, url: str, workflows: Workflows) -> None:
        self.engine = engine
        self.url = url
        self.workflows = workflows
        self.db = Database(engine, url)
        # Whether opening it made the schema (there was no tracker database there).
        self.created = False

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        workflows_dir: str | Path | None = None,
        lasting: bool = False,
    ) -> Tracker:
        """Open (creating or upgrading) the database at `url`, TRACKER_DB or the default file.
        Extra workflow files come from `workflows_dir` and TRACKER_WORKFLOWS. `lasting` refuses
        a database in memory (UsageError): for callers that are a new process each time (CLI)."""
        resolved = resolve_url(url)
        if lasting and in_memory(resolved):
            raise UsageError(
                "a database in memory is gone when the command ends: give a file or a URL"
            )
        workflows = Workflows.from_environment(workflows_dir)
        engine = make_engine(resolved)
        try:
            created = ensure_schema(engine, resolved)
        except BaseException:
            engine.dispose()
            raise
        opened = cls(engine, resolved, workflows)
        opened.created = created
        return opened

    def close(self) -> None:
        """Release the database connections."""
        self.db.close()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def shown_url(self) -> str:
        """The database URL as a person may see it (password hidden)."""
        return safe_url(self.url)

    @property
    def database_file(self) -> Path | None:
        """The SQLite database file; None on PostgreSQL or for an in-memory database."""
        return sqlite_file(self.url)

    def seed(self) -> int:
        """Load the seed items (tracker.seeds, from the news report) that are not here yet;
        returns how many were added. Running it again adds nothing."""
        from ..formats import seeds

        ops = seeds.operations()
        # Another process seeding at the same moment wins with the same items (Conflict): then
        # they are present and there is nothing left to add.
        for attempt in range(3):
            present = {item.key.lower() for item in self.list()}
            try:
                return self.apply([op for op in ops if op.key.lower() not in present]).added
            except Conflict:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
