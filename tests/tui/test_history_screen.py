"""The history screen as a user drives it: prefix filters typed key by key, Escape, the detail
panel, `G` to the last (oldest) rows over a history longer than a page, and live refresh of
views saved by another process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.test_history_pages import fill
from tracker import Tracker
from tracker.tui.app import TrackerApp, make_app
from tracker.tui.screens.history import EntryDetail, Fields, HistoryScreen, entry_row
from tracker.tui.screens.items import ItemsScreen
from tracker.tui.widgets.views_list import ViewsList
from tracker.tui.widgets.virtual_table import VirtualTable

from .driving import screen_text, settle

SMALL = (80, 24)


def shown_rows(app: TrackerApp) -> list[VirtualTable.Row]:  # type: ignore[name-defined]
    table = app.screen.query_one("#history", VirtualTable)
    return [row for i in range(table.total) if (row := table.row(i)) is not None]


def notes(app: TrackerApp) -> list[str]:
    return [n.message for n in app._notifications]


async def open_history(app: TrackerApp, pilot) -> HistoryScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    assert isinstance(app.screen, HistoryScreen)
    return app.screen


async def test_item_prefix_typed_key_by_key_never_raises_and_rows_follow(app: TrackerApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await open_history(app, pilot)
        await pilot.press("slash")
        typed = ""
        for char in "sar":
            await pilot.press(char)
            typed += char
            await settle(pilot)
            keys = {row.key for row in shown_rows(app)}
            assert keys and all(k.lower().startswith(typed) for k in keys), (typed, keys)
        assert [row.key for row in shown_rows(app)] == ["SAREX"] * 3
        await pilot.press("x", "x")
        await settle(pilot)
        assert shown_rows(app) == [] and "(nothing matches)" in screen_text(app)
        assert notes(app) == []  # no "no item 'S'" toasts while typing


async def test_actor_and_trigger_are_case_insensitive_prefixes(app: TrackerApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(app, pilot)
        screen.query_one("#h-actor", Input).value = "rok"
        await settle(pilot)
        actors = {row.record.actor for row in shown_rows(app)}
        assert actors and all(a.startswith("ROK ") for a in actors)
        assert {"ROK MND / Japan MOD", "ROK Air Force"} <= actors
        screen.query_one("#h-trigger", Input).value = "CR"
        await settle(pilot)
        assert {row.record.trigger for row in shown_rows(app)} == {"create"}
        assert "3 entries" in screen_text(app)


async def test_an_answer_to_an_older_filter_is_dropped(app: TrackerApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(app, pilot)
        screen.query_one("#h-item", Input).value = "sar"
        await settle(pilot)
        drills = [entry_row(e) for e in screen.tracker.history("DRILLS")]
        screen.post_message(HistoryScreen.Loaded(Fields(item="d"), drills, True))
        screen.post_message(HistoryScreen.Counted(Fields(item="d"), 2))
        await settle(pilot)
        assert [row.key for row in shown_rows(app)] == ["SAREX"] * 3


async def test_a_date_being_typed_shows_no_rows_and_no_toast(app: TrackerApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(app, pilot)
        screen.query_one("#h-since", Input).value = "2025-1"
        await settle(pilot)
        assert shown_rows(app) == []
        assert "since: bad date" in screen_text(app)
        screen.query_one("#h-since", Input).value = "2025-11-01"
        await settle(pilot)
        assert len(shown_rows(app)) == 7
        assert notes(app) == []


async def test_labels_stay_once_typed_into_and_placeholders_are_not_values(
    app: TrackerApp,
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(app, pilot)
        fields = "\n".join(screen_text(app).splitlines()[1:4])
        assert "YYYY-MM-DD" in fields and "2025" not in fields
        await pilot.press("slash", "s", "a")
        await settle(pilot)
        text = screen_text(app)
        for label in ("item", "actor", "trigger", "since", "until"):
            assert f" {label} " in text.splitlines()[1], label
        assert screen.query_one("#h-item", Input).value == "sa"


async def test_h_on_an_item_shows_exactly_its_history_and_typing_makes_it_a_prefix(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    from tracker.tui.screens.item import ItemScreen

    tui_tracker.add("ACSA2", title="A second ACSA", kind="drill")
    acsa = [e.id for e in tui_tracker.history("ACSA", newest_first=True)]
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"acsa", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen) and app.screen.key == "ACSA"
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert [row.record.id for row in shown_rows(app)] == acsa  # not ACSA2's
        assert screen.query_one("#h-item", Input).value == "ACSA"
        assert "exact key" in screen_text(app).splitlines()[1]
        screen.query_one("#h-item", Input).value = "ACS"  # typed: a prefix on purpose
        await settle(pilot)
        assert {row.key for row in shown_rows(app)} == {"ACSA", "ACSA2"}
        assert "exact key" not in screen_text(app).splitlines()[1]
        screen.query_one("#h-item", Input).value = "ACSA"  # and stays one
        await settle(pilot)
        assert {row.key for row in shown_rows(app)} == {"ACSA", "ACSA2"}


async def test_escape_leaves_the_filter_then_the_screen(app: TrackerApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(app, pilot)
        await pilot.press("slash", "s")
        await settle(pilot)
        assert isinstance(screen.focused, Input)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and isinstance(screen.focused, VirtualTable)
        assert screen.query_one("#h-item", Input).value == "s"  # the filter stays
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)


async def test_the_selected_entry_shows_its_reason_and_source_in_full_at_80x24(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await open_history(app, pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        entry = tui_tracker.history(newest_first=True)[2]
        assert entry.reason and entry.source and len(entry.reason) > 40
        detail = app.screen.query_one(EntryDetail)
        assert detail.region.bottom <= SMALL[1]
        text = " ".join(screen_text(app).split())
        assert " ".join(entry.reason.split()) in text
        assert entry.source in text


@pytest.fixture
def long_history(tmp_path: Path) -> Iterator[Tracker]:
    """A history of 400 entries: several pages of the table."""
    with Tracker.open(f"sqlite:///{tmp_path / 'long.db'}") as tracker:
        fill(tracker, items=40, fires=9)
        yield tracker


async def test_G_shows_the_last_rows_and_paging_up_continues_them(long_history: Tracker) -> None:
    app = make_app(long_history, poll_interval=None, cursor_blink=False)
    everything = long_history.history(newest_first=True)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(app, pilot)
        table = screen.table
        assert table.total == len(everything) == 400
        await pilot.press("G")
        await settle(pilot)
        assert table.cursor == 399
        assert table.row(399).record == everything[-1]
        for _ in range(12):  # well past the first page fetched from the end
            await pilot.press("pageup")
        await settle(pilot)
        top = int(table.scroll_y)
        for index in range(top, top + 10):
            assert table.row(index).record == everything[index]
        await pilot.press("g")
        await settle(pilot)
        assert table.row(0).record == everything[0]


async def test_a_view_saved_by_another_process_appears(app: TrackerApp, tui_url: str) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.poll()
        await settle(pilot)
        with Tracker.open(tui_url) as other:
            other.save_view("stalled-ones", state="stalled")
        app.poll()
        await settle(pilot)
        listing = app.screen.query_one(ViewsList)
        labels = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert any("stalled-ones" in label for label in labels)


async def test_time_travel_shows_that_it_is_loading_then_the_counts_of_that_moment(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    from datetime import UTC, datetime

    from tracker.tui.widgets.state_counts import StateCounts

    when = datetime(2025, 12, 1, tzinfo=UTC)
    then = tui_tracker.count(as_of=when)
    assert then != tui_tracker.count()  # the seed differs between then and now
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ItemsScreen)
        screen.travel_to(when)
        counts = str(screen.query_one(StateCounts).content)
        assert counts.startswith("counting as of 2025-12-01")  # not today's numbers
        assert screen.table.total == 0 and screen.table.waiting
        await settle(pilot)
        text = screen_text(app)
        assert "TIME TRAVEL" in text
        assert f"total {sum(then.values())}" in text
        for state, number in then.items():
            assert f"{state} {number}" in text
        assert screen.table.total == sum(then.values())


async def test_live_refresh_keeps_the_cursor_deep_in_the_history(long_history: Tracker) -> None:
    app = make_app(long_history, poll_interval=None, cursor_blink=False)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_history(app, pilot)
        table = screen.table
        await pilot.press("G", "pageup")
        await settle(pilot)
        kept = table.cursor
        assert kept > 300
        long_history.comment("ab2", "a note written elsewhere")
        app.data_changed()  # what the poll does when the change mark moves
        await settle(pilot)
        everything = long_history.history(newest_first=True)
        assert table.total == len(everything) == 401
        assert table.cursor == kept
        assert table.row(kept).record == everything[kept]
        assert table.row(0) is None or table.row(0).record == everything[0]


def test_snapshot_history_at_80x24(snap_compare, app: TrackerApp) -> None:  # type: ignore[no-untyped-def]
    from .test_snapshots import after

    assert snap_compare(app, terminal_size=(80, 24), run_before=after("h", "|", "down", "down"))


def test_snapshot_history_at_160x45_filtered(snap_compare, app: TrackerApp) -> None:  # type: ignore[no-untyped-def]
    from .test_snapshots import after

    keys = ("h", "|", "slash", "tab", *"rok", "|", "escape", "|", "down")
    assert snap_compare(app, terminal_size=(160, 45), run_before=after(*keys))
