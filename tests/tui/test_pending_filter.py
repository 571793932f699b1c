"""The filter word `pending:PARTY` (issue 12) in the TUI's filter box and its timeline: the items
a gated transition of which awaits that party, as `tracker pending --party` lists them."""

from __future__ import annotations

from textual.widgets import Input

from tracker import Tracker
from tracker.tui.app import TrackerApp

from .driving import screen_text, settle
from .test_flows import SIZE, table_keys


async def test_the_filter_box_takes_pending(app: TrackerApp, tui_tracker: Tracker) -> None:
    tui_tracker.fire("ACSA", "resume", source="Yonhap")
    tui_tracker.approve("ACSA", "sign", party="ROK", source="Yonhap")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        box = app.screen.query_one("#filter", Input)
        box.value = "pending:jpn"
        await settle(pilot)
        assert table_keys(app) == ["ACSA"]
        box.value = "pending:ROK"
        await settle(pilot)
        assert table_keys(app) == []
        box.value = "pending:"
        await settle(pilot)
        assert "the pending filter is empty" in screen_text(app)
        # JPN agrees: sign fires, nothing waits on anyone.
        tui_tracker.approve("ACSA", "sign", party="JPN", source="Asahi Shimbun")
        box.value = "pending:JPN"
        await settle(pilot)
        assert table_keys(app) == []
