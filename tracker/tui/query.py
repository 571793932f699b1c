"""What the items table shows: the filter typed in the filter box, the sort and the as-of date.
A value of its own, shared by the items, timeline and views screens and the navigation messages
(none of them imports another for it)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ..errors import TrackerError
from ..records import Filter


@dataclass(frozen=True, slots=True)
class Query:
    """What the table shows: the filter typed in the filter box (or why it cannot be used),
    the sort, and the as-of date (None: now)."""

    filter: Filter = field(default_factory=Filter)
    order_by: str = "key"
    descending: bool = False
    as_of: datetime | None = None
    # Why the typed filter cannot be used (then `filter` matches every item, and no rows show).
    problem: str | None = None
    # The built-in view "waiting on me": the items with a gated transition under way that
    # awaits a party the current actor may consent for (no filter words with it).
    waiting: bool = False

    @classmethod
    def parse(
        cls,
        typed: str,
        order_by: str = "key",
        descending: bool = False,
        as_of: datetime | None = None,
    ) -> Query:
        """The filter box read by the one filter syntax (`Filter.parse`): a filter it refuses
        is kept as the problem to show, never raised at a keystroke."""
        try:
            chosen, problem = Filter.parse(typed), None
        except TrackerError as exc:
            chosen, problem = Filter(), str(exc)
        return cls(chosen, order_by, descending, as_of, problem)

    @property
    def every_state(self) -> Filter:
        """The filter without its state: what the counts per state answer."""
        return replace(self.filter, state=None)
