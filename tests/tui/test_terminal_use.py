"""What a user trips on in a real terminal at 80x24 (found by driving the TUI in tmux on the
seed and on 100,000 items): each test is one such trip, its fix holding."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tracker import Tracker
from tracker.tui.app import TrackerApp
from tracker.tui.screens.items import ItemsScreen

from .driving import settle

SMALL = (80, 24)


def counts_line(screen: ItemsScreen) -> str:
    return str(screen.query_one("#counts", Static).render())


async def items_screen(app: TrackerApp, pilot: Pilot[Any]) -> ItemsScreen:
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ItemsScreen)
    return screen


async def test_time_travel_from_waiting_on_me_shows_that_moment(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    """`w` then `t`: the table is every item as of the date, never today's waiting items
    labelled with a past date (ACSA, waiting now, did not exist on 2025-12-01)."""
    tui_tracker.fire("ACSA", "propose", reason="talks restart", at="2026-02-01")
    tui_tracker.approve("ACSA", "sign", party="ROK", source="Yonhap", at="2026-02-02")
    then = tui_tracker.count(as_of="2025-12-01")
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        await pilot.press("w")
        await settle(pilot)
        assert screen.table.current_key == "ACSA" and screen.table.total == 1
        await pilot.press("t", *"2025-12-01", "enter")
        await settle(pilot)
        assert screen.sub_title.startswith("as of 2025-12-01")
        assert screen.table.total == sum(then.values())
        keys = {row.key for i in range(screen.table.total) if (row := screen.table.row(i))}
        assert "ACSA" not in keys
        assert not counts_line(screen).startswith("waiting on me")
