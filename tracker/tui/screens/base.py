"""What every screen of the tracker shares."""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.containers import VerticalScroll
from textual.errors import NoWidget
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static
from textual.worker import Worker, WorkerState

from ...errors import TrackerError
from ..messages import WorkerFailed

# Below this many rows a dialog's inputs, selects and buttons drop their borders (Textual's
# compact style): at 80x24 a form of four fields then fits without scrolling.
COMPACT_BELOW = 34


def settle_inputs(screen: Screen[Any]) -> None:
    """Turn cursor blink off where the app says so (snapshots must not depend on the clock)."""
    if getattr(screen.app, "cursor_blink", True):
        return
    for widget in screen.query(Input):
        widget.cursor_blink = False
    # By name: importing TextArea (and its document machinery) costs every start.
    for area in screen.query("TextArea"):
        area.cursor_blink = False  # type: ignore[attr-defined]


def forward_failure(screen: Screen[Any], event: Worker.StateChanged) -> None:
    """Worker state changes do not bubble: pass failures to the app, which reports them."""
    if event.state is WorkerState.ERROR and event.worker.error is not None:
        screen.app.post_message(WorkerFailed(event.worker.error, event.worker.group))


def fully_visible(widget: Widget) -> bool:
    """Whether every cell of `widget` is on screen (not scrolled away, not clipped)."""
    if not widget.is_attached or not widget.display:
        return False
    try:
        geometry = widget.screen.find_widget(widget)
    except NoWidget:  # not laid out (hidden, or not yet drawn)
        return False
    region = geometry.region
    return bool(region) and geometry.clip.intersection(region) == region


def refused_while_reading(
    screen: Screen[Any], event: events.Key, writes: set[str], way_back: str
) -> bool:
    """Say why a write key does nothing in time travel, and the keys back to now from this
    screen (`way_back`), rather than doing nothing silently. True when `event` was such a
    key (it is then handled)."""
    for binding in screen._bindings.key_to_bindings.get(event.key, []):
        if binding.action in writes:
            screen.notify(f"time travel is read-only: {way_back}", timeout=3)
            event.stop()
            return True
    return False


class Dialog(VerticalScroll, can_focus=False):
    """A dialog's box: it scrolls (to the focused field) but is no focus stop itself."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="dialog")


class Problem(Static):
    """A line that says what is wrong; it takes no room while there is nothing to say."""

    DEFAULT_CSS = """
    Problem {
        color: $error;
        height: auto;
    }
    """

    def on_mount(self) -> None:
        self.display = bool(str(self.content))

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        self.display = bool(str(content))


class TrackerScreen(Screen[None]):
    def on_mount(self) -> None:
        settle_inputs(self)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        forward_failure(self, event)


class TrackerModal(ModalScreen[Any]):
    """A dialog: its body scrolls to the focused field, its title and buttons stay in view
    (docked), and its footer shows its own keys. Enter in a field submits only while that
    field and the buttons are in view (`submit_allowed`)."""

    class Refused(Message):
        """The service refused what the modal asked (shown in the modal, which stays open)."""

        def __init__(self, error: TrackerError) -> None:
            super().__init__()
            self.error = error

    def on_mount(self) -> None:
        settle_inputs(self)
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        compact = self.app.size.height < COMPACT_BELOW
        for widget in self.query("Input, Select, Button").results():
            if isinstance(widget, Input | Select | Button):
                widget.compact = compact
        self.set_class(compact, "-compact")

    def submit_allowed(self, field: Widget | None = None) -> bool:
        """Whether a write may start now: the field Enter was pressed in (if any) and the
        buttons are on screen. Otherwise the field is scrolled into view and nothing is
        written: a write only ever comes from something the user can see."""
        widgets = [*self.query(".buttons Button").results(), *([field] if field else [])]
        hidden = [w for w in widgets if w.display and not fully_visible(w)]
        if not hidden:
            return True
        for widget in hidden:
            widget.scroll_visible(animate=False)
        return False

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        forward_failure(self, event)
