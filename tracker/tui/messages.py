"""Messages the whole TUI shares. Screen-specific ones live with their screen."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message, bubble=False):
    """Something in the database changed (this app or another process wrote): reload."""


class WorkerFailed(Message):
    """A worker raised: the app turns this into a notification (the one place it happens)."""

    def __init__(self, error: BaseException, group: str) -> None:
        super().__init__()
        self.error = error
        self.group = group
