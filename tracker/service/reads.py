"""Tracker's reads of items: one item, a filtered page, counts, positions, keys, the
state of everything on a date, and an item's screen in one snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .. import dates
from ..records import Filter, Item, ItemPage
from ..store import as_of as past
from ..store import item_page, queries
from ..workflow import Workflow
from .part import Items, Keys, States, When
from .views import SavedViews


class Reads(SavedViews):
    """Items now and as they stood: `list` reads a saved view's filters, hence SavedViews."""

    def workflow(self, name: str | None = None, *, key: str | None = None) -> Workflow:
        """A workflow by name, the one an item follows (`key`), or the default one."""
        if key is not None:
            return self.workflows.get(self.get(key).workflow)
        return self.workflows.get("default" if name is None else name)

    def get(self, key: str) -> Item:
        """One item by key (case-insensitive). Raises ItemNotFound."""
        return queries.get(self.db, self.workflows, key)

    def get_many(self, keys: Sequence[str]) -> Items:
        """The items of `keys` (case-insensitive), each once, in the order given: one read
        however many keys. Raises ItemNotFound for the first key no item has."""
        return queries.get_many(self.db, self.workflows, keys)

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
        page = (order_by, descending, limit, offset)
        if as_of is None:
            now = queries.chosen(self.workflows, where, state, kind, party, text)
            query = queries.list_query(self.db, self.workflows, now, *page)
            return queries.read_items(self.db, self.workflows, query)
        chosen, sql = self._where(where, state, kind, party, text, then=True)
        queries.sort_column(order_by)
        return past.listed(self.db, dates.parse_when(as_of), chosen.state, sql, *page)

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

    def as_of(self, when: str | datetime) -> States:
        """Every item's state on `when`, by effective date; items created later are left out."""
        return past.states(self.db, dates.parse_when(when))

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

    def item_page(self, key: str, *, as_of: When = None, limit: int = 500) -> ItemPage:
        """Everything an item's screen shows, from one snapshot: the item, its state (then,
        with `as_of`), the triggers that may fire now (none in the past), its newest `limit`
        history entries up to `as_of`, newest first, and its timeline spans. ItemNotFound (3)."""
        then = None if as_of is None else dates.parse_when(as_of)
        return item_page.read(self.db, self.workflows, key, then, limit)
