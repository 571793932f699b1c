"""The timeline screen: the history of the items the filter matches, a band per item over
time, coloured by state, transitions marked; the entry under the cursor with its reason in a
panel below; zoom and pan by date range."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Header, Static

from ...records import Span
from ...service import Tracker
from .. import text as lit
from ..gates import waiting_items
from ..messages import DataChanged, OpenItem
from ..query import Query
from ..widgets.footer import KeysFooter
from ..widgets.timeline import TimelineChart, all_states, describe
from .base import TrackerScreen
from .views import describe_filter

# Items drawn at once: a band each, so more than a few screens of them is not a picture.
BANDS = 200


def legend(states: Sequence[str]) -> Text:
    from ..widgets.timeline import colour

    out = Text()
    for name in states:
        out.append("  ", style=f"on {colour(name)}")
        out.append(f" {name}  ")
    out.append("┃ transition  • comment/edit  ✓ approve  ✗ withdraw  ◆ cursor", style="dim")
    return out


class TimelineScreen(TrackerScreen):
    """A band per item (the first BANDS the filter matches, in the table's order)."""

    AUTO_FOCUS = "#chart"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="timeline_screen.back"),
        Binding("enter", "open", "Open item", id="timeline_screen.open"),
        Binding("q", "app.quit", "Quit", id="timeline_screen.quit"),
    ]

    class Loaded(Message):
        def __init__(
            self, spans: builtins.list[Span], keys: builtins.list[str], total: int
        ) -> None:
            super().__init__()
            self.spans = spans
            self.keys = keys
            self.total = total

    def __init__(self, tracker: Tracker, query: Query) -> None:
        super().__init__()
        self.tracker = tracker
        self.filter = query

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="timeline-heading")
        yield Static(id="timeline-window")
        yield TimelineChart(id="chart")
        yield Static(legend(all_states(self.tracker)), id="timeline-legend")
        yield Static(id="timeline-panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "timeline"
        self.load()

    @property
    def chart(self) -> TimelineChart:
        return self.query_one("#chart", TimelineChart)

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def load(self) -> None:
        query = self.filter
        if query.waiting:
            waiting = waiting_items(self.tracker, query.order_by, query.descending)
            keys = [item.key for item in waiting[:BANDS]]
            spans = self.tracker.spans(keys) if keys else []
            self.post_message(self.Loaded(spans, keys, len(waiting)))
            return
        found = self.tracker.list(
            query.filter,
            order_by=query.order_by,
            descending=query.descending,
            limit=BANDS,
            as_of=query.as_of,
        )
        keys = [item.key for item in found]
        counts = self.tracker.count(query.every_state, as_of=query.as_of)
        state = query.filter.state
        total = counts.get(state, 0) if state else sum(counts.values())
        spans = self.tracker.spans(keys, until=query.as_of) if keys else []
        self.post_message(self.Loaded(spans, keys, total))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        heading = Text("history of ", style="bold")
        shown = len(message.keys)
        heading.append(
            lit.counted(shown, "item")
            if shown == message.total
            else f"the first {shown:,} of {lit.counted(message.total, 'item')}"
        )
        heading.append(" · filter: ", style="dim")
        heading.append_text(describe_filter(self.filter))
        self.query_one("#timeline-heading", Static).update(heading)
        self.chart.set_spans(message.spans, message.keys)

    @on(TimelineChart.Selected)
    def _selected(self, message: TimelineChart.Selected) -> None:
        self.query_one("#timeline-panel", Static).update(describe(message.span))

    @on(TimelineChart.WindowChanged)
    def _window(self, message: TimelineChart.WindowChanged) -> None:
        self.query_one("#timeline-window", Static).update(window_line(message.start, message.end))

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.load()

    def action_open(self) -> None:
        span = self.chart.current
        if span is not None:
            self.app.post_message(OpenItem(span.key, self.filter.as_of))


def window_line(start: datetime, end: datetime) -> Text:
    out = Text("from ", style="dim")
    out.append(lit.when(start), style="bold")
    out.append(" to ", style="dim")
    out.append(lit.when(end), style="bold")
    out.append("   + - zoom · [ ] pan · 0 whole range · ←→ entries · ↑↓ items", style="dim")
    return out
