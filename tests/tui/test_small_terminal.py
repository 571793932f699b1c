"""Issue 11: 80x24 is a first-class size. Every screen and dialog at 80x24 shows what matters
(the buttons, the focused field, the triggers, the latest history) and a write only ever
starts from something on screen."""

from __future__ import annotations

import threading
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, OptionList, Select, Static

from tracker import Conflict, Tracker
from tracker.dates import now
from tracker.tui.app import TrackerApp, make_app
from tracker.tui.commands import TrackerCommands
from tracker.tui.screens.as_of import AsOfModal
from tracker.tui.screens.base import fully_visible
from tracker.tui.screens.bulk import BulkFireModal
from tracker.tui.screens.comment import CommentModal
from tracker.tui.screens.fire import FireModal
from tracker.tui.screens.help import HelpScreen
from tracker.tui.screens.item import ItemScreen
from tracker.tui.screens.item_form import ItemForm
from tracker.tui.screens.items import ItemsScreen
from tracker.tui.screens.timeline import TimelineScreen
from tracker.tui.screens.views import DeleteViewModal, SaveViewModal
from tracker.tui.widgets.timeline import TimelineChart

from .driving import screen_text, settle, usable

SMALL = (80, 24)


def footer(app: TrackerApp) -> str:
    return screen_text(app).splitlines()[-1]


async def open_acsa(app: TrackerApp, pilot: Pilot[Any]) -> ItemScreen:
    await pilot.press("enter")  # ACSA is the first row
    await settle(pilot)
    assert isinstance(app.screen, ItemScreen)
    return app.screen


async def test_the_fire_dialog_fits_and_tab_never_leaves_the_screen(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await open_acsa(app, pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FireModal)
        assert "^s Fire" in footer(app) and "esc Cancel" in footer(app)
        for _ in range(5):  # round the whole form: trigger, reason, source, date, Fire
            usable(app)
            await pilot.press("tab")
        # The keys of the issue: Tab to the effective date, type it, Enter. The date is on
        # screen while typed, and the write is the one the dialog shows.
        app.screen.query_one("#reason", Input).focus()
        await pilot.press("tab", "tab")
        assert app.focused is app.screen.query_one("#at", Input)
        await pilot.press(*"2026-02-01")
        assert fully_visible(app.screen.query_one("#at", Input))
        await pilot.press("enter")
        await settle(pilot)
        entry = tui_tracker.history("ACSA", newest_first=True, limit=1)[0]
        assert (entry.trigger, entry.to_state) == ("propose", "proposed")
        assert entry.occurred_at.date().isoformat() == "2026-02-01"


async def test_enter_in_a_field_scrolled_away_writes_nothing(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    before = len(tui_tracker.history("ACSA"))
    async with app.run_test(size=(80, 12)) as pilot:  # too short for the whole form
        await settle(pilot)
        await open_acsa(app, pilot)
        await pilot.press("3")  # resume: no reason needed
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FireModal)
        at = modal.query_one("#at", Input)
        modal.query_one("#dialog").scroll_home(animate=False)
        at.focus(scroll_visible=False)
        await pilot.pause()
        assert not fully_visible(at)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal and len(tui_tracker.history("ACSA")) == before
        assert fully_visible(at)  # shown now; the next Enter would write
        usable(app)


async def test_the_bulk_dialog_counts_each_trigger_and_keeps_focus_sensible(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkFireModal)
        usable(app)
        select = modal.query_one("#trigger", Select)
        # The default is the trigger most marked items can take: suspend (all but DRILLS).
        assert select.value == "suspend"
        labels = {str(value): str(label) for label, value in select._options}
        assert labels["suspend"] == "suspend  3 of 4" and labels["sign"] == "sign  0 of 4"
        assert "1 cannot" in screen_text(app) and "DRILLS" in screen_text(app)
        await pilot.press("tab")  # from the trigger straight to the reason
        assert app.focused is modal.query_one("#reason", Input)
        await pilot.press("ctrl+s")  # suspend needs a reason
        await settle(pilot)
        assert "reason is required to suspend" in screen_text(app)
        assert app.focused is modal.query_one("#reason", Input)  # where to fix it
        await pilot.press(*"talks paused")
        assert "reason is required" not in screen_text(app)  # no stale complaint
        usable(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)
        assert [i.state for i in tui_tracker.list()].count("suspended") == 4


async def test_the_bulk_dialog_says_it_is_writing_and_a_refusal_keeps_focus(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    release = threading.Event()

    def refused_later(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        raise Conflict("a concurrent writer changed an item in this batch; nothing was written")

    tui_tracker.fire_many = refused_later  # type: ignore[method-assign]
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkFireModal)
        await pilot.press("tab", *"talks paused", "ctrl+s")
        for _ in range(5):
            await pilot.pause()
        assert "writing 3 history entries" in screen_text(app)
        assert str(modal.query_one("#fire", Button).label) == "Firing on 3…"
        await pilot.press("escape")  # refused while the batch is written
        await pilot.pause()
        assert app.screen is modal
        release.set()
        await settle(pilot)
        assert app.screen is modal and "refused, nothing written" in screen_text(app)
        assert app.focused is modal.query_one("#reason", Input)  # not the trigger list
        assert str(modal.query_one("#fire", Button).label) == "Fire on 3"
        usable(app)


async def test_the_item_screen_shows_triggers_and_latest_history_without_scrolling(
    app: TrackerApp,
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = await open_acsa(app, pilot)
        buttons = [b for b in screen.query(".trigger").results(Button) if b.display]
        assert [str(b.label) for b in buttons] == ["1 propose", "2 suspend", "3 resume"]
        assert all(fully_visible(b) for b in buttons)
        table = screen.query_one("#timeline", DataTable)
        assert app.focused is table and fully_visible(table)
        assert table.row_count == 2
        text = screen_text(app)
        assert "No consensus at Yokosuka" in text  # the latest entry, with its reason
        assert "? Keys" in footer(app) and "q Quit" in footer(app)
        # d: the details, the workflow box whole (wrapped, not cut at the right edge).
        await pilot.press("d")
        await settle(pilot)
        diagram = screen.query_one("#diagram", Static)
        assert fully_visible(screen.query_one("#fields-box"))
        assert diagram.region.right <= SMALL[0]
        assert "sign -> signed" in str(diagram.render())
        await pilot.press("d")
        await settle(pilot)
        assert app.focused is table
        # T: one key to the timeline band; h stays History (the band has no h).
        await pilot.press("T")
        band = screen.query_one("#band", TimelineChart)
        assert app.focused is band and fully_visible(band)
        await pilot.press("h")
        await settle(pilot)
        assert type(app.screen).__name__ == "HistoryScreen"


async def test_every_dialog_and_the_timeline_fit_at_80x24(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.save_view("stuck", state="stalled")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for key, kind in (
            ("a", ItemForm),
            ("e", ItemForm),
            ("c", CommentModal),
            ("t", AsOfModal),
            ("v", SaveViewModal),
            ("question_mark", HelpScreen),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, kind), key
            if kind is HelpScreen:
                assert fully_visible(app.screen.query_one("#help"))
            else:
                usable(app)
                await pilot.press("tab")
                usable(app)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ItemsScreen)
        # The timeline screen fits too, and its legend lists every state.
        await pilot.press("T")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        legend = str(screen.query_one("#timeline-legend", Static).render())
        assert "signed" in legend
        assert fully_visible(screen.query_one("#timeline-legend"))
        chart = screen.query_one("#chart", TimelineChart)
        assert app.focused is chart and fully_visible(chart)
        last = max(b.spans[-1].start for b in chart.bands)
        assert last < chart.window[1] <= max(now(), last)  # not years ahead
        assert "? Keys" in footer(app)


async def test_the_items_screen_at_80x24_footer_escape_filters_and_no_ops(
    app: TrackerApp,
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        # The palette lists Keys once (Textual's own "Keys" is gone, ours is there).
        system = [command.title for command in app.get_system_commands(app.screen)]
        assert "Keys" not in system and "Theme" in system
        provider = TrackerCommands(app.screen)
        ours = [hit async for hit in provider.discover()]
        assert [str(hit.display) for hit in ours].count("Keys") == 1
        shown = footer(app)
        assert shown.startswith("⏎ Open")
        for key in ("/ Filter", "f Fire", "A Approve", "q Quit", "? Keys"):
            assert key in shown, shown
        # b with nothing marked says why.
        await pilot.press("b")
        await pilot.pause()
        assert any("nothing is marked" in n.message for n in app._notifications)
        # Escape leaves the filter box for the list; the filter stays.
        await pilot.press("slash", *"sar")
        await settle(pilot)
        await pilot.press("escape")
        screen = app.screen
        assert isinstance(screen, ItemsScreen) and app.focused is screen.table
        assert screen.query_one("#filter", Input).value == "sar"
        assert screen.table.current_key == "SAREX"
        # A state or kind the filter cannot match says so.
        screen.query_one("#filter", Input).value = "state:bogus"
        await settle(pilot)
        text = screen_text(app)
        assert "no state 'bogus': proposed, stalled, suspended, resumed, signed" in text
        screen.query_one("#filter", Input).value = "kind:bogus"
        await settle(pilot)
        # ... and lists the kinds there are, as the state message lists the states.
        assert "no item has kind 'bogus': agreement, drill, exercise, support" in screen_text(app)
        # With a state in the filter, the line says in words that the other states' counts
        # ignore it (and dims them); it fits the screen's width, wrapped.
        screen.query_one("#filter", Input).value = "state:resumed"
        await settle(pilot)
        counts = screen.query_one("#counts", Static)
        line = counts.render()
        assert "total 2" in str(line)
        words = " ".join(str(line).split())  # broken between counts, never inside one
        assert "other states, ignoring state:resumed: proposed 0 stalled 1" in words
        assert counts.region.right <= SMALL[0] and counts.region.height == 2
        styles = [str(span.style) for span in getattr(line, "spans", [])]
        assert any("dim" in style for style in styles)
        # Without a state, the counts follow the filter, and the line says so.
        screen.query_one("#filter", Input).value = "kind:exercise"
        await settle(pilot)
        assert str(screen.query_one("#counts", Static).render()).startswith("matching: ")
        assert "ignoring" not in str(screen.query_one("#counts", Static).render())
        # A write key in time travel says why nothing happens.
        screen.query_one("#filter", Input).value = ""
        await pilot.press("t", *"2025-12-01", "enter")
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert any("time travel is read-only" in n.message for n in app._notifications)
        assert app.screen is screen


async def test_after_add_the_cursor_is_on_the_new_item_in_any_sort_and_the_date_is_kept(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.apply(
        {"op": "add", "key": f"BULK-{n:03}", "title": f"Bulk {n:03}", "kind": "drill"}
        for n in range(125)  # past the first page of 120 rows
    )
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        # By key, with an effective date (kept).
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemForm)
        form.query_one("#key", Input).value = "BRAVO"
        form.query_one("#title", Input).value = "A new one"
        form.query_one("#kind", Input).value = "drill"
        form.query_one("#at", Input).value = "2025-01-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ItemsScreen)
        assert screen.table.current_key == "BRAVO"
        created = tui_tracker.history("BRAVO")[0]
        assert created.occurred_at.date().isoformat() == "2025-01-01"
        await pilot.press("s")  # by title: the next one sorts after 130 others, past the first page
        await settle(pilot)
        assert screen.wanted.order_by == "title"
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemForm)
        form.query_one("#key", Input).value = "ZZ-NEW"
        form.query_one("#title", Input).value = "Zz the newest"
        form.query_one("#kind", Input).value = "drill"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.cursor == 130 and screen.table.current_key == "ZZ-NEW"
        assert "ZZ-NEW" in screen_text(app)  # the table scrolled there, the row loaded
        # Reversed, a title early in the alphabet is the last row.
        await pilot.press("S")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemForm)
        form.query_one("#key", Input).value = "AA-NEW"
        form.query_one("#title", Input).value = "Aaa first by title"
        form.query_one("#kind", Input).value = "drill"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.table.cursor == 130 and screen.table.current_key == "AA-NEW"  # BRAVO last


async def test_placeholders_wide_item_screen_and_multi_line_comments(
    tui_tracker: Tracker,
) -> None:
    """Placeholders never look like values, at either size; on the way, the item screen at
    160x45 shows everything at once, and at 80x24 a multi-line comment shows as lines."""
    tui_tracker.comment("ACSA", "first line\nsecond line")

    def italic(field: Input) -> bool:
        line = field.render_line(field.size.height // 2)
        text = [seg for seg in line if seg.text.strip()]
        return bool(text) and all(seg.style is not None and seg.style.italic for seg in text)

    for size in (SMALL, (160, 45)):  # borderless below 34 rows, bordered above
        app = make_app(tui_tracker, poll_interval=None, cursor_blink=False)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            screen = await open_acsa(app, pilot)
            if size == SMALL:
                lines = screen_text(app).splitlines()
                assert any(line.strip() == "second line" for line in lines)  # entry panel
                assert "first line ↵ second line" in screen_text(app)  # a table cell: one line
                assert "\\n" not in screen_text(app)
            else:
                for selector in ("#fields-box", "#diagram", "#band", "#timeline", "#trigger-1"):
                    assert fully_visible(screen.query_one(selector)), selector
                assert not screen.query_one("#summary").display
            await pilot.press("f")
            await settle(pilot)
            assert isinstance(app.screen, FireModal)
            reason, at = app.screen.query_one("#reason", Input), app.screen.query_one("#at", Input)
            assert reason.compact is (size == SMALL)
            assert italic(reason) and italic(at)  # the hints: italic and faint
            reason.value = "why not"
            await pilot.pause()
            typed = reason.render_line(reason.size.height // 2)
            assert "why not" in "".join(segment.text for segment in typed)
            assert not italic(reason)  # a typed value is upright


async def test_views_keep_their_numbers_and_can_be_replaced_and_deleted(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.save_view("zulu", state="stalled")
    tui_tracker.save_view("alpha", state="resumed")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("1")  # the first made, not the first by name
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == "state:stalled"
        await pilot.press("v", *"zulu", "enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, SaveViewModal)
        text = screen_text(app)
        assert "already exists" in text and "--" not in text.split("already exists")[1][:40]
        replace = modal.query_one("#replace", Button)
        assert replace.display and app.focused is replace
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)
        assert [v.name for v in tui_tracker.views()] == ["zulu", "alpha"]
        await pilot.press("V")  # the sidebar (hidden at 80 columns until asked for)
        await settle(pilot)
        views = app.screen.query_one("#views", OptionList)
        views.focus()
        views.highlighted = 3  # 0 all items, w waiting on me, 1 zulu, 2 alpha
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, DeleteViewModal)
        usable(app)
        await pilot.press("shift+tab", "enter")  # Cancel has focus: back to Delete
        await settle(pilot)
        assert [v.name for v in tui_tracker.views()] == ["zulu"]


async def test_a_key_map_collision_is_warned_and_shown_in_help(tui_tracker: Tracker) -> None:
    app = make_app(tui_tracker, poll_interval=None, cursor_blink=False, keymap={"items.add": "s"})
    assert app.keymap_problems == ["s is on items.add and items.sort: items.sort no longer works"]
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert "the key map took this key from Sort" in screen_text(app)


LONG_TITLE = (
    "Refuelling, logistics and maintenance support for the combined maritime patrol aircraft"
    " detachment at Naha"
)


async def test_a_long_title_ends_in_an_ellipsis_on_the_summary_line_not_cut_silently(
    tui_tracker: Tracker,
) -> None:
    """At 80x24 the summary line `KEY  state  title  kind` stopped where the width did: a
    long title lost its end and the kind without a sign. Now the title gives way, ending in
    `…`, and the kind stays; at any width; a short title is shown whole."""
    tui_tracker.add("AAA", LONG_TITLE, "support", ["ROK", "JPN"])
    for width in (80, 100):
        app = make_app(tui_tracker, poll_interval=None, cursor_blink=False)
        async with app.run_test(size=(width, 24)) as pilot:
            await settle(pilot)
            screen = await open_acsa(app, pilot)  # the first row: AAA
            assert screen.key == "AAA"
            summary = screen.query_one("#summary")
            line = screen_text(app).splitlines()[summary.region.y]
            assert line.startswith(" AAA  proposed  Refuelling, logistics"), line
            assert line.endswith("…  support"), line
            assert len(line) == width - 1  # the padding's last column left blank
            title = line.removeprefix(" AAA  proposed  ").removesuffix("…  support")
            assert LONG_TITLE.startswith(title)
            await pilot.press("escape", "down", "enter")  # ACSA: its whole title fits
            await settle(pilot)
            line = screen_text(app).splitlines()[summary.region.y]
            assert line == " ACSA  stalled  Acquisition and Cross-Servicing Agreement  agreement"
