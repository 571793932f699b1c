"""A picture of history in the terminal: one band per item over time, coloured by the state
it was in, each transition marked on its band. A cursor moves from transition to transition
(left/right) and from item to item (up/down) and announces the entry under it, so the screen
can show its reason; the date range zooms in and out and pans.

Drawn with Rich segments (a cell per time slice), from the service's `spans()`: no plotting
library is needed for a terminal (the CLI's file output uses matplotlib).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...consents import WITHDRAW
from ...dates import now
from ...records import Span
from ...render.text import safe
from ...workflow import keeps_state
from .. import text as lit

if TYPE_CHECKING:
    from ...service import Tracker

LABEL = 14
MIN_RANGE = timedelta(hours=1)
# The mark of an entry on its band (the cursor is ◆).
TRANSITION_MARK = "┃"
KEEP_MARK = "•"  # a comment or an edit
APPROVE_MARK = "✓"
WITHDRAW_MARK = "✗"


def mark(span: Span) -> str:
    """The character marking `span`'s entry on its band."""
    if span.consent is not None:
        return WITHDRAW_MARK if span.trigger == WITHDRAW else APPROVE_MARK
    return KEEP_MARK if keeps_state(span.trigger) else TRANSITION_MARK


def colour(state: str) -> str:
    """A state's band colour (the workflows' palette, see tui.text.use_palette)."""
    return lit.palette().band(state)


def all_states(tracker: Tracker) -> tuple[str, ...]:
    """Every state of every workflow in force, in workflow order (the legend lists them
    all: a band may be in any of them; the items screen counts them all)."""
    return tracker.workflows.states


@dataclass(frozen=True, slots=True)
class Band:
    """One item's history as spans, oldest first."""

    key: str
    spans: tuple[Span, ...]

    @property
    def starts(self) -> list[datetime]:
        return [span.start for span in self.spans]


class TimelineChart(ScrollView, can_focus=True):
    """Bands of state over a date range `window`; a cursor on one entry of one band."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # No h/l beside the arrows: on the item screen `h` is History, and a key means one
        # thing on a screen.
        Binding("left", "step(-1)", "Earlier entry", show=False, id="timeline.previous"),
        Binding("right", "step(1)", "Later entry", show=False, id="timeline.next"),
        Binding("up,k", "row(-1)", "Item above", show=False, id="timeline.up"),
        Binding("down,j", "row(1)", "Item below", show=False, id="timeline.down"),
        Binding("plus,equals_sign", "zoom(0.5)", "Zoom in", show=False, id="timeline.zoom_in"),
        Binding("minus", "zoom(2.0)", "Zoom out", show=False, id="timeline.zoom_out"),
        Binding(
            "left_square_bracket", "pan(-1)", "Pan earlier", show=False, id="timeline.pan_earlier"
        ),
        Binding("right_square_bracket", "pan(1)", "Pan later", show=False, id="timeline.pan_later"),
        Binding("0", "fit", "Whole range", show=False, id="timeline.fit"),
    ]
    DEFAULT_CSS = """
    TimelineChart {
        overflow-x: hidden;
        background: $surface;
    }
    """

    class Selected(Message):
        """The cursor is on `span` (a Span) of item `key`; None when there is nothing."""

        def __init__(self, chart: TimelineChart, key: str | None, span: Span | None) -> None:
            super().__init__()
            self.chart = chart
            self.key = key
            self.span = span

    class WindowChanged(Message):
        def __init__(self, chart: TimelineChart, start: datetime, end: datetime) -> None:
            super().__init__()
            self.chart = chart
            self.start = start
            self.end = end

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.bands: list[Band] = []
        self.row = 0
        self.entry = 0
        self.window: tuple[datetime, datetime] = (now() - timedelta(days=365), now())
        self.limit: tuple[datetime, datetime] = self.window
        self.fetching = False  # spans on their way: no axis, and no "no history" yet

    # -- data -------------------------------------------------------------------------------

    def show_loading(self) -> None:
        """No bands until `set_spans` brings them; the chart says they are on their way."""
        self.set_spans([])
        self.fetching = True
        self.refresh()

    def set_spans(self, spans: Sequence[Span], order: Sequence[str] | None = None) -> None:
        """Show `spans` (the service's Span records), one band per item, in `order` of keys
        (default: as they come). The cursor goes to the newest entry of the first band."""
        self.fetching = False
        by_key: dict[str, list[Span]] = {}
        for span in spans:
            by_key.setdefault(span.key, []).append(span)
        keys = [k for k in (order or by_key) if k in by_key]
        self.bands = [Band(key, tuple(by_key[key])) for key in keys]
        self.row = 0
        self.entry = len(self.bands[0].spans) - 1 if self.bands else 0
        self.limit = self._extent()
        self.window = self.limit
        self.virtual_size = Size(self.size.width, len(self.bands) + 1)
        self.refresh()
        self._announce()

    def _extent(self) -> tuple[datetime, datetime]:
        starts = [band.spans[0].start for band in self.bands]
        if not starts:
            moment = now()
            return moment - timedelta(days=30), moment
        # From the first entry to just past the last one (a fiftieth of the range, so the
        # last state shows), never past today unless an entry is effective later: not the
        # clock (the picture of a history does not move with it), not years ahead.
        first = min(starts)
        last = max(band.spans[-1].start for band in self.bands)
        margin = max((last - first) / 50, MIN_RANGE)
        return first - margin, min(last + margin, max(last, now()))

    @property
    def current(self) -> Span | None:
        if not self.bands:
            return None
        spans = self.bands[self.row].spans
        return spans[self.entry] if 0 <= self.entry < len(spans) else None

    def _announce(self) -> None:
        key = self.bands[self.row].key if self.bands else None
        self.post_message(self.Selected(self, key, self.current))
        self.post_message(self.WindowChanged(self, *self.window))

    # -- geometry ---------------------------------------------------------------------------

    @property
    def _plot_width(self) -> int:
        return max(4, self.scrollable_content_region.width - LABEL - 1)

    def _column(self, moment: datetime) -> int:
        start, end = self.window
        return int((moment - start) / (end - start) * self._plot_width)

    def _moment(self, column: int) -> datetime:
        start, end = self.window
        return start + (end - start) * ((column + 0.5) / self._plot_width)

    # -- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if self.fetching:
            return Strip([Segment((" loading…" if y == 1 else "").ljust(width), base)], width)
        if y == 0:
            return self._axis(width, base)
        index = int(self.scroll_y) + y - 1
        if index >= len(self.bands):
            if index == 0:
                return Strip([Segment(" (no history in this range)".ljust(width), base)], width)
            return Strip.blank(width, base)
        return self._band(index, width, base)

    def _axis(self, width: int, base: Style) -> Strip:
        start, end = self.window
        plot = self._plot_width
        long_range = end - start > timedelta(days=3 * 365)
        short_range = end - start < timedelta(days=3)
        line = [" "] * plot
        step = 18 if not short_range else 20
        for column in range(0, plot - 10, step):
            moment = self._moment(column)
            label = moment.strftime("%Y-%m-%d %H:%M" if short_range else "%Y-%m-%d")
            if long_range:
                label = moment.strftime("%Y-%m")
            label = "┊" + label
            for offset, char in enumerate(label[: plot - column]):
                line[column + offset] = char
        muted = base + Style(dim=True)
        return Strip(
            [Segment(" " * (LABEL + 1), base), Segment("".join(line), muted)], width
        ).crop_extend(0, width, base)

    def _band(self, index: int, width: int, base: Style) -> Strip:
        band = self.bands[index]
        selected_row = index == self.row
        label_style = base + Style(bold=True, reverse=selected_row and self.has_focus)
        label = safe(band.key)[:LABEL].ljust(LABEL)
        segments = [Segment(label, label_style), Segment(" ", base)]
        plot = self._plot_width
        starts = band.starts
        cells: list[tuple[str, Style]] = []
        for column in range(plot):
            moment = self._moment(column)
            at = bisect.bisect_right(starts, moment) - 1
            if at < 0:
                cells.append(("·", base + Style(dim=True)))
                continue
            state = band.spans[at].state
            cells.append((" ", Style(bgcolor=colour(state))))
        # Mark each entry at its column (see `mark`): a transition ┃, a comment or edit •,
        # an approve ✓, a withdraw ✗; the cursor ◆.
        for number, span in enumerate(band.spans):
            column = self._column(span.start)
            if not 0 <= column < plot:
                continue
            char = mark(span)
            style = cells[column][1] + Style(color="white", bold=True)
            if selected_row and number == self.entry:
                char = "◆"
                style = Style(color="black", bgcolor="white", bold=True)
            cells[column] = (char, style)
        segments.extend(Segment(char, style) for char, style in cells)
        return Strip(segments).crop_extend(0, width, base)

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self.bands) + 1)

    # -- moving -----------------------------------------------------------------------------

    def action_step(self, direction: int) -> None:
        if not self.bands:
            return
        spans = self.bands[self.row].spans
        self.entry = max(0, min(len(spans) - 1, self.entry + direction))
        moment = spans[self.entry].start
        start, end = self.window
        if not start <= moment <= end:  # follow the cursor out of the window
            half = (end - start) / 2
            self.window = (moment - half, moment + half)
        self.refresh()
        self._announce()

    def action_row(self, direction: int) -> None:
        if not self.bands:
            return
        moment = self.current.start if self.current else None
        self.row = max(0, min(len(self.bands) - 1, self.row + direction))
        starts = self.bands[self.row].starts
        # Keep the cursor near the same time on the new band.
        at = bisect.bisect_right(starts, moment) - 1 if moment else len(starts) - 1
        self.entry = max(0, at)
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.row < top:
            self.scroll_to(y=self.row, animate=False)
        elif self.row >= top + visible:
            self.scroll_to(y=self.row - visible + 1, animate=False)
        self.refresh()
        self._announce()

    def set_window(self, start: datetime, end: datetime) -> None:
        """Show the dates from `start` to `end` (at least an hour)."""
        if end - start < MIN_RANGE:
            end = start + MIN_RANGE
        self.window = (start, end)
        self.refresh()
        self.post_message(self.WindowChanged(self, start, end))

    def action_zoom(self, factor: float) -> None:
        start, end = self.window
        moment = self.current.start if self.current else None
        centre = moment if moment and start <= moment <= end else start + (end - start) / 2
        half = (end - start) * factor / 2
        self.set_window(centre - half, centre + half)

    def action_pan(self, direction: int) -> None:
        start, end = self.window
        shift = (end - start) / 4 * direction
        self.set_window(start + shift, end + shift)

    def action_fit(self) -> None:
        self.set_window(*self.limit)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        index = int(self.scroll_y) + offset.y - 1
        if index >= len(self.bands) or offset.x <= LABEL:
            return
        self.row = index
        moment = self._moment(offset.x - LABEL - 1)
        spans = self.bands[index].spans
        self.entry = min(
            range(len(spans)),
            key=lambda i: abs((spans[i].start - moment).total_seconds()),
        )
        self.focus()
        self.refresh()
        self._announce()


def describe(span: Span | None) -> Text:
    """The entry under the cursor as literal text: date, trigger, from -> to, actor,
    reason, source."""
    if span is None:
        return Text("no entry selected", style="dim")
    trigger = span.trigger
    if span.consent is not None:  # "approve sign for JPN"
        trigger = f"{trigger} {span.consent[0]} for {span.consent[1]}"
    return entry_text(
        span.start,
        span.key,
        trigger,
        span.from_state,
        span.state,
        span.actor,
        span.reason,
        span.source,
    )


def entry_text(
    when: datetime,
    key: str,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor: str,
    reason: str | None,
    source: str | None,
) -> Text:
    """One history entry in full: `date  KEY  trigger  from → to  by actor`, then its reason
    (a multi-line comment as lines) and source."""

    out = Text()
    out.append(lit.when(when) + "  ", style="bold")
    out.append_text(lit.literal(key, "bold"))
    out.append("  ")
    out.append_text(lit.literal(trigger, "bold"))
    out.append("  ")
    out.append_text(lit.state(from_state))
    out.append(" → ")
    out.append_text(lit.state(to_state))
    out.append("  by ")
    out.append_text(lit.literal(actor))
    out.append("\nreason: ", style="dim")
    out.append_text(lit.literal_lines(reason or "-"))
    out.append("\nsource: ", style="dim")
    out.append_text(lit.literal(source or "-"))
    return out
