"""What a user does in the TUI, and what they see (pilot tests on the seeded database)."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from textual.widgets import Input, Select, Static

from tests.test_reads import transactions
from tracker import Tracker
from tracker.errors import DatabaseUnusable
from tracker.store.models import items
from tracker.tui.app import TrackerApp, make_app
from tracker.tui.commands import TrackerCommands
from tracker.tui.screens.fire import FireModal
from tracker.tui.screens.help import HelpScreen
from tracker.tui.screens.history import HistoryScreen
from tracker.tui.screens.item import ItemScreen
from tracker.tui.screens.item_form import ItemForm
from tracker.tui.screens.items import ItemsScreen
from tracker.tui.widgets.virtual_table import VirtualTable

from .driving import screen_text, settle

SIZE = (120, 40)


def table_keys(app: TrackerApp, selector: str = "#items") -> list[str]:
    table = app.screen.query_one(selector, VirtualTable)
    return [row.key for i in range(table.total) if (row := table.row(i)) is not None]


async def open_item(app: TrackerApp, pilot, key: str) -> ItemScreen:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *key.lower(), "enter", "enter")
    await settle(pilot)
    assert isinstance(app.screen, ItemScreen)
    return app.screen


async def test_open_shows_items_counts_and_keys(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)
        assert table_keys(app) == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
        text = screen_text(app)
        assert "stalled 1" in text and "resumed 2" in text and "total 4" in text
        assert "Fire" in text and "Filter" in text  # the footer shows the keys in force


async def test_filter_as_you_type(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "s", "a", "r")
        await settle(pilot)
        assert table_keys(app) == ["SAREX"]
        app.screen.query_one("#filter", Input).value = "state:resumed"
        await settle(pilot)
        assert table_keys(app) == ["REFUEL", "SAREX"]
        assert "total 2" in screen_text(app)
        app.screen.query_one("#filter", Input).value = "nothing-like-this"
        await settle(pilot)
        assert table_keys(app) == []
        assert "(nothing matches)" in screen_text(app)


async def test_sort_by_column_and_reverse(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")  # key -> title
        await settle(pilot)
        assert table_keys(app) == ["ACSA", "DRILLS", "SAREX", "REFUEL"]
        await pilot.press("S")
        await settle(pilot)
        assert table_keys(app) == ["REFUEL", "SAREX", "DRILLS", "ACSA"]
        assert "title ▼" in screen_text(app)


async def test_open_item_shows_fields_triggers_diagram_and_history(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_item(app, pilot, "sarex")
        text = screen_text(app)
        assert "Joint maritime search-and-rescue exercises" in text
        assert "1 stall" in text and "2 suspend" in text  # allowed from resumed
        assert "propose" not in text.split("history (newest first)")[0].split("workflow")[0]
        assert "*  resumed" in text  # the diagram marks the current state
        assert "stalled → resumed" in text and "∅ → proposed" in text
        assert screen.item is not None and screen.item.state == "resumed"
        await pilot.press("escape")
        assert isinstance(app.screen, ItemsScreen)


async def test_fire_a_trigger_that_needs_no_reason(app: TrackerApp, tui_tracker: Tracker) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_item(app, pilot, "acsa")
        await pilot.press("3")  # propose, suspend, resume: resume
        await settle(pilot)
        assert isinstance(app.screen, FireModal)
        await pilot.press(*"Asahi", "enter")  # typed into the reason, then submit
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        assert tui_tracker.get("ACSA").state == "resumed"
        assert "stalled → resumed" in screen_text(app)


async def test_the_item_screen_loads_in_one_transaction(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_item(app, pilot, "acsa")
        with transactions(tui_tracker) as begun:
            screen.load()
            await settle(pilot)
        assert begun() == 1
        assert screen.state == "stalled" and screen.allowed == ("propose", "suspend", "resume")
        assert screen.entries and screen.entries[0].to_state == "stalled"


async def test_fire_without_a_required_reason_is_stopped_inline(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_item(app, pilot, "acsa")
        await pilot.press("2")  # suspend: requires a reason
        await settle(pilot)
        assert "reason (required for suspend)" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FireModal)
        assert "reason is required to suspend" in screen_text(app)
        assert tui_tracker.get("ACSA").state == "stalled"  # nothing written
        # The service's rule, not a stripped copy of it: zero-width spaces are no reason.
        app.screen.query_one("#reason", Input).value = "\u200b\u200b"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FireModal)
        assert "reason is required to suspend" in screen_text(app)
        app.screen.query_one("#reason", Input).value = ""
        await pilot.press(*"talks paused", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        assert tui_tracker.get("ACSA").state == "suspended"
        assert tui_tracker.history("ACSA", newest_first=True)[0].reason == "talks paused"


async def test_a_trigger_not_allowed_is_refused_in_the_modal(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_item(app, pilot, "acsa")
        await pilot.press("f")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FireModal)
        modal.query_one("#trigger", Select).value = "stall"
        await pilot.pause()
        await pilot.press(*"why not", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FireModal)
        refusal = str(app.screen.query_one("#refusal", Static).content)
        assert (
            refusal
            == "refused: ACSA: cannot stall from stalled (allowed: propose, suspend, resume)"
        )
        assert tui_tracker.get("ACSA").version == 2


async def test_a_conflict_is_shown_and_the_screen_refreshes(
    app: TrackerApp, tui_tracker: Tracker, tui_url: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item_screen = await open_item(app, pilot, "acsa")
        await pilot.press("1")  # propose, from stalled
        await settle(pilot)
        with Tracker.open(tui_url) as other:
            other.fire("ACSA", "resume")
        await pilot.press("enter")
        await settle(pilot)
        refusal = str(app.screen.query_one("#refusal", Static).content)
        assert refusal.startswith("refused: ACSA is resumed, not stalled")
        await pilot.press("escape")
        await settle(pilot)
        assert item_screen.item is not None and item_screen.item.state == "resumed"


async def test_add_an_item_with_inline_validation(app: TrackerApp, tui_tracker: Tracker) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ItemForm)
        await pilot.press(*"1bad")
        assert "bad key '1bad'" in screen_text(app)
        form = app.screen
        form.query_one("#key", Input).value = "GSOMIA"
        form.query_one("#title", Input).value = "Intelligence sharing pact"
        form.query_one("#kind", Input).value = "agreement"
        form.query_one("#parties", Input).value = "rok, jpn"
        await pilot.pause()
        assert "bad key" not in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)
        item = tui_tracker.get("gsomia")
        assert (item.title, item.kind, item.parties) == (
            "Intelligence sharing pact",
            "agreement",
            ("ROK", "JPN"),
        )
        assert "GSOMIA" in table_keys(app)


async def test_add_refuses_a_key_that_exists(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#key", Input).value = "acsa"
        form.query_one("#title", Input).value = "again"
        form.query_one("#kind", Input).value = "agreement"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ItemForm)
        assert "refused: item 'ACSA' already exists" in screen_text(app)


async def test_edit_an_item(app: TrackerApp, tui_tracker: Tracker) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")  # the first row: ACSA
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemForm)
        form.query_one("#title", Input).value = ""
        await pilot.pause()
        assert "title must not be empty" in screen_text(app)
        form.query_one("#title", Input).value = "ACSA (draft)"
        form.query_one("#parties", Input).value = "ROK JPN USA"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ItemsScreen)
        item = tui_tracker.get("ACSA")
        assert item.title == "ACSA (draft)" and item.parties == ("ROK", "JPN", "USA")
        assert tui_tracker.history("ACSA", newest_first=True)[0].trigger == "edit"
        assert "ACSA (draft)" in screen_text(app)


async def test_history_newest_first_and_filters(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one("#history", VirtualTable)
        assert table.total == 10
        first = [table.row(i) for i in range(2)]
        assert [r.key for r in first if r] == ["ACSA", "ACSA"]  # 2026-01-30, newest
        app.screen.query_one("#h-item", Input).value = "sarex"
        await settle(pilot)
        assert table_keys(app, "#history") == ["SAREX"] * 3
        app.screen.query_one("#h-trigger", Input).value = "stall"
        await settle(pilot)
        assert table.total == 1
        app.screen.query_one("#h-item", Input).value = ""
        app.screen.query_one("#h-trigger", Input).value = ""
        app.screen.query_one("#h-since", Input).value = "2025-11-01"
        app.screen.query_one("#h-until", Input).value = "2025-11-30"
        await settle(pilot)
        assert sorted(table_keys(app, "#history")) == ["DRILLS", "REFUEL", "REFUEL"]
        app.screen.query_one("#h-since", Input).value = "not a date"
        await settle(pilot)
        assert "since: bad date" in screen_text(app)
        assert table.total == 0  # no rows that the fields do not describe


async def test_time_travel_is_read_only_and_returns_to_now(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"2025-12-01", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ItemsScreen) and screen.read_only
        text = screen_text(app)
        assert "TIME TRAVEL: as of 2025-12-01 00:00 UTC" in text and "read-only" in text
        assert table_keys(app) == ["DRILLS", "REFUEL", "SAREX"]  # ACSA came later
        rows = {k: screen.table.row(i) for i, k in enumerate(table_keys(app))}
        assert rows["REFUEL"] is not None and rows["REFUEL"].cells[3].plain == "suspended"
        assert "Fire" not in text.splitlines()[-1]  # no write keys in the footer
        await pilot.press("f", "a", "e")
        await settle(pilot)
        assert app.screen is screen  # nothing opened
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen)
        assert "read-only" in screen_text(app)
        await pilot.press("escape", "n")
        await settle(pilot)
        assert not screen.read_only
        assert table_keys(app) == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
        assert "TIME TRAVEL" not in screen_text(app)


async def test_live_refresh_shows_a_second_writer(tui_tracker: Tracker, tui_url: str) -> None:
    app = make_app(tui_tracker, poll_interval=0.2, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        with Tracker.open(tui_url) as other:
            other.add("PKO", "Peacekeeping logistics", "support", ["ROK"])
            other.fire("DRILLS", "resume")
        for _ in range(40):  # up to about 2 s, no key pressed
            await asyncio.sleep(0.05)
            await pilot.pause()
            if "PKO" in table_keys(app):
                break
        assert "PKO" in table_keys(app)
        assert "resumed 3" in screen_text(app)


async def test_text_from_the_database_is_shown_literally(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.add("MARK", "[bold red]x[/]", "test", description="[link=x]y[/link]")
    with tui_tracker.engine.begin() as connection:  # escape codes only another program writes
        connection.execute(
            update(items).where(items.c.key == "SAREX").values(title="\x1b[31mred\x1b[0m")
        )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "[bold red]x[/]" in screen_text(app)
        await open_item(app, pilot, "mark")
        text = screen_text(app)
        assert "[bold red]x[/]" in text
        assert "[link=x]y[/link]" in text
        await pilot.press("escape")
        app.screen.query_one("#filter", Input).value = ""
        await settle(pilot)
        assert "\\x1b[31mred\\x1b[0m" in screen_text(app)


async def test_help_lists_the_keys_in_force(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for does in ("Fire", "Filter", "History", "As of…", "Open"):
            assert does in text
        assert "Back to now" not in text  # not in force outside time travel
        await pilot.press("escape")
        assert isinstance(app.screen, ItemsScreen)


async def test_keys_can_be_rebound_by_id(tui_tracker: Tracker) -> None:
    app = make_app(
        tui_tracker, poll_interval=None, cursor_blink=False, keymap={"items.history": "y"}
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)


async def test_command_palette_jumps_and_fires_only_what_applies(app: TrackerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = TrackerCommands(app.screen)
        hits = [hit.text async for hit in provider.search("ACSA")]
        assert "Open ACSA" in hits
        assert "Fire resume on ACSA" in hits and "Fire propose on ACSA" in hits
        assert "Fire stall on ACSA" not in hits  # not allowed from stalled
        await pilot.press("ctrl+p", *"open sarex")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen) and app.screen.key == "SAREX"


async def test_a_database_error_is_a_notification_not_a_crash(
    app: TrackerApp, tui_tracker: Tracker, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    def gone(key: str, **_options: object) -> None:
        raise DatabaseUnusable("database sqlite:///x: unable to open database file")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(tui_tracker, "get", gone)
        monkeypatch.setattr(tui_tracker, "item_page", gone)  # the item screen's one read
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert "database sqlite:///x: unable to open database file" in messages
