"""Tracker's reads of history: entries by filter, keyset pages of a search, timeline spans."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import EntryPosition, Filter, HistorySearch
from ..store import history as entries
from ..store import queries
from .part import Entries, Part, Spans, When


class History(Part):
    """History entries and spans."""

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
        """A page of the entries `search` matches (prefixes of key, actor, trigger; or one
        item's, by its exact `key`), newest first: the `limit` after position `after` (None:
        from the newest), or with `backwards` the `limit` just before it (None: the oldest,
        i.e. the last page). Keyset paging: every page costs the same, however deep (an
        entry's `position` is the next `after`)."""
        return entries.search_page(self.db, search, after, backwards, limit)

    def history_position(self, search: HistorySearch, index: int) -> EntryPosition | None:
        """The position of entry number `index` (0 = newest) of those `search` matches, to page
        from with `history_page` (a jump into the middle); None past the end."""
        return entries.search_position(self.db, search, index)

    def history_search_count(self, search: HistorySearch) -> int:
        """How many entries `search` matches."""
        return entries.search_count(self.db, search)

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
