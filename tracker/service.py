"""Tracker: the one service API under the CLI, the TUI and Python scripts.

Every operation is one transaction that fully happens or leaves no trace. Records that leave
here are frozen dataclasses (tracker.records); errors come from tracker.errors.
"""

from __future__ import annotations

import builtins
import dataclasses
import gc
import getpass
import json
import operator
import os
import pickle
import re
import sqlite3
import subprocess
import sys
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import (
    Engine,
    Select,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import String

from . import batch as batches
from . import dates, fields
from .db import as_of as as_of_sql
from .db import history_pages
from .db.engine import (
    ensure_schema,
    first_line,
    in_memory,
    make_engine,
    resolve_url,
    safe_url,
    sqlite_file,
)
from .db.models import history, items, utc_time, views
from .db.queries import item_where, key_sets, time_text
from .errors import (
    Conflict,
    DatabaseUnusable,
    ItemNotFound,
    NotAllowed,
    NotFound,
    TrackerError,
    TriggerNotFound,
    UsageError,
    VerificationFailed,
)
from .records import (
    ApplyResult,
    EntryPosition,
    Filter,
    FireCheck,
    FireResult,
    HistoryEntry,
    HistorySearch,
    Item,
    ItemState,
    Problem,
    Refusal,
    Span,
    VerifyReport,
    View,
)
from .wording import plural
from .workflow import Workflow, Workflows
from .writes import Batch, Progress

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .anchor import Anchor, Head
    from .transfer import Replay

EXPORT_FORMAT = "tracker-export"
# 2: entries carry the item fields they record (`fields`); import still reads 1.
EXPORT_VERSION = 2
SORTABLE = ("key", "title", "kind", "parties", "state", "changed_at", "created_at", "updated_at")


def _no_progress(_done: int) -> None:
    pass


# From how many history entries (the span of their ids) `verify` splits the work over two
# processes: below it, starting a Python process costs more than the half it saves.
SPLIT_VERIFY_FROM = 200_000


# The largest LIMIT/OFFSET both databases take (a signed 64-bit integer).
_PAGE_MAX = 2**63 - 1


def _page(query: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    """One page of `query`. Negative numbers are refused here: SQLite would read them as
    "no limit" and PostgreSQL as an error, and a caller should see the same on both. A limit
    or offset beyond what a database takes means "all" or "none", as it would if it fitted."""
    if (limit is not None and limit < 0) or offset < 0:
        raise UsageError(f"limit and offset must not be negative (got {limit}, {offset})")
    if limit is not None and limit > _PAGE_MAX:
        limit = None
    query = query.offset(min(offset, _PAGE_MAX))
    return query.limit(limit) if limit is not None else query


# The fields of an Item from a `select(items)` row, by position in one C call: a list of
# 10,000 items spends most of its time here, and a Row's attribute access is about 0.4 us each.
_item_fields = operator.itemgetter(
    *(
        list(items.c.keys()).index(name)
        for name in (
            "key",
            "title",
            "kind",
            "parties",
            "state",
            "version",
            "description",
            "created_at",
            "updated_at",
            "workflow",
            "changed_at",
        )
    )
)


def _nothing() -> None:
    return None


def _orm_session(bind: Engine) -> Session:
    """A Session on `bind`. The ORM is imported on the first read, not with this module: a
    `tracker fire` on SQLite never needs it (it writes on the driver), and importing it is
    about a fifth of that process's start-up."""
    from sqlalchemy.orm import Session

    return Session(bind)


class Tracker:
    """The tracker over one database. Open with `Tracker.open(url)`; close with `close()`
    or use it as a context manager."""

    def __init__(self, engine: Engine, url: str, workflows: Workflows) -> None:
        self.engine = engine
        self.url = url
        self.workflows = workflows
        self._writer = engine.execution_options(tracker_write=True)
        self._sqlite = engine.dialect.name == "sqlite"
        # One snapshot for a whole export or verify (see `_snapshot`).
        self._reader = (
            engine
            if self._sqlite
            else engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        )
        self._default_actor: str | None = None
        # SQLite writes from the thread that opened the tracker keep the pooled connection they
        # wrote on (no transaction open between writes) until close() or garbage collection:
        # check-out and check-in cost a fire ~13 %. Other threads check out per write.
        self._owner = threading.get_ident()
        self._held: Any = None
        self._release: Callable[[], Any] = _nothing

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
            ensure_schema(engine, resolved)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, resolved, workflows)

    def close(self) -> None:
        """Release the database connections."""
        self._drop_held()
        self.engine.dispose()

    def _drop_held(self) -> None:
        """Give the kept write connection back to the pool (which resets it)."""
        self._held = None
        self._release()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def _session(self, write: bool = False, *, bind: Engine | None = None) -> Iterator[Session]:
        try:
            with (
                _orm_session(bind or (self._writer if write else self.engine)) as session,
                session.begin(),
            ):
                yield session
        except TrackerError:
            raise
        except SQLAlchemyError as exc:
            raise self._database_error(exc) from None

    @contextmanager
    def _snapshot(self, imported: str | None = None) -> Iterator[Session]:
        """One consistent read of the whole database, however long it takes while others write:
        on PostgreSQL a REPEATABLE READ, READ ONLY transaction (`imported`: a snapshot another
        transaction exported with pg_export_snapshot(), so that two processes read the same
        data); on SQLite one read transaction (WAL keeps its snapshot until it ends)."""
        with self._session(bind=self._reader) as session:
            if imported is not None:
                if not _SNAPSHOT_ID.match(imported):
                    raise UsageError(f"bad snapshot id {imported!r}")
                # The first statement of the transaction; SET takes no bound parameters.
                session.execute(text(f"SET TRANSACTION SNAPSHOT '{imported}'"))
            yield session

    def _database_error(self, exc: SQLAlchemyError) -> TrackerError:
        message = first_line(exc)
        lowered = message.lower()
        if isinstance(exc, IntegrityError):
            return Conflict(f"a concurrent writer won: {message}")
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501":
            # PostgreSQL refused this role (a read-only role writing, an actor not its own).
            return NotAllowed(f"permission denied: {message}")
        if "locked" in lowered or "deadlock" in lowered or "could not serialize" in lowered:
            return Conflict(f"database is busy (another writer holds it): {message}")
        if isinstance(exc, OperationalError | DBAPIError):
            return DatabaseUnusable(f"database {safe_url(self.url)}: {message}")
        return DatabaseUnusable(f"database error: {message}")

    @property
    def shown_url(self) -> str:
        """The database URL as a person may see it (password hidden)."""
        return safe_url(self.url)

    @property
    def database_file(self) -> Path | None:
        """The SQLite database file; None on PostgreSQL or for an in-memory database."""
        return sqlite_file(self.url)

    @property
    def default_actor(self) -> str:
        """Who a change is by when no actor is given: the OS user on SQLite, the database
        role (current_user) on PostgreSQL. It must pass the rule an explicit actor passes
        (fields.text): a UsageError naming where it came from, never a record no import takes."""
        if self._default_actor is None:
            if self._sqlite:
                try:
                    found = getpass.getuser()
                except (KeyError, OSError):
                    found = "unknown"
                # getpass reads these variables in this order, then the user database.
                where = next(
                    (f"${name}" for name in _USER_VARIABLES if os.environ.get(name) == found),
                    "the OS user name",
                )
            else:
                with self._session() as session:
                    found = str(session.execute(select(func.current_user())).scalar())
                where = "the PostgreSQL role (current_user)"
            try:
                self._default_actor = fields.text("actor", found, required=True) or found
            except UsageError as exc:
                raise UsageError(
                    f"the default actor from {where} is not usable: {exc}; "
                    "set it to your name, or give --actor"
                ) from None
        return self._default_actor

    # -- reading ------------------------------------------------------------------------------

    def workflow(self, name: str | None = None, *, key: str | None = None) -> Workflow:
        """A workflow by name, the one an item follows (`key`), or the default one."""
        if key is not None:
            return self.workflows.get(self.get(key).workflow)
        return self.workflows.get("default" if name is None else name)

    def _item(self, row: Any) -> Item:
        """An Item from a `select(items)` row."""
        (key, title, kind, parties, state, version, description, created, updated, workflow,
         changed) = _item_fields(row)  # fmt: skip
        found = self.workflows.by_name.get(workflow)
        return Item(
            key=key,
            title=title,
            kind=kind,
            parties=tuple(parties.split()),
            state=state,
            version=version,
            description=description,
            created_at=created,
            updated_at=updated,
            workflow=workflow,
            allowed_triggers=found.allowed(state) if found else (),
            changed_at=changed,
        )

    def get(self, key: str) -> Item:
        """One item by key (case-insensitive). Raises ItemNotFound."""
        if not fields.KEY.match(key):  # no item has it; and a lone surrogate no driver takes
            raise ItemNotFound(key)
        with self._session() as session:
            row = session.execute(select(items).where(items.c.key_lower == key.lower())).first()
        if row is None:
            raise ItemNotFound(key)
        return self._item(row)

    def _where(
        self,
        where: Filter | None,
        state: str | None,
        kind: str | None,
        party: str | None,
        text: str | None,
    ) -> Filter:
        """The one place the filter keywords (`state=`, `kind=`...) become a `Filter`: they
        win over `where`'s values. Checked (SPEC "Filters": an empty value is a UsageError),
        its state one a loaded workflow has."""
        chosen = Filter(state=state, kind=kind, party=party, text=text)
        if where is not None:
            chosen = chosen.over(where)
        self._state(chosen.state)
        return chosen

    def list(
        self,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        order_by: str = "key",
        descending: bool = False,
        limit: int | None = None,
        offset: int = 0,
        as_of: str | datetime | None = None,
        view: str | None = None,
    ) -> builtins.list[Item]:
        """Items matching the filter (`where`, and the keywords state, kind, party, text in
        key or title, which win over it), sorted by `order_by` (one of SORTABLE), a page at a
        time with `limit`/`offset`. `view` names a saved view whose filters apply where no
        explicit one is given; with `as_of` (given or the view's) the items are as they stood
        then (see `_as_of_items`)."""
        if view is not None:
            saved = self.view(view)
            where = (where if where is not None else Filter()).over(saved.filter)
            as_of = as_of if as_of is not None else saved.as_of
        chosen = self._where(where, state, kind, party, text)
        if order_by not in SORTABLE:
            raise UsageError(f"cannot sort by {order_by!r} (one of: {', '.join(SORTABLE)})")
        if as_of is not None:
            return self._as_of_items(
                dates.parse_when(as_of),
                chosen,
                order_by,
                descending,
                limit,
                offset,
            )
        column = items.c.key_lower if order_by == "key" else items.c[order_by]
        order = [column.desc() if descending else column.asc(), items.c.id]
        query = select(items).where(*item_where(chosen, self._sqlite)).order_by(*order)
        query = _page(query, limit, offset)
        with self._session() as session:
            return [self._item(row) for row in session.execute(query)]

    def position(
        self,
        key: str,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        order_by: str = "key",
        descending: bool = False,
    ) -> int | None:
        """Where item `key` is (0 = first) among the items `list` returns for the same filters
        and order; None when the filters leave it out. Counts the matches sorted before it, by
        the sort column's index: the TUI puts its cursor on an item in any order (after Add)
        without loading the rows before it. Raises ItemNotFound."""
        if order_by not in SORTABLE:
            raise UsageError(f"cannot sort by {order_by!r} (one of: {', '.join(SORTABLE)})")
        conditions = item_where(self._where(where, state, kind, party, text), self._sqlite)
        column = items.c.key_lower if order_by == "key" else items.c[order_by]
        with self._session() as session:
            found = session.execute(
                select(items.c.id, column).where(items.c.key_lower == key.lower())
            ).first()
            if found is None:
                raise ItemNotFound(key)
            item_id, value = found
            if not session.execute(
                select(items.c.id).where(items.c.id == item_id, *conditions)
            ).first():
                return None
            ahead = column > value if descending else column < value
            before = or_(ahead, and_(column == value, items.c.id < item_id))
            return int(
                session.execute(
                    select(func.count()).select_from(items).where(before, *conditions)
                ).scalar_one()
            )

    def kinds(self) -> builtins.list[str]:
        """The kinds the items have, sorted (DISTINCT over the indexed kind column): what the
        TUI lists when a filter names a kind no item has."""
        with self._session() as session:
            query = select(items.c.kind).distinct().order_by(items.c.kind)
            return builtins.list(session.execute(query).scalars())

    def count(
        self,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        as_of: str | datetime | None = None,
    ) -> dict[str, int]:
        """How many items match, per state (with `as_of`: per state then, of the items that
        existed then, as `list(as_of=...)` pages them)."""
        chosen = self._where(where, state, kind, party, text)
        if as_of is not None:
            moment = dates.parse_when(as_of)
            wanted = chosen.state
            counting = as_of_sql.Counting(
                moment, item_where(dataclasses.replace(chosen, state=None), self._sqlite)
            )
            with self._session() as session:
                now = {row[0]: row[1] for row in session.execute(counting.now)}
                changed = session.execute(counting.changed).scalar_one()
                found: Counter[str] = Counter()
                if changed * 2 <= sum(now.values()):
                    found.update(now)
                    found.subtract(session.execute(counting.states_changed).scalars())
                else:
                    found.update(session.execute(counting.states_unchanged).scalars())
                found.update(s for s in session.execute(counting.states_then).scalars() if s)
            return {
                name: number
                for name, number in found.items()
                if number and (wanted is None or name == wanted)
            }
        query = (
            select(items.c.state, func.count())
            .where(*item_where(chosen, self._sqlite))
            .group_by(items.c.state)
        )
        with self._session() as session:
            return {row[0]: row[1] for row in session.execute(query)}

    def last_change(self) -> tuple[int, int, int, str]:
        """A mark that differs after every write, by any process: the newest history entry's
        id, and the saved views' count, newest id and newest save time (a view replaced in
        place gets a new save time; a deleted one lowers the count). Poll it and compare it
        with the last one seen to know whether anything changed, cheaply (live refresh)."""
        newest = select(func.max(history.c.id)).scalar_subquery()
        saved = select(
            newest, func.count(views.c.id), func.max(views.c.id), func.max(views.c.created_at)
        )
        with self._session() as session:
            entry, count, view_id, view_at = session.execute(saved).one()
        return (int(entry or 0), int(count), int(view_id or 0), str(view_at or ""))

    def _entry(self, row: Any) -> HistoryEntry:
        return HistoryEntry(
            id=row.id,
            item=row.key,
            trigger=row.trigger,
            from_state=row.from_state,
            to_state=row.to_state,
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            actor=row.actor,
            reason=row.reason,
            source=row.source,
            hash=row.hash,
            version=row.version,
            fields=row.fields,
        )

    def history(
        self,
        key: str | None = None,
        *,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        actor: str | None = None,
        trigger: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> builtins.list[HistoryEntry]:
        """History entries, oldest first by effective date (or newest first), filtered by item,
        effective-date range (inclusive), actor and trigger."""
        query = (
            select(history, items.c.key)
            .join(items, items.c.id == history.c.item_id)
            .where(*self._history_where(key, since, until, actor, trigger))
        )
        by_item = [history.c.version]
        ordering = by_item if key is not None else [history.c.occurred_at, history.c.id]
        query = query.order_by(*[c.desc() for c in ordering] if newest_first else ordering)
        query = _page(query, limit, offset)
        with self._session() as session:
            return [self._entry(row) for row in session.execute(query)]

    def history_count(
        self,
        key: str | None = None,
        *,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        actor: str | None = None,
        trigger: str | None = None,
    ) -> int:
        """How many entries `history()` returns with the same filters (for paging)."""
        query = select(func.count()).select_from(history)
        query = query.where(*self._history_where(key, since, until, actor, trigger))
        with self._session() as session:
            return int(session.execute(query).scalar_one())

    def history_page(
        self,
        search: HistorySearch,
        *,
        after: EntryPosition | None = None,
        backwards: bool = False,
        limit: int = 100,
    ) -> builtins.list[HistoryEntry]:
        """A page of the entries `search` matches (prefixes of key, actor, trigger), newest
        first: the `limit` after position `after` (None: from the newest), or with `backwards`
        the `limit` just before it (None: the oldest, i.e. the last page). Keyset paging: every
        page costs the same, however deep (an entry's `position` is the next `after`)."""
        if limit < 0:
            raise UsageError(f"limit must not be negative (got {limit})")
        with self._session() as session:
            few = None
            if search.item:
                chosen = session.execute(history_pages.items_with_prefix(search.item)).scalars()
                few = builtins.list(chosen)
                few = few if len(few) <= history_pages.FEW_ITEMS else None
            query = history_pages.page(search, after, backwards, limit, few)
            found = [self._entry(row) for row in session.execute(query)]
        return found[::-1] if backwards else found

    def history_position(self, search: HistorySearch, index: int) -> EntryPosition | None:
        """The position of entry number `index` (0 = newest) of those `search` matches, to page
        from with `history_page` (a jump into the middle); None past the end."""
        if index < 0:
            raise UsageError(f"index must not be negative (got {index})")
        with self._session() as session:
            row = session.execute(history_pages.position_at(search, index)).first()
        return None if row is None else (row[0], int(row[1]))

    def history_search_count(self, search: HistorySearch) -> int:
        """How many entries `search` matches."""
        with self._session() as session:
            return int(session.execute(history_pages.count(search)).scalar_one())

    def _history_where(
        self,
        key: str | None,
        since: str | datetime | None,
        until: str | datetime | None,
        actor: str | None,
        trigger: str | None,
    ) -> builtins.list[ColumnElement[bool]]:
        where: builtins.list[ColumnElement[bool]] = []
        key = fields.filter_value("item", key)
        actor = fields.filter_value("actor", actor)
        trigger = fields.filter_value("trigger", trigger)
        if key is not None:
            where.append(history.c.item_id == self._item_id(key))
        start, stop = dates.period(since, until)
        if start is not None:
            where.append(history.c.occurred_at >= start)
        if stop is not None:
            where.append(history.c.occurred_at <= stop)
        if actor is not None:
            where.append(history.c.actor == actor)
        if trigger is not None:
            where.append(history.c.trigger == trigger.lower())
        return where

    def _item_id(self, key: str) -> int:
        with self._session() as session:
            found = session.execute(
                select(items.c.id).where(items.c.key_lower == key.lower())
            ).scalar()
        if found is None:
            raise ItemNotFound(key)
        return int(found)

    def as_of(self, when: str | datetime) -> builtins.list[ItemState]:
        """Every item's state on `when`, by effective date; items created later are left out."""
        moment = dates.parse_when(when)
        # An item not changed since `moment` stood then as it stands now (its row holds its last
        # entry's state, version and time): only the others need a look into history.
        unchanged = select(
            items.c.key,
            items.c.title,
            items.c.kind,
            items.c.state,
            items.c.version,
            items.c.changed_at,
            items.c.key_lower.label("sort_key"),
        ).where(items.c.changed_at <= moment)
        changed = (
            select(
                items.c.key,
                items.c.title,
                items.c.kind,
                history.c.to_state,
                history.c.version,
                history.c.occurred_at,
                items.c.key_lower.label("sort_key"),
            )
            .select_from(items)
            .join(history, history.c.id == self._last_entry(moment))
            .where(items.c.changed_at > moment)
        )
        query = union_all(unchanged, changed).order_by("sort_key")
        with self._session() as session:
            return [ItemState(*row[:6]) for row in session.execute(query).all()]

    def _last_entry(self, moment: datetime) -> Any:
        return as_of_sql.last_entry(moment)

    def add(
        self,
        key: str,
        title: str,
        kind: str,
        parties: Iterable[str] = (),
        description: str = "",
        *,
        at: str | datetime | None = None,
        actor: str | None = None,
        reason: str | None = None,
        source: str | None = None,
    ) -> Item:
        """A new item in its workflow's initial state, with its `create` history entry."""
        op = {
            "op": "add",
            "key": key,
            "title": title,
            "kind": kind,
            "parties": list(parties),
            "description": description,
            "at": at,
            "actor": actor,
            "reason": reason,
            "source": source,
        }
        return self._write_one(op).item

    def fire(
        self,
        key: str,
        trigger: str,
        *,
        reason: str | None = None,
        source: str | None = None,
        at: str | datetime | None = None,
        actor: str | None = None,
        expect_state: str | None = None,
        dry_run: bool = False,
    ) -> FireResult:
        """Fire one transition. NotAllowed (4) names the allowed triggers; Conflict (5) when
        `expect_state` does not match; `dry_run` checks everything and writes nothing."""
        return self.fire_many(
            [key],
            trigger,
            reason=reason,
            source=source,
            at=at,
            actor=actor,
            expect_state=expect_state,
            dry_run=dry_run,
        )[0]

    def fire_many(
        self,
        keys: Sequence[str],
        trigger: str,
        *,
        reason: str | None = None,
        source: str | None = None,
        at: str | datetime | None = None,
        actor: str | None = None,
        expect_state: str | None = None,
        dry_run: bool = False,
    ) -> builtins.list[FireResult]:
        """Fire one trigger on several items as one all-or-nothing batch."""
        ops = [
            {
                "op": "fire",
                "key": key,
                "trigger": trigger,
                "reason": reason,
                "source": source,
                "at": at,
                "actor": actor,
                "expect_state": expect_state,
            }
            for key in keys
        ]
        quiet = batches.numbered(ops, name_lines=False)
        return self._write(quiet, dry_run=dry_run, quiet_lines=True)[1]

    def comment(
        self,
        key: str,
        text: str,
        *,
        source: str | None = None,
        at: str | datetime | None = None,
        actor: str | None = None,
    ) -> FireResult:
        """A note on an item: a `comment` history entry that leaves its state as it is."""
        op = {
            "op": "comment",
            "key": key,
            "reason": text,
            "source": source,
            "at": at,
            "actor": actor,
        }
        return self._write_one(op)

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
        op = {
            "op": "edit",
            "key": key,
            "title": title,
            "description": description,
            "parties": list(parties) if parties is not None else None,
            "reason": reason,
            "actor": actor,
        }
        return self._write_one(op)

    def _write_one(self, op: dict[str, Any]) -> FireResult:
        quiet = batches.numbered([op], name_lines=False)
        return self._write(quiet, dry_run=False, quiet_lines=True)[1][0]

    def apply(
        self,
        operations: Iterable[Mapping[str, Any]] | Sequence[batches.Operation],
        *,
        dry_run: bool = False,
        progress: Progress = _no_progress,
    ) -> ApplyResult:
        """Run a batch of operations (add, fire, comment, edit) all or nothing. Accepts parsed
        `batch.Operation`s (errors name their line) or plain mappings (numbered from 1)."""
        listed: builtins.list[Any] = builtins.list(operations)
        parsed = all(isinstance(o, batches.Operation) for o in listed)
        ops: builtins.list[batches.Operation] = listed if parsed else batches.numbered(listed)
        return self._write(ops, dry_run=dry_run, quiet_lines=False, progress=progress)[0]

    def _write(
        self,
        ops: Sequence[batches.Operation],
        *,
        dry_run: bool,
        quiet_lines: bool,
        progress: Progress = _no_progress,
    ) -> tuple[ApplyResult, builtins.list[FireResult]]:
        if not ops:
            return ApplyResult(0, 0, 0, 0, dry_run), []
        if self._sqlite:
            run = self._write_sqlite(
                ops, dry_run=dry_run, quiet_lines=quiet_lines, progress=progress
            )
        else:
            with self._session(write=True) as session:
                run = Batch(
                    self.workflows,
                    session,
                    lambda: self.default_actor,
                    sqlite=False,
                    name_lines=not quiet_lines,
                )
                run.run(ops, progress)
                if dry_run:
                    session.rollback()
                else:
                    run.flush()
        summary = ApplyResult(
            added=run.counts["add"],
            fired=run.counts["fire"],
            commented=run.counts["comment"],
            edited=run.counts["edit"],
            dry_run=dry_run,
            keys=tuple(live.key for live in run.touched()),
        )
        return summary, run.results(dry_run)

    def _write_sqlite(
        self,
        ops: Sequence[batches.Operation],
        *,
        dry_run: bool,
        quiet_lines: bool,
        progress: Progress,
    ) -> Batch:
        """A batch on SQLite, straight on the pooled sqlite3 connection (the engine's connect
        settings applied): BEGIN IMMEDIATE, the batch, COMMIT (or ROLLBACK on any error or a dry
        run). A session's setup, events and commit cost a single fire more than its SQL does."""
        mine = threading.get_ident() == self._owner
        pooled = self._held if mine else None
        if pooled is None:
            try:
                pooled = self.engine.raw_connection()
            except SQLAlchemyError as exc:
                raise self._database_error(exc) from None
            if mine:
                self._held = pooled
                # Returned even when the tracker is never closed (no pool warning at exit).
                self._release = weakref.finalize(self, pooled.close)
        connection = pooled.driver_connection
        assert connection is not None
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                run = Batch(
                    self.workflows,
                    None,
                    lambda: self.default_actor,
                    sqlite=True,
                    name_lines=not quiet_lines,
                    driver=connection,
                )
                run.run(ops, progress)
                if not dry_run:
                    run.flush()
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("ROLLBACK" if dry_run else "COMMIT")
            return run
        except sqlite3.Error as exc:
            # The connection goes back to the pool (which resets it) rather than be kept.
            if mine:
                self._drop_held()
            else:
                pooled.close()
                pooled = None
            wrapped = DBAPIError.instance(None, None, exc, sqlite3.Error)
            raise self._database_error(wrapped) from None
        finally:
            if not mine and pooled is not None:
                pooled.close()

    def seed(self) -> int:
        """Load the seed items (tracker.seeds, from the news report) that are not here yet;
        returns how many were added. Running it again adds nothing."""
        from importlib import resources

        import yaml

        ops: list[dict[str, Any]] = []
        folder = resources.files("tracker.seeds")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".yaml"):
                continue
            data = yaml.safe_load(entry.read_text("utf-8"))
            for spec in data["items"]:
                ops.extend(_seed_ops(spec))
        # Another process seeding at the same moment wins with the same items (Conflict): then
        # they are present and there is nothing left to add.
        for attempt in range(3):
            present = {item.key.lower() for item in self.list()}
            fresh = [op for op in ops if op["key"].lower() not in present]
            try:
                return self.apply(fresh).added
            except Conflict:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # -- export, import, verify -------------------------------------------------------------

    def _time_text(self, column: Any) -> ColumnElement[str]:
        return time_text(column, self._sqlite)

    def export(self, out: TextIO, *, progress: Progress = _no_progress) -> tuple[int, int]:
        """Write the whole database as NDJSON: a header line, then items, then history entries
        (hashes included). Returns (items, entries)."""
        import json

        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        with self._snapshot() as session:
            n_items = session.execute(select(func.count()).select_from(items)).scalar_one()
            n_entries = session.execute(select(func.count()).select_from(history)).scalar_one()
            out.write(
                dumps(
                    {
                        "format": EXPORT_FORMAT,
                        "version": EXPORT_VERSION,
                        "items": n_items,
                        "entries": n_entries,
                    }
                )
                + "\n"
            )
            for row in session.execute(select(items).order_by(items.c.id)):
                record = self._item(row).to_json()
                del record["allowed_triggers"]
                record["workflow"] = row.workflow
                out.write(dumps({"type": "item", **record}) + "\n")
            query = (
                select(history, items.c.key)
                .join(items, items.c.id == history.c.item_id)
                .order_by(history.c.id)
                .execution_options(yield_per=5000)
            )
            for done, row in enumerate(session.execute(query), start=1):
                entry = self._entry(row)
                line = {"type": "entry", **entry.to_json(), "fields": entry.fields_json()}
                out.write(dumps(line) + "\n")
                if done % 5000 == 0:
                    progress(done)
        return n_items, n_entries

    def import_(
        self, lines: Iterable[str], *, merge: bool = False, progress: Progress = _no_progress
    ) -> tuple[int, int]:
        """Restore an export. Every chain is checked before anything is written; a database
        that already has items is refused unless `merge` (then only new keys are taken, and
        none of the file's keys may exist). Returns (items, entries)."""
        from .transfer import read_export

        dump = read_export(lines, self.workflows, actor=lambda: self.default_actor)
        with self._session(write=True) as session:
            existing = session.execute(select(func.count()).select_from(items)).scalar_one()
            if existing and not merge:
                raise Conflict(
                    f"the database already has {plural(existing, 'item')}; import into an "
                    "empty database, or pass --merge to add new items only"
                )
            clash = (
                session.execute(
                    select(items.c.key).where(items.c.key_lower.in_(list(dump.items)))
                ).first()
                if existing
                else None
            )
            if clash is not None:
                raise Conflict(f"item {clash[0]!r} is already in the database")
            dump.write(session, keep_ids=not existing, sqlite=self._sqlite, progress=progress)
        return len(dump.items), dump.entry_count

    def _stream(self, session: Session, query: Any, size: int = 20_000) -> Iterator[Sequence[Any]]:
        """A large read as lists of plain tuples straight from the driver (no per-row
        SQLAlchemy work); a server-side cursor on PostgreSQL, so memory stays flat."""
        sql = str(
            query.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True})
        )
        connection = session.connection().connection
        cursor = connection.cursor() if self._sqlite else connection.cursor(name="tracker_read")
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(size):
                yield rows
        finally:
            cursor.close()

    def verify(
        self,
        *,
        progress: Progress = _no_progress,
        split_from: int = SPLIT_VERIFY_FROM,
        anchor: str | Path | Anchor | None = None,
        trust: Sequence[str] = (),
    ) -> VerifyReport:
        """Replay every item's history: the hash chain, each from_state against the previous
        to_state, each trigger against the workflow, and the item's state, version, head and
        every field (key, title, kind, workflow, parties, description, created_at).

        With `anchor` (an anchor file or an Anchor), also prove that today's history extends
        the anchored one (`_verify_anchored`); `trust` pins the keys it may be signed by.

        A history spanning `split_from` entry ids or more is checked by two processes: this one
        takes the first 55 % of the ids, a child the rest (it also starts an interpreter and
        looks up where each chain stood); the report is the one a single pass makes.

        Everything is read in one snapshot (`_snapshot`), also while others write, by both
        processes: on PostgreSQL the child imports the one this transaction exports
        (pg_export_snapshot). SQLite cannot hand a snapshot to another process, so the child is
        given the item rows read here and reads no entry past the last one here: entries never
        change and SQLite gives ids in commit order, so those are exactly this snapshot's."""
        if anchor is not None:
            return self._verify_anchored(anchor, trust, progress=progress, split_from=split_from)
        with self._snapshot() as session:
            first, last = session.execute(
                select(func.min(history.c.id), func.max(history.c.id))
            ).one()
            if first is not None and last - first + 1 >= split_from and self._can_split:
                split = _Split(first + (last - first) * 11 // 20, last)
                if self._sqlite:
                    heads = self._stream(session, self._heads(fields=False))
                    split.heads = [tuple(row) for rows in heads for row in rows]
                else:
                    exported = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                    split.shared = str(exported)
                # This transaction stays open until both halves are read (an exported snapshot
                # lives as long as its transaction); this process reads its half in it.
                report = self._verify_split(session, split, progress)
            else:
                report = self._replay(progress=progress, session=session).report()
            derived = self._derived_problems(session)
        if not derived:
            return report
        from .transfer import ordered

        return dataclasses.replace(report, problems=ordered((*report.problems, *derived)))

    def _derived_problems(self, session: Session) -> builtins.list[Problem]:
        """The item columns no entry records but that follow from history, against it:
        `changed_at` (as-of trusts it) and `updated_at` are the last entry's occurred_at and
        recorded_at, `key_lower` (every lookup by key) is the key lower-cased. One pass over
        the items joined with the entry at their version; an item without one is the
        replay's problem already."""
        at_version = (history.c.item_id == items.c.id) & (history.c.version == items.c.version)
        query = (
            select(
                items.c.key,
                items.c.key_lower,
                self._time_text(items.c.changed_at),
                self._time_text(items.c.updated_at),
                self._time_text(history.c.occurred_at),
                self._time_text(history.c.recorded_at),
            )
            .join(history, at_version)
            .order_by(items.c.id)
        )
        problems = []
        for rows in self._stream(session, query):
            for key, lowered, changed, updated, occurred, recorded in rows:
                for name, has, follows in (
                    ("key_lower", lowered, key.lower()),
                    ("changed_at", changed, occurred),
                    ("updated_at", updated, recorded),
                ):
                    if has != follows:
                        message = (
                            f"{name}: the item has {fields.printable(str(has))}, its history "
                            f"{fields.printable(str(follows))}"
                        )
                        problems.append(Problem(key, None, message))
        return problems

    def anchor(self, key_file: str | Path | None = None) -> Anchor:
        """A signed statement of every item's chain head (tracker.anchor), read in one
        snapshot and signed with `key_file` (a team key), else this user's own key (created
        on first use). Refused (exit 7) if an item's row does not match its chain's last
        entry: an anchor of a broken chain would prove nothing (run `verify`)."""
        from . import anchor as anchors

        signer = anchors.signing_key(key_file)
        with self._snapshot() as session:
            rows = session.execute(self._chain_heads()).all()
        for key, _, _, version, last_hash, _, entry_hash in rows:
            if entry_hash != last_hash:
                raise VerificationFailed(
                    f"item {key!r}: its head (version {version}) is not its chain's last entry; "
                    "run `tracker verify` before anchoring"
                )
        return anchors.sign(
            (anchors.Head(key, version, last_hash) for key, _, _, version, last_hash, _, _ in rows),
            signer,
        )

    def _verify_anchored(
        self,
        anchor: str | Path | Anchor,
        trust: Sequence[str],
        *,
        progress: Progress,
        split_from: int,
    ) -> VerifyReport:
        """`verify` plus the anchor: first its signature, count and digest and whether its key
        is trusted (VerificationFailed, exit 7, if not), then every chain, then that each
        anchored head is still in its item's chain: the entry at the anchored version has the
        anchored hash. Since each hash covers the one before it, the whole anchored chain is
        then a prefix of today's."""
        from . import anchor as anchors

        parsed, claimed = (
            (anchor, anchor.key_id)
            if isinstance(anchor, anchors.Anchor)
            else (anchors.read(anchor))
        )
        check = anchors.check(parsed, claimed, trust)
        report = self.verify(progress=progress, split_from=split_from)
        problems = self._anchored_problems(parsed.heads)
        return dataclasses.replace(
            report,
            problems=(*report.problems, *problems),
            anchor=dataclasses.replace(check, ok=not problems),
        )

    def _chain_heads(self) -> Select[Any]:
        """Every item with the history entry at its version: (key, key_lower, id, version,
        last_hash, entry id, entry hash), the entry's columns null where there is none."""
        at_version = (history.c.item_id == items.c.id) & (history.c.version == items.c.version)
        return select(
            items.c.key,
            items.c.key_lower,
            items.c.id,
            items.c.version,
            items.c.last_hash,
            history.c.id,
            history.c.hash,
        ).outerjoin(history, at_version)

    def _anchored_problems(self, heads: Sequence[Head]) -> builtins.list[Problem]:
        """Each anchored head that is not in today's chain of its item, as a problem. Read
        from history itself: the entry at the item's version for the items whose version is
        the anchored one (one pass over the items), by (item, version) for the others."""
        found: dict[str, tuple[int, int | None, str | None]] = {}  # version, entry id, hash
        ids: dict[str, int] = {}
        with self._snapshot() as session:
            for _, lowered, item_id, version, _, entry_id, hash_ in session.execute(
                self._chain_heads()
            ):
                ids[lowered] = item_id
                found[lowered] = (version, entry_id, hash_)
            moved: dict[int, builtins.list[tuple[int, Head]]] = {}
            for head in heads:
                current = found.get(head.key.lower())
                if current is not None and current[0] != head.version:
                    moved.setdefault(head.version, []).append((ids[head.key.lower()], head))
            # The moved heads by version, 500 items a query: each row read is one wanted.
            for version, pairs in moved.items():
                for start in range(0, len(pairs), 500):
                    wanted = dict(pairs[start : start + 500])
                    query = select(history.c.item_id, history.c.id, history.c.hash).where(
                        history.c.version == version, history.c.item_id.in_(wanted)
                    )
                    for item_id, entry_id, hash_ in session.execute(query):
                        found[wanted.pop(item_id).key.lower()] = (version, entry_id, hash_)
                    for head in wanted.values():
                        found[head.key.lower()] = (version, None, None)
        problems = []
        for head in heads:
            known = found.get(head.key.lower())
            if known is None:
                message = f"anchored at version {head.version}, but the item is gone"
                problems.append(Problem(head.key, None, message))
            elif known[2] is None:
                message = (
                    f"anchored at version {head.version}, but its chain has no entry "
                    f"{head.version} now: history was cut"
                )
                problems.append(Problem(head.key, None, message))
            elif known[2] != head.hash:
                message = (
                    f"history rewritten: entry {head.version} has hash {known[2][:12]}…, "
                    f"the anchor says {head.hash[:12]}…"
                )
                problems.append(Problem(head.key, known[1], message))
        return problems

    @property
    def _can_split(self) -> bool:
        """Whether a child Python can open this database (not an in-memory SQLite one)."""
        return bool(sys.executable) and not in_memory(self.url)

    def _heads(self, *, fields: bool) -> Select[Any]:
        """Each item as `_replay` expects it, by id: id, key, workflow, state, version and head
        hash; with `fields` also every field the chain records."""
        columns: builtins.list[Any] = [
            items.c.id,
            items.c.key,
            items.c.workflow,
            items.c.state,
            items.c.version,
            items.c.last_hash,
        ]
        if fields:
            columns += [
                items.c.title,
                items.c.kind,
                items.c.parties,
                items.c.description,
                self._time_text(items.c.created_at),
            ]
        return select(*columns).order_by(items.c.id)

    def _replay(
        self,
        *,
        after: int | None = None,
        upto: int | None = None,
        progress: Progress,
        shared: str | None = None,
        session: Session | None = None,
        heads: Sequence[Sequence[Any]] | None = None,
    ) -> Replay:
        """Check the history entries with ids in (after, upto] (each bound when given), in id
        order. With `after`, each item's chain resumes from its last entry up to there: the
        state a single pass has at that point, whatever that entry's own check found; the
        item fields entries record are then left to the caller (`Replay.deferred`), who
        knows them up to `after`. One snapshot: `session`, else a `_snapshot` of its own
        (`shared`: one exported by another transaction). `heads`: the items' rows (as
        `_heads(fields=False)` reads them) when the caller read them in its snapshot."""
        from .db.chain import item_fields_text
        from .transfer import Replay

        replay = Replay(self.workflows, defer_fields=after is not None)
        reading = nullcontext(session) if session is not None else self._snapshot(shared)
        with reading as session:
            given = [heads] if heads is not None else None
            for item_rows in given or self._stream(session, self._heads(fields=after is None)):
                if after is not None:
                    for row in item_rows:
                        replay.expect(*row)
                    continue
                for (id_, key, workflow, state, version, head, title, kind, parties,
                     description, created) in item_rows:  # fmt: skip
                    row_fields = item_fields_text(
                        key,
                        title,
                        kind,
                        workflow,
                        fields.stored_parties(parties),
                        description,
                        created,
                    )
                    replay.expect(id_, key, workflow, state, version, head, row_fields)
            within = []
            if after is not None:
                within.append(history.c.id > after)
                last = (
                    select(func.max(history.c.id).label("id"))
                    .where(history.c.id <= after)
                    .group_by(history.c.item_id)
                    .subquery()
                )
                ends = select(
                    history.c.item_id,
                    history.c.version,
                    history.c.to_state,
                    self._time_text(history.c.occurred_at),
                    history.c.hash,
                ).join(last, history.c.id == last.c.id)
                for rows in self._stream(session, ends):
                    replay.resume(rows)
            if upto is not None:
                within.append(history.c.id <= upto)
            query = (
                select(
                    history.c.id,
                    history.c.item_id,
                    history.c.version,
                    history.c.trigger,
                    history.c.from_state,
                    history.c.to_state,
                    self._time_text(history.c.occurred_at),
                    self._time_text(history.c.recorded_at),
                    history.c.actor,
                    history.c.reason,
                    history.c.source,
                    history.c.hash,
                    history.c.fields,
                )
                .where(*within)
                .order_by(history.c.id)
            )
            done = 0
            for rows in self._stream(session, query):
                replay.check_rows(rows)
                done += len(rows)
                progress(done)
        return replay

    def _verify_split(self, session: Session, split: _Split, progress: Progress) -> VerifyReport:
        """Verify with a child process checking the entries after `boundary` and every item's
        end state while this one checks those up to it; then this one follows the item fields
        the child's entries record and compares every item's fields. Problems are ordered as
        one pass orders them. The child is a fresh interpreter: no fork of an open connection,
        and no re-run of the caller's main module as multiprocessing's spawn would do. It runs
        isolated (`-I`: no current directory, PYTHONPATH or user site on its path) and is told
        where this process's `tracker` package is, so it runs this very code and nothing
        planted beside it. It shows no progress of its own: the count here jumps by its
        entries at the end. This process reads in `session`, the child what `split` says."""
        from .transfer import ordered

        root = str(Path(__file__).resolve().parent.parent)  # the directory holding `tracker`
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from tracker.service import _verify_after as v; v()"
        )
        command = [sys.executable, "-I", "-c", code, root]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
            assert child.stdin is not None and child.stdout is not None
            tail: tuple[VerifyReport, Any, Any] | TrackerError | None = None
            try:
                pickle.dump((self.url, self.workflows, split), child.stdin)
                child.stdin.close()
                head = self._replay(upto=split.boundary, progress=progress, session=session)
                tail = pickle.load(child.stdout)
            except EOFError:
                pass
            finally:
                if tail is None:
                    child.kill()
        if isinstance(tail, TrackerError):
            raise tail
        if tail is None:
            raise DatabaseUnusable(f"verify: the checking process failed (exit {child.returncode})")
        report, deferred, only_there = tail
        head.take(deferred, only_there)
        fields = head.report(states=False)
        entries = head.entries + report.entries
        progress(entries)
        return VerifyReport(report.items, entries, ordered((*report.problems, *fields.problems)))

    # -- saved views, bulk fire, timeline spans ----------------------------------------------
    # Views are settings, not history: they may be replaced and deleted.

    def save_view(
        self,
        name: str,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        as_of: str | datetime | None = None,
        replace: bool = False,
        actor: str | None = None,
    ) -> View:
        """Save a named filter for every user of the database. Conflict (5) when the name is
        taken, unless `replace`. Names are short words, compared case-insensitively."""
        chosen = self._where(where, state, kind, party, text)
        saved = View(
            name=_view_name(name),
            state=chosen.state,
            kind=chosen.kind,
            party=chosen.party,
            text=chosen.text,
            as_of=dates.parse_when(as_of) if as_of is not None else None,
            created_at=dates.now(),
            created_by=fields.text("actor", actor) or self.default_actor,
        )
        data = saved.to_json()
        row = {
            "filters": json.dumps({k: data[k] for k in _VIEW_FILTERS}, ensure_ascii=False),
            "created_at": saved.created_at,
            "created_by": saved.created_by,
        }
        with self._session(write=True) as session:
            found = session.execute(select(views.c.id).where(views.c.name == saved.name)).scalar()
            if found is None:
                session.execute(insert(views).values(name=saved.name, **row))
            elif replace:
                session.execute(update(views).where(views.c.id == found).values(**row))
            else:
                raise Conflict(f"view {saved.name!r} already exists")
        return saved

    def views(self) -> builtins.list[View]:
        """Every saved view, in the order they were created (a replaced view keeps its place),
        so the numbers a front end gives them stay put. A row that cannot be read (written
        around the tracker: filters that are not a JSON object of texts, a bad date) is listed
        too, its filters unset and `broken` saying what is wrong, so that one bad row hides
        none of the others."""
        with self._session() as session:
            rows = session.execute(_VIEW_ROWS.order_by(views.c.id))
            return [_view(row) for row in rows]

    def view(self, name: str) -> View:
        """One saved view by name (case-insensitive). Raises NotFound (3), and UsageError (2)
        for a view whose row cannot be read (save it again with replace, or delete it)."""
        with self._session() as session:
            row = session.execute(_VIEW_ROWS.where(views.c.name == name.lower())).first()
        if row is None:
            raise NotFound(f"no view {name!r}")
        saved = _view(row)
        if saved.broken:
            raise UsageError(
                f"view {saved.name!r} cannot be used: {saved.broken} "
                "(save it again with --replace, or delete it)"
            )
        return saved

    def delete_view(self, name: str) -> None:
        """Delete a saved view. Raises NotFound (3) when there is none of that name."""
        with self._session(write=True) as session:
            found = session.execute(select(views.c.id).where(views.c.name == name.lower())).scalar()
            if found is None:
                raise NotFound(f"no view {name!r}")
            session.execute(delete(views).where(views.c.id == found))

    def _state(self, state: str | None) -> str | None:
        """A state filter: None, or a state of a loaded workflow, lower-cased."""
        state = fields.filter_value("state", state)
        if state is None:
            return None
        lowered = state.strip().lower()
        known = {s for workflow in self.workflows.by_name.values() for s in workflow.states}
        if lowered not in known:
            raise UsageError(f"no state {state!r} in any workflow ({', '.join(sorted(known))})")
        return lowered

    def keys(
        self,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
    ) -> builtins.list[str]:
        """The keys of the items matching every filter given, by key: what "mark all that
        match" selects, without loading whole items."""
        chosen = self._where(where, state, kind, party, text)
        return [row.key for row in self._targets(item_where(chosen, self._sqlite))]

    def _targets(self, where: Sequence[ColumnElement[bool]]) -> builtins.list[Any]:
        query = (
            select(items.c.key, items.c.state, items.c.workflow)
            .where(*where)
            .order_by(items.c.key_lower)
        )
        with self._session() as session:
            return builtins.list(session.execute(query))

    def check_fire(self, keys: Sequence[str], trigger: str) -> FireCheck:
        """Which of `keys` `trigger` may fire on now and which it may not (with each refused
        item's state and allowed triggers), for a bulk dialog to show before confirming.
        Writes nothing. ItemNotFound (3) for an unknown key, TriggerNotFound (3) for a
        trigger no workflow has."""
        return self._check(trigger, self._fire_targets(keys))

    def check_fire_all(self, keys: Sequence[str]) -> builtins.list[FireCheck]:
        """`check_fire` for every trigger of the workflows in force, from one read of the
        items: how many of `keys` each trigger would move (what a bulk dialog offers)."""
        targets = self._fire_targets(keys)
        triggers = dict.fromkeys(t for w in self.workflows.by_name.values() for t in w.triggers)
        return [self._check(trigger, targets) for trigger in triggers]

    def _fire_targets(self, keys: Sequence[str]) -> builtins.list[Any]:
        wanted = builtins.list(dict.fromkeys(k.lower() for k in keys))
        found: dict[str, Any] = {}
        for chosen in self._key_sets(wanted):
            for row in self._targets([chosen]):
                found[row.key.lower()] = row
        missing = next((k for k in keys if k.lower() not in found), None)
        if missing is not None:
            raise ItemNotFound(missing)
        return [found[k] for k in wanted]

    def _key_sets(self, lowered: builtins.list[str]) -> Iterator[ColumnElement[bool]]:
        return key_sets(lowered, self._sqlite)

    def _check(self, trigger: str, targets: Sequence[Any]) -> FireCheck:
        trigger = trigger.strip().lower()
        in_force = self.workflows.by_name
        if not any(trigger in workflow.triggers for workflow in in_force.values()):
            raise TriggerNotFound(f"no trigger {trigger!r} in any workflow")
        allowed: builtins.list[str] = []
        refused: builtins.list[Refusal] = []
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
        at: str | datetime | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> ApplyResult:
        """Fire `trigger` on every item matching the filters (as `list` selects them), as one
        all-or-nothing batch. NotAllowed (4), naming them, when the trigger is not allowed for
        some; Conflict (5) when an item changes state between selecting and writing. No
        match fires nothing (an empty result, not an error). `keys` come in key order."""
        chosen = self._where(where, state, kind, party, text)
        targets = self._targets(item_where(chosen, self._sqlite))
        if not targets:
            return ApplyResult(0, 0, 0, 0, dry_run)
        check = self._check(trigger, targets)
        if check.refused:
            shown = ", ".join(f"{r.key} ({r.state})" for r in check.refused[:5])
            more = f" and {len(check.refused) - 5} more" if len(check.refused) > 5 else ""
            raise NotAllowed(
                f"cannot {check.trigger} {len(check.refused)} of the "
                f"{plural(len(targets), 'matching item')}: {shown}{more}; "
                "narrow the selection (e.g. by state)"
            )
        ops = [
            {
                "op": "fire",
                "key": row.key,
                "trigger": check.trigger,
                "reason": reason,
                "source": source,
                "at": at,
                "actor": actor,
                # The state seen when selecting: a change in between is a conflict.
                "expect_state": row.state,
            }
            for row in targets
        ]
        quiet = batches.numbered(ops, name_lines=False)
        summary = self._write(quiet, dry_run=dry_run, quiet_lines=True)[0]
        return dataclasses.replace(summary, keys=tuple(row.key for row in targets))

    def spans(
        self,
        keys: Sequence[str] | None = None,
        *,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        where: Filter | None = None,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
    ) -> builtins.list[Span]:
        """Each item's history as spans, one per entry: the state it was in from that entry
        until the next (`end` None for the current one); by key, then time. Only spans that
        overlap [since, until]; `keys` and the filters (current state, kind, party, text)
        choose the items. ItemNotFound (3) for an unknown key."""
        if keys:
            for key in keys:
                self._item_id(key)
        start, stop = dates.period(since, until)
        query = (
            select(
                items.c.key,
                items.c.title,
                history.c.id,
                history.c.trigger,
                history.c.from_state,
                history.c.to_state,
                history.c.occurred_at,
                history.c.actor,
                history.c.reason,
                history.c.source,
            )
            .join(items, items.c.id == history.c.item_id)
            .where(
                *item_where(
                    self._where(where, state, kind, party, text), self._sqlite, keys or None
                )
            )
            .order_by(items.c.key_lower, history.c.version)
        )
        with self._session() as session:
            rows = builtins.list(session.execute(query))
        found: builtins.list[Span] = []
        for row, after in zip(rows, [*rows[1:], None], strict=True):
            end = after.occurred_at if after is not None and after.key == row.key else None
            if (stop is not None and row.occurred_at > stop) or (
                start is not None and end is not None and end < start
            ):
                continue
            found.append(
                Span(
                    key=row.key,
                    title=row.title,
                    state=row.to_state,
                    start=row.occurred_at,
                    end=end,
                    trigger=row.trigger,
                    from_state=row.from_state,
                    reason=row.reason,
                    actor=row.actor,
                    source=row.source,
                    entry_id=row.id,
                )
            )
        return found

    def _as_of_items(
        self,
        moment: datetime,
        chosen: Filter,
        order_by: str,
        descending: bool,
        limit: int | None,
        offset: int,
    ) -> builtins.list[Item]:
        """`list` as of a date: each item's state, version and change time from its last entry
        on or before `moment` (items created later are left out). No trigger is allowed on the
        past, so `allowed_triggers` is empty. Title, kind and parties are today's."""
        state = chosen.state
        where = item_where(dataclasses.replace(chosen, state=None), self._sqlite)
        if order_by in ("state", "changed_at", "updated_at"):
            # A sort on what the items were then reads every item: take the unchanged ones
            # from their rows and look up only the others.
            rows = as_of_sql.by_state_then(moment, where)
            column = rows.c.then_state if order_by == "state" else rows.c.then_at
            query = select(rows).order_by(column.desc() if descending else column.asc(), rows.c.id)
            if state is not None:
                query = query.where(rows.c.then_state == state)
        elif state is None:
            # Sorted by the items' own columns: an item existed then if it was created by
            # then, so the page is cut from `items` alone and only its rows are looked up.
            column = items.c.key_lower if order_by == "key" else items.c[order_by]
            order = [column.desc() if descending else column.asc(), items.c.id]
            existed = select(items).where(*where, items.c.created_at <= moment).order_by(*order)
            page = _page(existed, limit, offset).subquery("page")
            sort = page.c[column.name]
            query = as_of_sql.page_then(
                moment, page, [sort.desc() if descending else sort.asc(), page.c.id]
            )
            limit, offset = None, 0
        else:
            then = history.alias("then")
            where.append(then.c.to_state == state)
            column = items.c.key_lower if order_by == "key" else items.c[order_by]
            query = (
                as_of_sql.items_then(moment, then)
                .where(*where)
                .order_by(column.desc() if descending else column.asc(), items.c.id)
            )
        query = _page(query, limit, offset)
        with self._session() as session:
            return [
                Item(
                    key=row.key,
                    title=row.title,
                    kind=row.kind,
                    parties=tuple(row.parties.split()),
                    state=row.then_state,
                    version=row.then_version,
                    description=row.description,
                    created_at=row.created_at,
                    updated_at=row.then_at,
                    workflow=row.workflow,
                    allowed_triggers=(),
                    changed_at=row.then_at,
                )
                for row in session.execute(query)
            ]


_USER_VARIABLES = ("LOGNAME", "USER", "LNAME", "USERNAME")


@dataclasses.dataclass(slots=True)
class _Split:
    """What the child of a split verify checks, and in which snapshot: the entries with ids in
    (boundary, last]; on PostgreSQL in the `shared` (exported) snapshot, on SQLite with the
    parent's item rows (`heads`), the entries up to `last` being the same in any later read."""

    boundary: int
    last: int
    shared: str | None = None
    heads: builtins.list[tuple[Any, ...]] | None = None


_VIEW_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f]+-[0-9A-Fa-f]+(-[0-9]+)?$")
_VIEW_FILTERS = ("state", "kind", "party", "text", "as_of")


def _verify_after() -> None:
    """The child of a split verify: read (url, workflows, split) from stdin, check the entries
    after the boundary and every item's end state, in the parent's snapshot (`_Split`); write
    the report (or the error)."""
    gc.disable()  # a short-lived process; the collector would walk every chain again and again
    url, workflows, split = pickle.load(sys.stdin.buffer)
    result: tuple[VerifyReport, Any, Any] | TrackerError
    try:
        with Tracker(make_engine(url), url, workflows) as tracker:
            replay = tracker._replay(
                after=split.boundary,
                upto=split.last,
                progress=_no_progress,
                shared=split.shared,
                heads=split.heads,
            )
            result = replay.report(fields=False), replay.deferred, replay.only_here()
    except TrackerError as exc:
        result = exc
    pickle.dump(result, sys.stdout.buffer)


def _view_name(name: str) -> str:
    """A view name: a short word (a letter, then letters, digits, `_` or `-`; at most 32),
    lower-cased."""
    lowered = name.strip().lower()
    if not _VIEW_NAME.match(lowered):
        raise UsageError(
            f"bad view name {fields.printable(name)}: a short word of letters, digits, "
            "'_' or '-' (max 32)"
        )
    return lowered


# created_at as stored: on SQLite a text that SQL may have set to anything (see `_view`).
_VIEW_ROWS = select(
    views.c.name,
    views.c.filters,
    type_coerce(views.c.created_at, String).label("created_at"),
    views.c.created_by,
)


def _view(row: Any) -> View:
    """A saved view from its row. Rows are written by `save_view`, but a row changed by SQL
    may hold anything: then the view comes back with its filters unset and `broken` saying
    why, never an exception (one bad row made `view list` fail, exit 1)."""
    try:
        data = json.loads(row.filters)
        if not isinstance(data, dict):
            raise ValueError("the filters are not a JSON object")
        for name, value in data.items():
            if name not in _VIEW_FILTERS or not (value is None or isinstance(value, str)):
                raise ValueError(f"bad filter {name!r}: {value!r}")
        as_of = dates.parse_when(data["as_of"]) if data.get("as_of") else None
        created_at = utc_time(row.created_at)
    except (TypeError, ValueError, RecursionError, UsageError) as exc:
        return View(name=str(row.name), created_by=row.created_by, broken=str(exc)[:200])
    return View(
        name=row.name,
        state=data.get("state"),
        kind=data.get("kind"),
        party=data.get("party"),
        text=data.get("text"),
        as_of=as_of,
        created_at=created_at,
        created_by=row.created_by,
    )


def _seed_ops(spec: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    created, *changes = spec["history"]
    yield {
        "op": "add",
        "key": spec["key"],
        "title": spec["title"],
        "kind": spec["kind"],
        "parties": spec.get("parties", []),
        "description": spec.get("description", ""),
        **{k: v for k, v in created.items() if k != "trigger"},
    }
    for change in changes:
        yield {"op": "fire", "key": spec["key"], **change}
