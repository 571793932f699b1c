"""The TUI's App: it wires screens together, polls for changes and reports errors. Screens
own their behaviour; this class stays small.

Architecture rules (see CONTRIBUTING.md): database work runs only in thread workers that post
messages back; widgets change only in message handlers; every binding has an `id` so a user
key map (`make_app(keymap=...)`) can rebind it. Screens never import one another: they post
`OpenItem`, `OpenHistory` or `OpenTimeline` (tracker.tui.messages) and the app opens the screen
(dialogs, which open nothing further, are pushed by the screen that needs their answer).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType, Keymap
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..errors import TrackerError
from ..render.palette import Palette
from ..service import Tracker
from . import text as lit
from .commands import TrackerCommands
from .messages import DataChanged, OpenHistory, OpenItem, OpenTimeline, WorkerFailed
from .screens.items import ItemsScreen


class TrackerApp(App[None]):
    """Items, item detail, history and time travel over one Tracker."""

    CSS_PATH = "tracker.tcss"
    TITLE = "tracker"
    COMMANDS: ClassVar = App.COMMANDS | {TrackerCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="app.theme"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False, priority=True),
    ]

    class LastChange(Message):
        def __init__(self, value: tuple[int, int, int, str]) -> None:
            super().__init__()
            self.value = value

    def __init__(
        self,
        tracker: Tracker,
        *,
        poll_interval: float | None = 1.0,
        cursor_blink: bool = True,
        as_of: datetime | None = None,
    ) -> None:
        super().__init__()
        self.tracker = tracker
        lit.use_palette(Palette.of(tracker.workflows.by_name.values()))
        self.poll_interval = poll_interval
        self.cursor_blink = cursor_blink
        self.start_as_of = as_of
        self._seen: tuple[int, int, int, str] | None = None
        self._last_poll_error: str | None = None
        self.keymap_problems: list[str] = []
        self.keymap_source: Path | None = None

    def on_mount(self) -> None:
        if self.keymap_problems:
            where = str(self.keymap_source or "key map")
            self.notify(
                "\n".join(self.keymap_problems),
                title=f"key map {where}",
                severity="warning",
                markup=False,
                timeout=10,
            )
        self.sub_title = self.tracker.url.rsplit("/", 1)[-1]
        self.push_screen(ItemsScreen(self.tracker, as_of=self.start_as_of))
        if self.poll_interval:
            self.poll()
            self.set_interval(self.poll_interval, self.poll)

    # -- live refresh -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        self.post_message(self.LastChange(self.tracker.last_change()))

    @on(LastChange)
    def _changed(self, message: LastChange) -> None:
        self._last_poll_error = None
        if self._seen is not None and message.value != self._seen:
            self.data_changed()
        self._seen = message.value

    def data_changed(self) -> None:
        """Tell every screen in the stack to reload (after this app's own writes, too)."""
        for screen in self.screen_stack:
            screen.post_message(DataChanged())

    # -- errors: the one place they become notifications ------------------------------------

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkerFailed(event.worker.error, event.worker.group))

    @on(WorkerFailed)
    def _worker_failed(self, event: WorkerFailed) -> None:
        message = describe(event.error)
        if event.group == "poll":
            if message == self._last_poll_error:
                return  # the database is still gone: say it once
            self._last_poll_error = message
        self.notify(message, title="error", severity="error", markup=False, timeout=8)

    # -- navigation: screens ask, the app opens ---------------------------------------------

    @on(OpenItem)
    def _open_item(self, message: OpenItem) -> None:
        """Open the item on the one installed item screen (built once: opening an item reuses
        it rather than building a screen, its CSS and footer each time); a second item screen
        only when the installed one is already in the stack (item -> history -> item)."""
        from .screens.item import ItemScreen

        if not self.is_screen_installed(ITEM_SCREEN):
            self.install_screen(
                ItemScreen(self.tracker, message.key, as_of=message.as_of), ITEM_SCREEN
            )
        screen = self.get_screen(ITEM_SCREEN)
        assert isinstance(screen, ItemScreen)
        if screen in self.screen_stack:
            self.push_screen(ItemScreen(self.tracker, message.key, as_of=message.as_of))
            return
        screen.show(message.key, message.as_of)
        self.push_screen(ITEM_SCREEN)

    @on(OpenHistory)
    def _open_history(self, message: OpenHistory) -> None:
        from .screens.history import HistoryScreen

        self.push_screen(HistoryScreen(self.tracker, item=message.item))

    @on(OpenTimeline)
    def _open_timeline(self, message: OpenTimeline) -> None:
        from .screens.timeline import TimelineScreen

        self.push_screen(TimelineScreen(self.tracker, message.query))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands but its "Keys" (its help panel): the tracker's own
        "Keys" command opens `?`, so the palette lists Keys once."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command

    def action_toggle_theme(self) -> None:
        """Switch between Textual's dark and light themes (ctrl+p "theme" offers them all)."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        from .screens.help import HelpScreen  # not needed for the first rows

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))


ITEM_SCREEN = "item"


def describe(error: BaseException) -> str:
    """An error as one line for a person (no traceback)."""
    if isinstance(error, TrackerError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


def make_app(
    tracker: Tracker,
    *,
    poll_interval: float | None = 1.0,
    cursor_blink: bool = True,
    keymap: Keymap | None = None,
    keys_file: Path | None = None,
    as_of: datetime | None = None,
) -> TrackerApp:
    """Build the app with fixed settings (tests turn polling and cursor blink off).
    `keys_file` is a user key map (TOML, see tracker.tui.keymap); `keymap` is applied
    over it."""
    from .keymap import binding_ids, collisions, load_keymap

    app = TrackerApp(tracker, poll_interval=poll_interval, cursor_blink=cursor_blink, as_of=as_of)
    combined: dict[str, str] = {}
    if keys_file is not None:
        loaded, app.keymap_problems = load_keymap(keys_file, lambda: binding_ids(binding_classes()))
        app.keymap_source = keys_file
        combined.update(loaded)
    combined.update(keymap or {})
    if combined:
        app.keymap_problems.extend(collisions(combined, binding_classes()))
        app.set_keymap(combined)
    return app


def binding_classes() -> tuple[type[Any], ...]:
    """Every class of the TUI that declares bindings (what a key map may name, and where
    two bindings may collide): asked only when there is a key map, as it imports every
    screen."""
    from .screens.as_of import AsOfModal
    from .screens.bulk import BulkFireModal
    from .screens.bulk_consent import BulkConsentModal
    from .screens.comment import CommentModal
    from .screens.consent import ConsentModal
    from .screens.fire import FireModal
    from .screens.help import HelpScreen
    from .screens.history import HistoryScreen
    from .screens.item import EntriesTable, ItemScreen
    from .screens.item_form import ItemForm
    from .screens.items import ItemsScreen
    from .screens.timeline import TimelineScreen
    from .screens.views import DeleteViewModal, SaveViewModal
    from .widgets.timeline import TimelineChart
    from .widgets.views_list import ViewsList
    from .widgets.virtual_table import VirtualTable

    return (
        TrackerApp,
        ItemsScreen,
        ItemScreen,
        HistoryScreen,
        TimelineScreen,
        FireModal,
        BulkFireModal,
        CommentModal,
        ConsentModal,
        BulkConsentModal,
        ItemForm,
        AsOfModal,
        SaveViewModal,
        DeleteViewModal,
        HelpScreen,
        VirtualTable,
        ViewsList,
        TimelineChart,
        EntriesTable,
    )


def run(tracker: Tracker) -> None:
    """Open the TUI on `tracker` (what `tracker` and `tracker tui` do), with the user's
    key map (user_config_dir("tracker")/keys.toml) if there is one."""
    from .keymap import keys_file

    make_app(tracker, keys_file=keys_file()).run()
