"""Item detail: every field, the allowed triggers as buttons (and keys 1-9), the workflow
diagram with the current state marked, and the item's history as a timeline band and a
table, the selected entry in full above the table."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Header, Static

from ...records import HistoryEntry, Item, ItemPage
from ...service import Tracker
from ...workflow import Workflow
from .. import text as lit
from ..gates import Gate, item_gates, noted_reason
from ..messages import DataChanged, OpenHistory
from ..widgets.footer import KeysFooter
from ..widgets.item_text import consent_lines, diagram, field_lines
from ..widgets.summary_line import SummaryLine
from ..widgets.timeline import TimelineChart, describe, entry_text
from .base import TrackerScreen, refused_while_reading

TIMELINE_LIMIT = 500
HISTORY_TITLE = "history (newest first)"


def history_title(page: ItemPage) -> str:
    """The history table's heading: with more entries than the screen reads, how many it
    shows of how many (the item's version counts them; as of a date, unknown) and where
    the rest are."""
    shown = len(page.entries)
    total = page.item.version if page.as_of is None else None
    if (total or 0) <= shown and (total is not None or shown < TIMELINE_LIMIT):
        return HISTORY_TITLE
    of = f" of {total:,}" if total is not None else ""
    return f"history: the newest {shown:,}{of} (h: every entry)"


class EntriesTable(DataTable[Any]):
    """The item's history: a DataTable with vim keys beside the arrows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="entries.vim_down"),
        Binding("k", "cursor_up", "Up", show=False, id="entries.vim_up"),
        Binding("g,home", "scroll_top", "First", show=False, id="entries.first"),
        Binding("G,end", "scroll_bottom", "Last", show=False, id="entries.last"),
    ]


# The entries table's fixed columns; the reason takes the rest of the width, and the actor
# and source columns show only where there is room (the panel above shows them in full).
FIXED_COLUMNS = (("effective", 16), ("trigger", 9), ("from → to", 21))
WIDE_COLUMNS = (("actor", 14), ("source", 18))
WIDE = 110
WRITES = {"fire", "edit", "trigger", "comment", "approve", "withdraw"}


class ItemScreen(TrackerScreen):
    """One item. Keys 1-9 fire the allowed triggers in the order of the buttons.

    Wide and tall terminals show everything at once. Below WIDE columns or 34 rows (80x24)
    the screen is narrow: a one-line summary, the trigger buttons and the history; `d`
    switches between the history and the details (fields and workflow)."""

    AUTO_FOCUS = "#timeline"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="item.back"),
        Binding("f", "fire", "Fire", id="item.fire"),
        Binding("A", "approve", "Approve", id="item.approve"),
        Binding("W", "withdraw", "Withdraw", show=False, id="item.withdraw"),
        Binding("c", "comment", "Comment", id="item.comment"),
        Binding("d", "details", "Details", id="item.details"),
        Binding("T", "band", "Timeline", id="item.band"),
        Binding("e", "edit", "Edit", show=False, id="item.edit"),
        Binding("h", "history", "History", id="item.history"),
        Binding("q", "app.quit", "Quit", id="item.quit"),
        *[
            Binding(str(n), f"trigger({n})", f"Trigger {n}", show=False, id=f"item.trigger_{n}")
            for n in range(1, 10)
        ],
    ]

    class Loaded(Message):
        def __init__(self, page: ItemPage, workflow: Workflow) -> None:
            super().__init__()
            self.page = page
            self.workflow = workflow

    def __init__(self, tracker: Tracker, key: str, *, as_of: datetime | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.key = key
        self.as_of = as_of
        self.item: Item | None = None
        self.workflow: Workflow | None = None
        self.state: str | None = None
        self.allowed: tuple[str, ...] = ()
        self.entries: builtins.list[HistoryEntry] = []
        self.gates: builtins.list[Gate] = []
        self._columns: tuple[tuple[str, int], ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="banner")
        yield SummaryLine(id="summary")
        with Horizontal(id="triggers"):
            yield Static(Text("fire", style="bold"), id="triggers-title")
            yield Static(id="triggers-note")
            for number in range(1, 10):
                yield Button(str(number), id=f"trigger-{number}", classes="trigger", compact=True)
        yield Static(id="consents")
        with VerticalScroll(id="details"):
            with VerticalScroll(id="fields-box"):
                yield Static(id="fields")
            yield Static(id="diagram")
        with Vertical(id="history-pane"):
            yield TimelineChart(id="band")
            yield Static(id="band-panel")
            yield Static(HISTORY_TITLE, id="timeline-title")
            yield EntriesTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def show(self, key: str, as_of: datetime | None) -> None:
        """Show another item on this (installed, reused) screen: cleared, then loaded."""
        self.key, self.as_of = key, as_of
        self.item, self.workflow, self.state = None, None, None
        self.entries, self.allowed, self.gates = [], (), []
        if not self.is_mounted:
            return
        self.sub_title = key
        self.query_one("#fields", Static).update(Text("loading…", style="dim"))
        self.query_one(SummaryLine).wait()
        self.query_one("#diagram", Static).update("")
        self.query_one("#band-panel", Static).update("")
        self._show_triggers()
        self._show_consents()
        self.query_one("#timeline", DataTable).clear()
        self.query_one("#band", TimelineChart).show_loading()
        self.query_one("#timeline-title", Static).update(HISTORY_TITLE)
        self._show_mode()
        self._show_details(False)
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
        self._show_mode()
        self._show_triggers()
        self._fill_table()
        self.query_one("#band", TimelineChart).show_loading()
        self.query_one("#timeline", DataTable).focus()
        self.load()

    def on_resize(self) -> None:
        self._fill_table()
        self._draw_diagram()

    @property
    def narrow(self) -> bool:
        return self.size.width < WIDE or self.size.height < 34

    @work(thread=True, exclusive=True, group="item", exit_on_error=False)
    def load(self) -> None:
        page = self.tracker.item_page(self.key, as_of=self.as_of, limit=TIMELINE_LIMIT)
        self.post_message(self.Loaded(page, self.tracker.workflow(page.item.workflow)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        page = message.page
        item = page.item
        if item.key.lower() != self.key.lower():
            return  # a load for the item this screen showed before
        self.item, self.workflow, self.entries = item, message.workflow, list(page.entries)
        self.state, self.allowed = page.state, page.allowed
        self.gates = item_gates(message.workflow, item, self.state, page.pending)
        self.query_one("#fields", Static).update(field_lines(item, self.state))
        self.query_one(SummaryLine).show(item, self.state)
        self._draw_diagram()
        self._show_triggers()
        self._show_consents()
        self.query_one("#band", TimelineChart).set_spans(page.spans)
        self.query_one("#timeline-title", Static).update(history_title(page))
        self._fill_table(force=True)

    def _draw_diagram(self) -> None:
        if self.workflow is None:
            return
        drawing = self.query_one("#diagram", Static)
        drawing.update(diagram(self.workflow, self.state, max(20, self.size.width - 6)))
        drawing.border_title = f"workflow {self.workflow.name}"

    def _fill_table(self, *, force: bool = False) -> None:
        """The history rows, in columns that fit the width: rebuilt when the width changes
        enough to add or drop a column, or when the entries change."""
        width = self.size.width or 80
        columns = FIXED_COLUMNS + (WIDE_COLUMNS if width >= WIDE else ())
        used = sum(w for _, w in columns) + 2 * (len(columns) + 1) + 2
        columns = (*columns[:3], ("reason", max(12, width - used)), *columns[3:])
        if columns == self._columns and not force:
            return
        table = self.query_one("#timeline", DataTable)
        cursor = table.cursor_row
        table.clear(columns=columns != self._columns)
        if columns != self._columns:
            for label, size in columns:
                table.add_column(label, width=size, key=label)
            self._columns = columns
        for entry in self.entries:
            cells = {
                "effective": Text(lit.when(entry.occurred_at)),
                "trigger": lit.literal(entry.trigger, "bold"),
                "from → to": lit.state(entry.from_state) + Text(" → ") + lit.state(entry.to_state),
                "actor": lit.literal(entry.actor),
                "reason": lit.one_line(noted_reason(entry)),
                "source": lit.literal(entry.source),
            }
            table.add_row(*(cells[label] for label, _ in columns), key=str(entry.id))
        if self.entries:
            table.move_cursor(row=min(cursor, len(self.entries) - 1))

    @on(DataTable.RowHighlighted, "#timeline")
    def _entry_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.entries):
            entry = self.entries[event.cursor_row]
            self.query_one("#band-panel", Static).update(
                entry_text(
                    entry.occurred_at,
                    entry.item,
                    entry.trigger,
                    entry.from_state,
                    entry.to_state,
                    entry.actor,
                    noted_reason(entry),
                    entry.source,
                )
            )

    @on(TimelineChart.Selected)
    def _band_selected(self, message: TimelineChart.Selected) -> None:
        if message.chart.has_focus or not self.entries:
            self.query_one("#band-panel", Static).update(describe(message.span))

    def _show_triggers(self) -> None:
        """Label the nine trigger buttons (built once, in compose) with the allowed triggers:
        relabelling is cheap where mounting new buttons on every open is not."""
        allowed = self.allowed
        # One width for all, the longest label's: the buttons line up as a row of equals.
        width = max((len(f"{n} {t}") for n, t in enumerate(allowed, start=1)), default=0) + 4
        for number, button in enumerate(self.query(".trigger").results(Button), start=1):
            button.styles.width = width
            if number <= len(allowed):
                trigger = allowed[number - 1]
                button.label = Text(f"{number} {trigger}")
                button.display = True
                button.set_class(any(g.trigger == trigger for g in self.gates), "-gated")
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

    def _show_consents(self) -> None:
        """Each gated trigger from the state shown: the consents given, the parties awaited."""
        panel = self.query_one("#consents", Static)
        panel.update(consent_lines(self.gates))
        panel.display = bool(self.gates)

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.load()

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITES:
            if self.as_of is not None:
                return False
            if action == "trigger":
                return bool(parameters) and int(str(parameters[0])) <= len(self.allowed)
        return True

    def on_key(self, event: events.Key) -> None:
        if self.as_of is not None:
            refused_while_reading(self, event, WRITES, "esc, then n on the list, returns to now")

    def action_details(self) -> None:
        """Between the history and the details (fields, workflow): on a narrow terminal
        one at a time; on a wide one, the details shown or hidden."""
        self._show_details(not self.has_class("-toggled"))

    def _show_details(self, toggled: bool) -> None:
        self.set_class(toggled, "-toggled")
        if toggled and self.narrow:
            self.query_one("#details").focus()
        else:
            self.query_one("#timeline").focus()

    def action_band(self) -> None:
        """Focus the item's timeline band (left and right move from entry to entry)."""
        if self.has_class("-toggled") and self.narrow:
            self._show_details(False)
        self.query_one("#band", TimelineChart).focus()

    @on(Button.Pressed, ".trigger")
    def _trigger_pressed(self, event: Button.Pressed) -> None:
        number = int((event.button.id or "trigger-0").rsplit("-", 1)[-1])
        self.action_trigger(number)

    def action_trigger(self, number: int) -> None:
        """Fire the trigger on button `number`; a gated one asks for a consent instead (its
        last consent fires it)."""
        if 0 < number <= len(self.allowed):
            trigger = self.allowed[number - 1]
            if any(g.trigger == trigger for g in self.gates):
                self.open_consent(withdraw=False, trigger=trigger)
            else:
                self.open_fire(trigger)

    def action_approve(self) -> None:
        self.open_consent(withdraw=False, trigger=None)

    def action_withdraw(self) -> None:
        self.open_consent(withdraw=True, trigger=None)

    def open_consent(self, *, withdraw: bool, trigger: str | None) -> None:
        from .consent import ConsentModal

        if self.item is None or self.as_of is not None:
            return
        if not self.gates:
            self.notify(
                f"{self.item.key}: no trigger from {self.item.state} needs consent", timeout=4
            )
            return
        modal = ConsentModal(self.tracker, self.item.key, withdraw=withdraw, trigger=trigger)
        self.app.push_screen(modal, self._after_write)

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
        self.app.post_message(OpenHistory(self.key))

    def _after_write(self, result: object) -> None:
        if result is None:
            return
        data_changed = getattr(self.app, "data_changed", None)
        if data_changed is not None:
            data_changed()
