"""Messages the whole TUI shares. Screen-specific ones live with their screen.

Screens never import one another: a screen that wants another one open posts one of the
`Open...` messages, and the app (the one module that knows every screen) opens it. So the
screens form no import cycle, and how a screen is opened (installed once, reused) is decided in
one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from .query import Query


class DataChanged(Message, bubble=False):
    """Something in the database changed (this app or another process wrote): reload."""


class WorkerFailed(Message):
    """A worker raised: the app turns this into a notification (the one place it happens)."""

    def __init__(self, error: BaseException, group: str) -> None:
        super().__init__()
        self.error = error
        self.group = group


class OpenItem(Message):
    """Open the item screen on `key` (as of `as_of`: read-only time travel; None: now)."""

    def __init__(self, key: str, as_of: datetime | None = None) -> None:
        super().__init__()
        self.key = key
        self.as_of = as_of


class OpenHistory(Message):
    """Open the history screen: every entry, or (with `item`) that item's, by its exact key."""

    def __init__(self, item: str | None = None) -> None:
        super().__init__()
        self.item = item


class OpenTimeline(Message):
    """Open the timeline of the items `query` matches."""

    def __init__(self, query: Query) -> None:
        super().__init__()
        self.query = query
