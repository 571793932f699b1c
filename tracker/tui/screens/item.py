"""Item detail: every field, the allowed triggers as buttons (and keys 1-9), the workflow
diagram with the current state marked, and the item's history as a timeline."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Header, Static

from ...records import HistoryEntry, Item, Span
from ...service import Tracker
from ...workflow import Workflow
from .. import text as lit
from ..messages import DataChanged
from ..widgets.footer import KeysFooter
from ..widgets.timeline import TimelineChart, describe
from .base import TrackerScreen

if TYPE_CHECKING:
    from textual.app import App

TIMELINE_LIMIT = 500


def field_lines(item: Item, state: str | None) -> Text:
    """The item's fields as `name  value` lines of literal text."""
    out = Text()
    rows: list[tuple[str, Text]] = [
        ("key", lit.literal(item.key, "bold")),
        ("title", lit.literal(item.title)),
        ("kind", lit.literal(item.kind)),
        ("workflow", lit.literal(item.workflow)),
        ("parties", lit.literal(" ".join(item.parties) or "-")),
        ("state", lit.state(state)),
        ("version", Text(str(item.version))),
        ("created", Text(lit.when(item.created_at))),
        ("last change", Text(lit.when(item.changed_at))),
    ]
    for name, value in rows:
        out.append(f"{name:>12}  ", style="dim")
        out.append_text(value)
        out.append("\n")
    out.append(f"{'description':>12}\n", style="dim")
    out.append_text(lit.literal_lines(item.description or "-"))
    return out


def diagram(workflow: Workflow, current: str | None) -> Text:
    """The workflow's text diagram with the current state's line highlighted."""
    lines = workflow.diagram(current, "text").splitlines()[1:]  # the first names it
    out = Text()
    for number, line in enumerate(lines):
        style = "reverse bold" if line.startswith("*") else ""
        out.append_text(lit.literal(line, style))
        if number < len(lines) - 1:
            out.append("\n")
    return out


class EntriesTable(DataTable[Any]):
    """The item's history: a DataTable with vim keys beside the arrows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="entries.vim_down"),
        Binding("k", "cursor_up", "Up", show=False, id="entries.vim_up"),
        Binding("g,home", "scroll_top", "First", show=False, id="entries.first"),
        Binding("G,end", "scroll_bottom", "Last", show=False, id="entries.last"),
    ]


class ItemScreen(TrackerScreen):
    """One item. Keys 1-9 fire the allowed triggers in the order of the buttons."""

    AUTO_FOCUS = "#timeline"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="item.back"),
        Binding("f", "fire", "Fire", id="item.fire"),
        Binding("c", "comment", "Comment", id="item.comment"),
        Binding("e", "edit", "Edit", id="item.edit"),
        Binding("h", "history", "History", id="item.history"),
        *[
            Binding(str(n), f"trigger({n})", f"Trigger {n}", show=False, id=f"item.trigger_{n}")
            for n in range(1, 10)
        ],
    ]

    class Loaded(Message):
        def __init__(
            self,
            item: Item,
            entries: builtins.list[HistoryEntry],
            workflow: Workflow,
            spans: builtins.list[Span],
        ) -> None:
            super().__init__()
            self.item = item
            self.entries = entries
            self.workflow = workflow
            self.spans = spans

    def __init__(self, tracker: Tracker, key: str, *, as_of: datetime | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.key = key
        self.as_of = as_of
        self.item: Item | None = None
        self.workflow: Workflow | None = None
        self.state: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="banner")
        with VerticalScroll(id="fields-box"):
            yield Static(id="fields")
        with Horizontal(id="workflow-row"):
            yield Static(id="diagram")
            with Vertical(id="triggers-box"):
                yield Static(Text("fire (keys 1-9, or f)", style="bold"))
                with Vertical(id="triggers"):
                    yield Static(id="triggers-note")
                    for number in range(1, 10):
                        yield Button(
                            str(number), id=f"trigger-{number}", classes="trigger", compact=True
                        )
        yield TimelineChart(id="band")
        yield Static(id="band-panel")
        yield Static("history (newest first)", id="timeline-title")
        yield EntriesTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def show(self, key: str, as_of: datetime | None) -> None:
        """Show another item on this (installed, reused) screen: cleared, then loaded."""
        self.key, self.as_of = key, as_of
        self.item, self.workflow, self.state = None, None, None
        if not self.is_mounted:
            return
        self.sub_title = key
        self.query_one("#fields", Static).update(Text("loading…", style="dim"))
        self.query_one("#diagram", Static).update("")
        self._show_triggers()
        self.query_one("#timeline", DataTable).clear()
        self.query_one("#band", TimelineChart).set_spans([])
        self._show_mode()
        self.query_one("#timeline", DataTable).focus()
        self.load()

    def _show_mode(self) -> None:
        self.set_class(self.as_of is not None, "-as-of")
        banner = ""
        if self.as_of is not None:
            banner = f" TIME TRAVEL: as of {lit.when(self.as_of)} UTC · read-only "
        self.query_one("#banner", Static).update(Text(banner, "bold"))
        self.refresh_bindings()

    def on_mount(self) -> None:
        self.sub_title = self.key
        table = self.query_one("#timeline", DataTable)
        for label, width in (
            ("effective", 16),
            ("trigger", 8),
            ("from → to", 21),
            ("actor", 16),
            ("reason", 28),
            ("source", 18),
        ):
            table.add_column(label, width=width, key=label)
        self._show_mode()
        self._show_triggers()
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="item", exit_on_error=False)
    def load(self) -> None:
        item = self.tracker.get(self.key)
        entries = self.tracker.history(
            item.key, until=self.as_of, newest_first=True, limit=TIMELINE_LIMIT
        )
        spans = self.tracker.spans([item.key], until=self.as_of)
        workflow = self.tracker.workflow(item.workflow)
        self.post_message(self.Loaded(item, entries, workflow, spans))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        item, entries, workflow = message.item, message.entries, message.workflow
        if item.key.lower() != self.key.lower():
            return  # a load for the item this screen showed before
        self.item, self.workflow = item, workflow
        if self.as_of is None:
            self.state = item.state
        else:
            self.state = entries[0].to_state if entries else None
        self.query_one("#fields", Static).update(field_lines(item, self.state))
        drawing = self.query_one("#diagram", Static)
        drawing.update(diagram(workflow, self.state))
        drawing.border_title = f"workflow {workflow.name}"
        self._show_triggers()
        self.query_one("#band", TimelineChart).set_spans(message.spans)
        table = self.query_one("#timeline", DataTable)
        table.clear()
        for entry in entries:
            change = f"{entry.from_state or '∅'} → {entry.to_state}"
            table.add_row(
                Text(lit.when(entry.occurred_at)),
                lit.literal(entry.trigger, "bold"),
                Text(change),
                lit.literal(entry.actor),
                lit.literal(entry.reason),
                lit.literal(entry.source),
                key=str(entry.id),
            )

    @on(TimelineChart.Selected)
    def _band_selected(self, message: TimelineChart.Selected) -> None:
        self.query_one("#band-panel", Static).update(describe(message.span))

    def _show_triggers(self) -> None:
        """Label the nine trigger buttons (built once, in compose) with the allowed triggers:
        relabelling is cheap where mounting new buttons on every open is not."""
        allowed = () if self.as_of is not None or self.item is None else self.item.allowed_triggers
        for number, button in enumerate(self.query(".trigger").results(Button), start=1):
            if number <= len(allowed):
                trigger = allowed[number - 1]
                button.label = Text(f"{number} {trigger}")
                button.display = True
            else:
                button.display = False
        note = self.query_one("#triggers-note", Static)
        if self.as_of is not None:
            note.update(Text("read-only (time travel)", style="dim"))
        elif self.item is not None and not allowed:
            note.update(Text("no triggers from this state", style="dim"))
        else:
            note.update("")
        note.display = bool(self.as_of is not None or (self.item is not None and not allowed))

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.load()

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("fire", "edit", "trigger", "comment"):
            if self.as_of is not None:
                return False
            if action == "trigger":
                allowed = self.item.allowed_triggers if self.item else ()
                return bool(parameters) and int(str(parameters[0])) <= len(allowed)
        return True

    @on(Button.Pressed, ".trigger")
    def _trigger_pressed(self, event: Button.Pressed) -> None:
        number = int((event.button.id or "trigger-0").rsplit("-", 1)[-1])
        self.action_trigger(number)

    def action_trigger(self, number: int) -> None:
        if self.item and 0 < number <= len(self.item.allowed_triggers):
            self.open_fire(self.item.allowed_triggers[number - 1])

    def action_fire(self) -> None:
        self.open_fire(None)

    def open_fire(self, trigger: str | None) -> None:
        from .fire import FireModal

        if self.item is None or self.as_of is not None:
            return
        self.app.push_screen(FireModal(self.tracker, self.item, trigger), self._after_write)

    def action_edit(self) -> None:
        from .item_form import ItemForm

        if self.item is None or self.as_of is not None:
            return
        self.app.push_screen(ItemForm(self.tracker, self.item), self._after_write)

    def action_comment(self) -> None:
        from .comment import CommentModal

        if self.item is None or self.as_of is not None:
            return
        self.app.push_screen(CommentModal(self.tracker, self.item.key), self._after_write)

    def action_history(self) -> None:
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.tracker, item=self.key))

    def _after_write(self, result: object) -> None:
        if result is None:
            return
        data_changed = getattr(self.app, "data_changed", None)
        if data_changed is not None:
            data_changed()


ITEM_SCREEN = "item"


def show_item(app: App[Any], tracker: Tracker, key: str, as_of: datetime | None) -> None:
    """Open `key` on the one installed item screen (built once: opening an item reuses it
    rather than building a screen, its CSS and footer each time); a second item screen
    only when the installed one is already in the stack (item -> history -> item)."""
    if not app.is_screen_installed(ITEM_SCREEN):
        app.install_screen(ItemScreen(tracker, key, as_of=as_of), ITEM_SCREEN)
    screen = app.get_screen(ITEM_SCREEN)
    assert isinstance(screen, ItemScreen)
    if screen in app.screen_stack:
        app.push_screen(ItemScreen(tracker, key, as_of=as_of))
        return
    screen.show(key, as_of)
    app.push_screen(ITEM_SCREEN)
