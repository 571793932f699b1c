"""Issue 6 in the TUI: bulk fire on marked items, acting from the list, comments, saved views,
vim keys and a user key map, the timeline, themes (pilot tests on the seeded database)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, TextArea

from tracker import Filter, Tracker
from tracker.tui.app import TrackerApp, make_app
from tracker.tui.screens.bulk import BulkFireModal
from tracker.tui.screens.comment import CommentModal
from tracker.tui.screens.fire import FireModal
from tracker.tui.screens.item import ItemScreen
from tracker.tui.screens.item_form import ItemForm
from tracker.tui.screens.items import ItemsScreen
from tracker.tui.screens.timeline import TimelineScreen
from tracker.tui.widgets.timeline import TimelineChart

from .driving import screen_text, settle
from .test_flows import SIZE, table_keys

WIDE = (200, 50)  # room for every footer key


def items_screen(app: TrackerApp) -> ItemsScreen:
    screen = app.screen
    assert isinstance(screen, ItemsScreen)
    return screen


async def test_space_marks_and_shift_arrows_mark_a_range(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = items_screen(app)
        await pilot.press("space")  # marks ACSA, moves to DRILLS
        assert screen.marks == {"ACSA"}
        await pilot.press("shift+down", "shift+down")  # DRILLS, REFUEL, SAREX
        await settle(pilot)
        assert screen.marks == {"ACSA", "DRILLS", "REFUEL", "SAREX"}
        text = screen_text(app)
        assert "marked 4" in text
        assert text.count("● ") >= 4  # each marked row shows its mark
        await pilot.press("k", "space")  # unmark REFUEL
        assert screen.marks == {"ACSA", "DRILLS", "SAREX"}
        await pilot.press("u")
        await settle(pilot)
        assert screen.marks == set()
        assert "marked" not in screen_text(app)


async def test_mark_all_that_match_the_filter(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = items_screen(app)
        screen.query_one("#filter", Input).value = "state:resumed"
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert screen.marks == {"REFUEL", "SAREX"}
        assert "marked 2" in screen_text(app)


async def test_bulk_fire_lists_the_refused_and_fires_the_rest_in_one_batch(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")  # all four
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkFireModal)
        modal.query_one("#trigger", Select).value = "suspend"
        await settle(pilot)
        text = screen_text(app)
        assert "3 will suspend" in text and "1 cannot" in text
        assert "DRILLS  is suspended" in text  # the refused item, named before confirming
        await pilot.click("#fire")
        await settle(pilot)
        assert "reason is required to suspend" in screen_text(app)
        modal.query_one("#reason", Input).value = "talks paused"
        modal.query_one("#source", Input).value = "minutes"
        await pilot.click("#fire")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)
        assert app.screen.marks == set()
        states = {i.key: i.state for i in tui_tracker.list()}
        assert states == dict.fromkeys(["ACSA", "DRILLS", "REFUEL", "SAREX"], "suspended")
        fired = tui_tracker.history(trigger="suspend", since="2026-02-01")
        assert sorted(e.item for e in fired) == ["ACSA", "REFUEL", "SAREX"]
        assert {(e.reason, e.source) for e in fired} == {("talks paused", "minutes")}


async def test_bulk_fire_writes_nothing_when_the_batch_is_refused(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space", "space")  # ACSA (stalled), DRILLS (suspended)
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkFireModal)
        modal.query_one("#trigger", Select).value = "resume"
        await settle(pilot)
        tui_tracker.fire("DRILLS", "resume")  # another writer moves one of them
        before = tui_tracker.history_count()
        await pilot.click("#fire")
        await settle(pilot)
        assert "refused, nothing written" in screen_text(app)
        assert tui_tracker.history_count() == before
        assert tui_tracker.get("ACSA").state == "stalled"


async def test_act_from_the_list_without_opening_the_item(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")  # DRILLS
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FireModal) and app.screen.item.key == "DRILLS"
        await pilot.press("escape", "e")
        await settle(pilot)
        assert isinstance(app.screen, ItemForm) and app.screen.item is not None
        assert app.screen.item.key == "DRILLS"
        await pilot.press("escape", "c")
        await settle(pilot)
        assert isinstance(app.screen, CommentModal) and app.screen.key == "DRILLS"
        app.screen.query_one("#text", TextArea).text = "waiting for the [b]budget[/b]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)
        last = tui_tracker.history("DRILLS")[-1]
        assert (last.trigger, last.reason) == ("comment", "waiting for the [b]budget[/b]")
        assert last.from_state == last.to_state == "suspended"


async def test_an_empty_comment_is_stopped_inline(app: TrackerApp, tui_tracker: Tracker) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = tui_tracker.history_count()
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "write a comment first" in screen_text(app)
        # Zero-width spaces are no text either: the service's rule, stopped inline too.
        app.screen.query_one("#text", TextArea).text = "\u200b\u200b"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "write a comment first" in screen_text(app)
        assert tui_tracker.history_count() == before


async def test_comment_on_the_item_screen_shows_in_its_history_and_band(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#text", TextArea).text = "Seoul asks for more time"
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ItemScreen)
        text = screen_text(app)
        assert "comment" in text and "Seoul asks for more time" in text
        chart = screen.query_one("#band", TimelineChart)
        assert chart.current is not None and chart.current.trigger == "comment"
        assert "•" in text or "◆" in text  # the comment is marked on the band


async def test_opening_items_reuses_one_installed_screen(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        first = app.screen
        assert isinstance(first, ItemScreen) and first.key == "ACSA"
        await pilot.press("escape", "j", "enter")
        await settle(pilot)
        assert app.screen is first and first.key == "DRILLS"
        assert "Joint drills" in screen_text(app)
        assert "Acquisition" not in screen_text(app)


async def test_vim_keys_move_beside_the_arrows(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = items_screen(app).table
        await pilot.press("j", "j")
        assert table.current_key == "REFUEL"
        await pilot.press("k")
        assert table.current_key == "DRILLS"
        await pilot.press("G")
        assert table.current_key == "SAREX"
        await pilot.press("g")
        assert table.current_key == "ACSA"
        await pilot.press("end", "up", "home", "pagedown")
        assert table.current_key == "SAREX"


async def test_saved_views_sidebar_number_keys_and_create(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.save_view("before-acsa", as_of="2025-12-01")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = items_screen(app)
        screen.query_one("#filter", Input).value = "state:resumed"
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert "state=resumed" in screen_text(app)
        await pilot.press(*"moving", "enter")
        await settle(pilot)
        assert [v.name for v in tui_tracker.views()] == ["before-acsa", "moving"]
        text = screen_text(app)
        assert "1 before-acsa" in text and "2 moving" in text  # the sidebar
        await pilot.press("0")
        await settle(pilot)
        assert table_keys(app) == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
        await pilot.press("2")
        await settle(pilot)
        assert table_keys(app) == ["REFUEL", "SAREX"]
        assert screen.query_one("#filter", Input).value == "state:resumed"
        await pilot.press("1")  # a view with an as-of date: time travel
        await settle(pilot)
        assert screen.read_only
        assert table_keys(app) == ["DRILLS", "REFUEL", "SAREX"]
        assert "TIME TRAVEL: as of 2025-12-01" in screen_text(app)
        await pilot.press("0")
        await settle(pilot)
        assert not screen.read_only and len(table_keys(app)) == 4


async def test_a_view_name_taken_is_refused_in_the_prompt(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.save_view("mine", state="stalled")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v", *"mine", "enter")
        await settle(pilot)
        assert "already exists" in screen_text(app)
        assert tui_tracker.view("mine").state == "stalled"


async def test_timeline_screen_zooms_and_shows_the_reason_of_the_selected_entry(
    app: TrackerApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        chart = screen.query_one("#chart", TimelineChart)
        assert [band.key for band in chart.bands] == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
        text = screen_text(app)
        assert "history of 4 items" in text
        assert "No consensus at Yokosuka" in text  # ACSA's newest entry, its reason
        await pilot.press("j")  # DRILLS, near the same date
        await settle(pilot)
        assert chart.current is not None and chart.current.key == "DRILLS"
        await pilot.press("left")
        await settle(pilot)
        assert chart.current is not None
        assert f"reason: {chart.current.reason or '-'}"[:40] in screen_text(app)
        whole = chart.window
        await pilot.press("plus")
        assert chart.window[1] - chart.window[0] < whole[1] - whole[0]
        zoomed = chart.window
        await pilot.press("left_square_bracket")
        assert chart.window[0] < zoomed[0]
        await pilot.press("0")
        assert chart.window == whole
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen) and app.screen.key == "DRILLS"


async def test_timeline_follows_the_filter(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        items_screen(app).query_one("#filter", Input).value = "state:resumed"
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        chart = app.screen.query_one("#chart", TimelineChart)
        assert [band.key for band in chart.bands] == ["REFUEL", "SAREX"]
        assert "state=resumed" in screen_text(app)


async def test_a_user_key_map_file_rebinds_and_the_help_shows_it(
    tui_tracker: Tracker, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\nfire = "f2"\n"items.history" = "y"\n', encoding="utf-8")
    app = make_app(tui_tracker, poll_interval=None, cursor_blink=False, keys_file=keys)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert "f2 Fire" in screen_text(app).splitlines()[-1]  # the footer
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)  # f no longer fires
        await pilot.press("question_mark")
        await settle(pilot)
        help_lines = screen_text(app).splitlines()
        assert any("f2" in line and "Fire" in line for line in help_lines)
        assert any(" y " in line and "History" in line for line in help_lines)
        await pilot.press("escape", "f2")
        await settle(pilot)
        assert isinstance(app.screen, FireModal)
        await pilot.press("escape", "enter", "f2")  # the item screen's fire too
        await settle(pilot)
        assert isinstance(app.screen, FireModal)
        assert not app._notifications


async def test_a_bad_key_map_file_is_a_notification_not_a_crash(
    tui_tracker: Tracker, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\nfire = "f2"\nno_such_thing = "x"\nsort = 3\n', encoding="utf-8")
    app = make_app(tui_tracker, poll_interval=None, cursor_blink=False, keys_file=keys)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        message = " ".join(n.message for n in app._notifications)
        assert "no_such_thing: no such binding" in message
        assert "sort: the key must be a string" in message
        assert "f2 Fire" in screen_text(app)  # what could be applied, is
    keys.write_text("[keys\nfire = ", encoding="utf-8")
    app = make_app(tui_tracker, poll_interval=None, cursor_blink=False, keys_file=keys)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ItemsScreen)
        message = " ".join(n.message for n in app._notifications)
        assert "not valid TOML" in message and "default keys in use" in message
        assert "f Fire" in screen_text(app)


async def test_light_and_dark_themes_switch(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert not app.current_theme.dark and app.theme == "textual-light"
        assert table_keys(app) == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
        await pilot.press("ctrl+t")
        assert app.current_theme.dark


async def test_the_filter_box_reads_the_one_filter_syntax(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.save_view("japan", Filter.parse("party:jpn refuel state:resumed"))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = items_screen(app)
        box = screen.query_one("#filter", Input)
        # A saved view shows in the box as the same words, and selects the same items.
        await pilot.press("1")
        await settle(pilot)
        assert box.value == "state:resumed party:JPN refuel"
        assert table_keys(app) == ["REFUEL"]
        # `--where`'s spelling is the same filter.
        box.value = "state=resumed,party=JPN"
        await settle(pilot)
        assert table_keys(app) == ["REFUEL", "SAREX"]
        # A field the syntax does not know is said on the count line, and shows no rows.
        box.value = "stat:resumed"
        await settle(pilot)
        assert "no filter 'stat'" in screen_text(app)
        assert table_keys(app) == []
