"""Tracker: the one service API under the CLI, the TUI and Python scripts.

A facade: each method checks its arguments and hands the work to the module that does it
(store/ reads and writes, audit/ verifies, formats/ reads files). Every operation is one
transaction that fully happens or leaves no trace. Records that leave here are frozen
dataclasses (tracker.records); errors come from tracker.errors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias

from sqlalchemy import Engine

from . import dates, fields, parties
from .audit import SPLIT_VERIFY_FROM
from .errors import Conflict, UsageError
from .operations import Add, Approve, Comment, Edit, Fire, Operation, Withdraw, checked, typed
from .records import (
    ApplyResult,
    EntryPosition,
    Filter,
    FireCheck,
    FireResult,
    HistoryEntry,
    HistorySearch,
    Item,
    ItemPage,
    ItemState,
    Pending,
    Span,
    VerifyReport,
    View,
)
from .store import apply as applying
from .store import as_of as past
from .store import consents, item_page, queries
from .store import history as entries
from .store import views as saved_views
from .store.batch import Progress
from .store.database import Database
from .store.engine import ensure_schema, in_memory, make_engine, resolve_url, safe_url, sqlite_file
from .store.queries import SORTABLE
from .workflow import Workflow, Workflows

if TYPE_CHECKING:
    from .audit.anchor import Anchor

__all__ = ["SORTABLE", "SPLIT_VERIFY_FROM", "Tracker"]

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


def _no_progress(_done: int) -> None:
    pass


class Tracker:
    """The tracker over one database. Open with `Tracker.open(url)`; close with `close()`
    or use it as a context manager."""

    def __init__(self, engine: Engine, url: str, workflows: Workflows) -> None:
        self.engine = engine
        self.url = url
        self.workflows = workflows
        self.db = Database(engine, url)

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

    @property
    def default_actor(self) -> str:
        """Who a change is by when no actor is given: the OS user on SQLite, the database
        role (current_user) on PostgreSQL; a UsageError when it is not a usable actor."""
        return self.db.default_actor

    # -- reading ------------------------------------------------------------------------------

    def workflow(self, name: str | None = None, *, key: str | None = None) -> Workflow:
        """A workflow by name, the one an item follows (`key`), or the default one."""
        if key is not None:
            return self.workflows.get(self.get(key).workflow)
        return self.workflows.get("default" if name is None else name)

    def get(self, key: str) -> Item:
        """One item by key (case-insensitive). Raises ItemNotFound."""
        return queries.get(self.db, self.workflows, key)

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
        as_of: When = None,
        view: str | None = None,
    ) -> Items:
        """Items matching the filter (`where`, and the keywords state, kind, party, text in
        key or title, which win over it), sorted by `order_by` (one of SORTABLE), a page at a
        time with `limit`/`offset`. `view` names a saved view whose filters apply where no
        explicit one is given; with `as_of` (given or the view's) the items are as they stood
        then."""
        if view is not None:
            saved = self.view(view)
            where = (where if where is not None else Filter()).over(saved.filter)
            as_of = as_of if as_of is not None else saved.as_of
        chosen, sql = self._where(where, state, kind, party, text, then=as_of is not None)
        queries.sort_column(order_by)
        page = (order_by, descending, limit, offset)
        if as_of is not None:
            return past.listed(self.db, dates.parse_when(as_of), chosen.state, sql, *page)
        return queries.listed(self.db, self.workflows, sql, *page)

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
        and order; None when the filters leave it out. Raises ItemNotFound."""
        queries.sort_column(order_by)
        sql = self._where(where, state, kind, party, text)[1]
        return queries.position(self.db, key, sql, order_by, descending)

    def kinds(self) -> Keys:
        """The kinds the items have, sorted."""
        return queries.kinds(self.db)

    def count(
        self,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        as_of: When = None,
    ) -> dict[str, int]:
        """How many items match, per state (with `as_of`: per state then, of the items that
        existed then, as `list(as_of=...)` pages them)."""
        chosen, sql = self._where(where, state, kind, party, text, then=as_of is not None)
        if as_of is None:
            return queries.count(self.db, sql)
        return past.count(self.db, dates.parse_when(as_of), chosen.state, sql)

    def last_change(self) -> tuple[int, int, int, str]:
        """A mark that differs after every write, by any process: poll it and compare it with
        the last one seen to know cheaply whether anything changed (live refresh)."""
        return queries.last_change(self.db)

    def history(
        self,
        key: str | None = None,
        *,
        since: When = None,
        until: When = None,
        actor: str | None = None,
        trigger: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> Entries:
        """History entries, oldest first by effective date (or newest first), filtered by item,
        effective-date range (inclusive), actor and trigger. One read transaction."""
        with self.db.read():
            where = entries.where(self.db, key, since, until, actor, trigger)
            return entries.entries(
                self.db,
                where,
                by_item=key is not None,
                newest_first=newest_first,
                limit=limit,
                offset=offset,
            )

    def history_count(
        self,
        key: str | None = None,
        *,
        since: When = None,
        until: When = None,
        actor: str | None = None,
        trigger: str | None = None,
    ) -> int:
        """How many entries `history()` returns with the same filters (for paging)."""
        with self.db.read():
            where = entries.where(self.db, key, since, until, actor, trigger)
            return entries.count(self.db, where)

    def history_page(
        self,
        search: HistorySearch,
        *,
        after: EntryPosition | None = None,
        backwards: bool = False,
        limit: int = 100,
    ) -> Entries:
        """A page of the entries `search` matches (prefixes of key, actor, trigger), newest
        first: the `limit` after position `after` (None: from the newest), or with `backwards`
        the `limit` just before it (None: the oldest, i.e. the last page). Keyset paging: every
        page costs the same, however deep (an entry's `position` is the next `after`)."""
        return entries.search_page(self.db, search, after, backwards, limit)

    def history_position(self, search: HistorySearch, index: int) -> EntryPosition | None:
        """The position of entry number `index` (0 = newest) of those `search` matches, to page
        from with `history_page` (a jump into the middle); None past the end."""
        return entries.search_position(self.db, search, index)

    def history_search_count(self, search: HistorySearch) -> int:
        """How many entries `search` matches."""
        return entries.search_count(self.db, search)

    def as_of(self, when: str | datetime) -> States:
        """Every item's state on `when`, by effective date; items created later are left out."""
        return past.states(self.db, dates.parse_when(when))

    # -- writing ------------------------------------------------------------------------------

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

    def approve(
        self,
        key: str,
        trigger: str,
        *,
        party: str,
        reason: str | None = None,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
    ) -> FireResult:
        """`party`'s consent to the gated `trigger` from the item's state (SPEC "Approvals"):
        an `approve` entry. The consent that completes the set also fires the trigger in the
        same transaction: then the result's entry is that transition's (it names the consents
        it rests on), else the approve entry. NotAllowed (4) when the trigger needs no consent
        here, or not this party's, or has it already; the trigger's required fields are
        required here too."""
        op = Approve(key, trigger, party, reason, source, at, actor)
        return self._write([op])[1][0]

    def withdraw(
        self,
        key: str,
        trigger: str,
        *,
        party: str,
        reason: str | None = None,
        source: str | None = None,
        at: When = None,
        actor: str | None = None,
    ) -> FireResult:
        """Take back `party`'s consent to `trigger` (a `withdraw` entry); NotAllowed (4) if
        it is not in effect."""
        op = Withdraw(key, trigger, party, reason, source, at, actor)
        return self._write([op])[1][0]

    def speaks_for(self, actor: str | None = None) -> tuple[str, ...] | None:
        """The parties `actor` (default: the default actor) may consent for, by the
        actor-to-party map (tracker.parties: parties.toml in the user config directory, or
        TRACKER_PARTIES); None when there is no map, so every party. A map that cannot be
        used is a UsageError (exit 2) naming the file and line. On PostgreSQL the database
        checks role membership too (tracker_party_<p>, docs/roles.sql), which this does not
        read: an actor mapped to a party whose role it lacks is still refused there."""
        who = fields.text("actor", actor, required=actor is not None) or self.default_actor
        return parties.speaks_for(who, parties.load())

    def pending(
        self, *, party: str | None = None, key: str | None = None, at: When = None
    ) -> Waiting:
        """Every gated transition with at least one consent in effect, by key and trigger:
        who must consent, who has (when, why), who is awaited, since when. `party`: only those
        awaiting that party's consent; `key`: one item's (ItemNotFound if none); `at`: as
        history stood on that date (state then; title and parties today's)."""
        party = fields.filter_value("party", party)
        wanted = fields.party(party) if party is not None else None
        item_id = entries.item_id(self.db, key) if key is not None else None
        moment = dates.parse_when(at) if at is not None else None
        return consents.pending(self.db, self.workflows, item_id, moment, wanted)

    def _write(
        self, ops: Sequence[Operation], dry_run: bool = False
    ) -> tuple[ApplyResult, Results]:
        """API operations as one batch (errors name no batch line)."""
        quiet = [checked(op, name_lines=False) for op in ops]
        return applying.write(self.db, self.workflows, quiet, dry_run=dry_run, quiet_lines=True)

    def apply(
        self,
        operations: Iterable[Operation | Mapping[str, Any]],
        *,
        dry_run: bool = False,
        progress: Progress = _no_progress,
    ) -> ApplyResult:
        """Run a batch of operations (add, fire, comment, edit) all or nothing. Accepts typed
        operations (`Add`, `Fire`...; from a batch file they name their line in errors) or
        plain mappings with an `op` field; those without a line are numbered from 1."""
        with applying.no_collection():
            ops = typed(operations)
            db, workflows = self.db, self.workflows
            return applying.write(
                db, workflows, ops, dry_run=dry_run, quiet_lines=False, progress=progress
            )[0]

    def seed(self) -> int:
        """Load the seed items (tracker.seeds, from the news report) that are not here yet;
        returns how many were added. Running it again adds nothing."""
        from .formats import seeds

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

    # -- export, import, verify -------------------------------------------------------------

    def export(self, out: TextIO, *, progress: Progress = _no_progress) -> tuple[int, int]:
        """Write the whole database as NDJSON: a header line, then items, then history entries
        (hashes included), read in one snapshot. Returns (items, entries)."""
        from .store.export import export

        return export(self.db, self.workflows, out, progress)

    def import_(
        self, lines: Iterable[str], *, merge: bool = False, progress: Progress = _no_progress
    ) -> tuple[int, int]:
        """Restore an export. Every chain is checked before anything is written; a database
        that already has items is refused unless `merge` (then only new keys are taken, and
        none of the file's keys may exist). Returns (items, entries)."""
        from .store.importer import import_

        return import_(self.db, self.workflows, lines, merge=merge, progress=progress)

    def verify(
        self,
        *,
        progress: Progress = _no_progress,
        split_from: int = SPLIT_VERIFY_FROM,
        anchor: str | Path | Anchor | None = None,
        trust: Sequence[str] = (),
    ) -> VerifyReport:
        """Replay every item's history in one snapshot: the hash chain, each from_state against
        the previous to_state, each trigger against the workflow, and the item's state,
        version, head and every field. A history spanning `split_from` entry ids or more is
        checked by two processes (audit.split); the report is the one a single pass makes.
        With `anchor` (a file or an Anchor), also prove that today's history extends the
        anchored one; `trust` pins the keys it may be signed by."""
        from .audit import anchored, verify

        if anchor is None:
            return verify.verify(self.db, self.workflows, progress=progress, split_from=split_from)
        return anchored.verify_anchored(
            self.db, self.workflows, anchor, trust, progress=progress, split_from=split_from
        )

    def anchor(self, key_file: str | Path | None = None) -> Anchor:
        """A signed statement of every item's chain head (tracker.audit.anchor), read in one
        snapshot and signed with `key_file` (a team key), else this user's own key (created
        on first use). Refused (exit 7) if an item's row does not match its chain's last
        entry: an anchor of a broken chain would prove nothing (run `verify`)."""
        from .audit import anchored

        return anchored.anchor(self.db, key_file)

    # -- saved views, bulk fire, timeline spans ----------------------------------------------

    def save_view(
        self,
        name: str,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
        as_of: When = None,
        replace: bool = False,
        actor: str | None = None,
    ) -> View:
        """Save a named filter for every user of the database. Conflict (5) when the name is
        taken, unless `replace`. Names are short words, compared case-insensitively."""
        chosen = queries.chosen(self.workflows, where, state, kind, party, text)
        saved = View(
            name=saved_views.name_of(name),
            filter=chosen,
            as_of=dates.parse_when(as_of) if as_of is not None else None,
            created_at=dates.now(),
            created_by=fields.text("actor", actor) or self.default_actor,
        )
        saved_views.save(self.db, saved, replace=replace)
        return saved

    def views(self) -> Views:
        """Every saved view, in the order they were created (a replaced view keeps its place).
        A row that cannot be read is listed too, its filters unset and `broken` saying what is
        wrong, so that one bad row hides none of the others."""
        return saved_views.every(self.db)

    def view(self, name: str) -> View:
        """One saved view by name (case-insensitive). Raises NotFound (3), and UsageError (2)
        for a view whose row cannot be read (save it again with replace, or delete it)."""
        return saved_views.one(self.db, name)

    def delete_view(self, name: str) -> None:
        """Delete a saved view. Raises NotFound (3) when there is none of that name."""
        saved_views.remove(self.db, name)

    def keys(
        self,
        where: Filter | None = None,
        *,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
    ) -> Keys:
        """The keys of the items matching every filter given, by key: what "mark all that
        match" selects, without loading whole items."""
        sql = self._where(where, state, kind, party, text)[1]
        return [row.key for row in queries.targets(self.db, sql)]

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

    def spans(
        self,
        keys: Sequence[str] | None = None,
        *,
        since: When = None,
        until: When = None,
        where: Filter | None = None,
        state: str | None = None,
        kind: str | None = None,
        party: str | None = None,
        text: str | None = None,
    ) -> Spans:
        """Each item's history as spans, one per entry: the state it was in from that entry
        until the next (`end` None for the current one); by key, then time. Only spans that
        overlap [since, until]; `keys` and the filters (current state, kind, party, text)
        choose the items. ItemNotFound (3) for an unknown key. One read transaction."""
        chosen = queries.chosen(self.workflows, where, state, kind, party, text)
        with self.db.read():
            entries.known(self.db, keys or ())
            return entries.spans(
                self.db,
                queries.conditions(self.db, self.workflows, chosen, keys or None),
                since,
                until,
            )

    def item_page(self, key: str, *, as_of: When = None, limit: int = 500) -> ItemPage:
        """Everything an item's screen shows, from one snapshot: the item, its state (then,
        with `as_of`), the triggers that may fire now (none in the past), its newest `limit`
        history entries up to `as_of`, newest first, and its timeline spans. ItemNotFound (3)."""
        then = None if as_of is None else dates.parse_when(as_of)
        return item_page.read(self.db, self.workflows, key, then, limit)
