"""What every screen of the tracker shares."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerState

from ...errors import TrackerError
from ..messages import WorkerFailed


def settle_inputs(screen: Screen[Any]) -> None:
    """Turn cursor blink off where the app says so (snapshots must not depend on the clock)."""
    if getattr(screen.app, "cursor_blink", True):
        return
    for widget in screen.query(Input):
        widget.cursor_blink = False
    for area in screen.query(TextArea):
        area.cursor_blink = False


def forward_failure(screen: Screen[Any], event: Worker.StateChanged) -> None:
    """Worker state changes do not bubble: pass failures to the app, which reports them."""
    if event.state is WorkerState.ERROR and event.worker.error is not None:
        screen.app.post_message(WorkerFailed(event.worker.error, event.worker.group))


class TrackerScreen(Screen[None]):
    def on_mount(self) -> None:
        settle_inputs(self)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        forward_failure(self, event)


class TrackerModal(ModalScreen[Any]):
    class Refused(Message):
        """The service refused what the modal asked (shown in the modal, which stays open)."""

        def __init__(self, error: TrackerError) -> None:
            super().__init__()
            self.error = error

    def on_mount(self) -> None:
        settle_inputs(self)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        forward_failure(self, event)
