"""What a user trips on in a real terminal at 80x24 (found by driving the TUI in tmux on the
seed and on 100,000 items): each test is one such trip, its fix holding."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from textual.color import Color
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Static
from textual.worker import get_current_worker

from tracker import Tracker
from tracker.tui.app import TrackerApp
from tracker.tui.screens.item import ItemScreen
from tracker.tui.screens.items import ItemsScreen
from tracker.tui.widgets.state_counts import StateCounts

from .driving import screen_text, settle

SMALL = (80, 24)


def counts_line(screen: ItemsScreen) -> str:
    """The counts line as the terminal shows it (one or two rows)."""
    region = screen.query_one("#counts", Static).region
    rows = screen_text(screen.app).splitlines()[region.y : region.y + region.height]
    return "\n".join(row[region.x : region.right].strip() for row in rows)


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


def split_pairs(line: str, states: set[str]) -> list[str]:
    """Where a wrapped counts line parts a state from its count (`signed` | `732`)."""
    rows = [row.strip() for row in line.splitlines()]
    return [
        f"{above!r} | {below!r}"
        for above, below in pairwise(rows)
        if above.split()[-1] in states or below[:1].isdigit()
    ]


async def test_the_counts_line_breaks_between_counts_never_inside_one(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    """At 80 columns the counts of `state:stalled` take two lines (and 100,000 items' counts
    do, unfiltered): each state stays beside its count."""
    states = {"proposed", "stalled", "suspended", "resumed", "signed"}
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        await pilot.press("slash", *"state:stalled", "enter", "space")
        await settle(pilot)
        line = counts_line(screen)
        assert len(line.splitlines()) == 2 and "marked 1" in line, line
        assert not split_pairs(line, states), line
        # The counts of the big database, as the screen shows them at 80 columns.
        big = {"proposed": 17067, "stalled": 23784, "suspended": 21858, "resumed": 36559}
        screen.query_one(StateCounts).show({**big, "signed": 732}, tuple(states), 100_000)
        await pilot.pause()
        line = counts_line(screen)
        assert "total 100,000" in line and not split_pairs(line, states), line
        # Wider, the same counts are one line again.
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        assert len(counts_line(screen).splitlines()) == 1
        assert screen.query_one(StateCounts).region.height == 1  # no blank second row
        await pilot.resize_terminal(*SMALL)
        await settle(pilot)
        assert screen.query_one(StateCounts).region.height == 2


async def test_waiting_on_me_reads_the_consents_once_per_change(
    app: TrackerApp, tui_tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100,000 items "waiting on me" is thousands of items read one by one (seconds): its
    first page, its counts, `m` and every page scrolled to come from one read, made again
    only after a write."""
    tui_tracker.fire("ACSA", "propose", reason="talks restart", at="2026-02-01")
    tui_tracker.approve("ACSA", "sign", party="ROK", source="Yonhap", at="2026-02-02")
    reads: list[str] = []
    pending = tui_tracker.pending

    def counted(**options: Any) -> Any:
        reads.append("pending")
        return pending(**options)

    monkeypatch.setattr(tui_tracker, "pending", counted)
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("m", "G", "g", "s", "S")
        await settle(pilot)
        assert screen.table.current_key == "ACSA" and screen.marks == {"ACSA"}
        assert counts_line(screen).startswith("waiting on me: ")
        assert len(reads) == 1, reads
        # A write (here: JPN's consent completes the set) is read again, once.
        tui_tracker.approve("ACSA", "sign", party="JPN", source="Asahi", at="2026-02-03")
        screen.reload()
        await settle(pilot)
        assert screen.table.total == 0 and len(reads) == 2, reads


async def test_while_waiting_on_me_loads_no_other_list_is_shown_under_its_name(
    app: TrackerApp, tui_tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its first read takes seconds at 100,000 items: meanwhile the table is empty and the
    counts line says it is counting, not the 100,000 items of the list before."""
    tui_tracker.fire("ACSA", "propose", reason="talks restart", at="2026-02-01")
    tui_tracker.approve("ACSA", "sign", party="ROK", source="Yonhap", at="2026-02-02")
    release = threading.Event()
    pending = tui_tracker.pending

    def slow(**options: Any) -> Any:
        release.wait(10)
        return pending(**options)

    monkeypatch.setattr(tui_tracker, "pending", slow)
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        assert screen.table.total == 4
        await pilot.press("w")
        for _ in range(3):
            await pilot.pause()
        try:
            assert screen.sub_title == "waiting on me"
            assert screen.table.total == 0 and "counting" in counts_line(screen)
        finally:
            release.set()
        await settle(pilot)
        assert screen.table.total == 1 and counts_line(screen).startswith("waiting on me: ")


def background_at(app: TrackerApp, widget: Widget) -> Color:
    """The background colour the terminal shows at the first cell of `widget`'s line."""
    region = widget.region
    strip = app.screen._compositor.render_strips()[region.y]
    x = 0
    for segment in strip:
        width = segment.cell_length
        if x <= region.x + 1 < x + width:
            assert segment.style is not None and segment.style.bgcolor is not None
            triplet = segment.style.bgcolor.get_truecolor()
            return Color(*triplet)
        x += width
    raise AssertionError(f"no cell at {region.x + 1}")


async def test_the_focused_field_of_a_compact_dialog_stands_out(app: TrackerApp) -> None:
    """At 80x24 a dialog's fields lose their borders; the field with focus still has to
    be found at a glance (it was a 5% tint: typing went into a field the user did not
    mean): in the fire dialog, the trigger chooser and each input."""
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        await pilot.press("f")  # on ACSA
        await settle(pilot)
        dialog = app.screen
        fields = [dialog.query_one(f"#{name}") for name in ("trigger", "reason", "source", "at")]
        for field in fields:
            others = [other for other in fields if other is not field]
            field.focus()
            await pilot.pause()
            focused = background_at(app, field)
            for other in others:
                plain = background_at(app, other)
                gap = max(abs(a - b) for a, b in zip(focused.rgb, plain.rgb, strict=True))
                assert gap >= 40, (field, other, focused, plain)
        assert screen is not None


async def open_key(app: TrackerApp, pilot: Pilot[Any], key: str) -> ItemScreen:
    screen = await items_screen(app, pilot)
    screen.open_item(key)
    await settle(pilot)
    assert isinstance(app.screen, ItemScreen)
    return app.screen


async def test_an_item_with_a_long_history_says_its_table_holds_the_newest_only(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    """The item screen reads the newest 500 entries; with more, `G` stopped at the 500th as
    if it were the first. The heading says how many of how many, and that `h` has them all."""
    notes = [{"op": "comment", "key": "ACSA", "reason": f"note {n}"} for n in range(505)]
    tui_tracker.apply(notes)
    total = tui_tracker.get("ACSA").version
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_key(app, pilot, "ACSA")
        heading = str(screen.query_one("#timeline-title", Static).render())
        assert f"newest 500 of {total:,}" in heading and "h" in heading, heading
        assert f"newest 500 of {total:,}" in screen_text(app)
        # An item with a short history keeps the plain heading.
        await pilot.press("escape")
        screen = await open_key(app, pilot, "SAREX")
        heading = str(screen.query_one("#timeline-title", Static).render())
        assert heading == "history (newest first)"


async def test_while_an_item_loads_its_band_does_not_say_it_has_no_history(
    app: TrackerApp, tui_tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100,000 items opening an item takes a moment: meanwhile the band said `(no
    history in this range)`, which is false; it says loading."""
    release = threading.Event()
    item_page = tui_tracker.item_page

    def slow(key: str, **options: Any) -> Any:
        release.wait(10)
        return item_page(key, **options)

    monkeypatch.setattr(tui_tracker, "item_page", slow)
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        screen.open_item("ACSA")
        for _ in range(4):
            await pilot.pause()
        try:
            assert isinstance(app.screen, ItemScreen)
            text = screen_text(app)
            assert "no history" not in text and "loading" in text, text
        finally:
            release.set()
        await settle(pilot)
        assert "loading" not in screen_text(app)


async def test_counts_in_words_are_grouped_by_thousands_like_every_other(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    """`Fire one trigger on 5967 marked items` and `suspend: 5967 items` beside `Fire on
    5,967`: every count the TUI writes groups its thousands."""
    tui_tracker.apply(
        {"op": "add", "key": f"D{n:04}", "title": "drill", "kind": "drill", "parties": ["ROK"]}
        for n in range(1000)
    )
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        await pilot.press("m")
        await settle(pilot)
        assert len(screen.marks) == 1004
        await pilot.press("b")
        await settle(pilot)
        assert "Fire one trigger on 1,004 marked items" in screen_text(app)
        await pilot.press("escape", "T")
        await settle(pilot)
        assert "the first 200 of 1,004 items" in screen_text(app)


async def test_an_empty_kind_in_the_add_form_says_it_is_empty(app: TrackerApp) -> None:
    """`bad kind '': a word of letters...` under an empty field read as a puzzle; the title
    beside it says `title must not be empty`, and so does the kind now."""
    async with app.run_test(size=SMALL) as pilot:
        await items_screen(app, pilot)
        await pilot.press("a", *"NEW1", "ctrl+s")
        await settle(pilot)
        text = screen_text(app)
        assert "title must not be empty" in text and "kind must not be empty" in text, text
        assert "bad kind ''" not in text


async def test_a_write_key_on_an_item_in_time_travel_names_a_key_that_works_there(
    app: TrackerApp,
) -> None:
    """`f` on an item seen in time travel said `n returns to now`, and `n` there did nothing:
    the way back is esc, then n on the list."""
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        screen.travel_to(datetime(2026, 1, 31, tzinfo=UTC))
        await settle(pilot)
        await pilot.press("enter")  # ACSA, as it stood then
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen) and app.screen.as_of is not None
        await pilot.press("f")
        await pilot.pause()
        said = [n.message for n in app._notifications][-1]
        assert "read-only" in said and "esc" in said, said
        await pilot.press("escape", "n")
        await settle(pilot)
        assert app.screen is screen and screen.as_of is None
        # On the list itself, n is the way back, and it says so.
        screen.travel_to(datetime(2026, 1, 31, tzinfo=UTC))
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1].endswith("n returns to now")


async def test_the_palette_opens_an_item_as_the_list_shows_it(app: TrackerApp) -> None:
    """In time travel, `ctrl+p` → `Open SAREX` opened SAREX as it is now, writable, under a
    list of that past date; enter on its row opens it as of the date. Both do now."""
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        when = datetime(2026, 1, 31, tzinfo=UTC)
        screen.travel_to(when)
        await settle(pilot)
        await pilot.press("ctrl+p", *"open sarex")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemScreen) and app.screen.key == "SAREX"
        assert app.screen.as_of == when


async def test_counts_of_the_previous_filter_are_not_passed_off_as_this_ones(
    app: TrackerApp, tui_tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows answer a keystroke first and the counts follow (at 100,000 items a text
    filter's count is a scan): meanwhile the line showed the previous filter's numbers as if
    they were this one's (`total 100,000` over the 14,294 rows of `guam`). It says it is
    counting, the old numbers dimmed."""
    release = threading.Event()
    count = tui_tracker.count

    def slow(*args: Any, **options: Any) -> Any:
        release.wait(10)
        return count(*args, **options)

    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        assert counts_line(screen).endswith("total 4")
        monkeypatch.setattr(tui_tracker, "count", slow)
        await pilot.press("slash", *"joint")
        for _ in range(4):
            await pilot.pause()
        try:
            assert screen.table.total == 2  # the rows already answer "joint"
            line = counts_line(screen)
            assert "counting" in line, line
            shown = screen.query_one(StateCounts).render()
            assert any("dim" in str(span.style) for span in getattr(shown, "spans", []))
        finally:
            release.set()
        await settle(pilot)
        line = counts_line(screen)
        assert "counting" not in line and line.endswith("total 2"), line


async def test_the_footer_in_the_filter_box_says_how_to_get_back_to_the_list(
    app: TrackerApp,
) -> None:
    """Typing in the filter box, the footer said only `/ Filter`: esc (back to the list, the
    filter kept) is shown there, and only there."""
    async with app.run_test(size=SMALL) as pilot:
        await items_screen(app, pilot)
        assert "esc" not in screen_text(app).splitlines()[-1]
        await pilot.press("slash", *"sar")
        await pilot.pause()
        assert "esc List" in screen_text(app).splitlines()[-1]
        await pilot.press("escape")
        await pilot.pause()
        assert "esc" not in screen_text(app).splitlines()[-1]


async def test_the_consent_dialogs_footer_names_what_ctrl_s_records(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    """The consent dialog's footer said `^s Save` over an Approve (or Withdraw) button; the
    fire dialog's says `^s Fire`. It names the button."""
    tui_tracker.fire("ACSA", "propose", reason="talks restart", at="2026-02-01")
    tui_tracker.approve("ACSA", "sign", party="ROK", source="Yonhap", at="2026-02-02")
    async with app.run_test(size=SMALL) as pilot:
        await open_key(app, pilot, "ACSA")
        for key, verb in (("A", "Approve"), ("W", "Withdraw")):
            await pilot.press(key)
            await settle(pilot)
            assert f"^s {verb}" in screen_text(app).splitlines()[-1]
            await pilot.press("escape")
            await settle(pilot)


async def test_a_consent_dialog_with_nothing_to_offer_does_not_keep_checking(
    app: TrackerApp,
) -> None:
    """`A` on DRILLS (no gated trigger from suspended): the dialog said why, under two
    choosers still reading `checking…` as if an answer were coming."""
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        await pilot.press("down")  # DRILLS
        assert screen.table.current_key == "DRILLS"
        await pilot.press("A")
        await settle(pilot)
        text = screen_text(app)
        assert "DRILLS has no trigger that needs consent from suspended" in text
        assert "checking" not in text, text
        # The same with DRILLS marked: one consent on every marked item.
        await pilot.press("escape", "space", "A")
        await settle(pilot)
        text = screen_text(app)
        assert "no marked item awaits a consent you may give" in text
        assert "checking" not in text, text


async def test_a_whole_date_or_key_shows_in_the_history_screens_fields_at_80_columns(
    app: TrackerApp,
) -> None:
    """Five fields share 80 columns; each showed ten cells of text, so `2026-01-30` typed in
    since read `026-01-30`, and a key like `SAR-000003` lost its first letter."""
    async with app.run_test(size=SMALL) as pilot:
        await items_screen(app, pilot)
        await pilot.press("h")
        await settle(pilot)
        for name, typed in (("since", "2026-01-30"), ("item", "SAR-000003")):
            field = app.screen.query_one(f"#h-{name}", Input)
            field.focus()
            await pilot.press(*typed)
            await settle(pilot)
            assert field.value == typed
            row = screen_text(app).splitlines()[field.region.y + 1]
            assert typed in row[field.region.x : field.region.right], row


async def test_a_waiting_on_me_read_given_up_stops_before_the_items(
    app: TrackerApp, tui_tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`w` then `q` at 100,000 items: the app waited for the read's thousands of items before
    the terminal came back (4 s on a loaded machine). A read whose worker is cancelled (the
    app quits, another query replaces it) while it reads the consents does not go on to read
    the items, and is not kept."""
    for key in ("GSOMIA", "PACT"):
        tui_tracker.add(key, key.title(), "agreement", ["ROK", "JPN"], at="2026-02-01")
        tui_tracker.approve(key, "sign", party="ROK", source="Yonhap", at="2026-02-02")
    read: list[str] = []
    pending, get_many = tui_tracker.pending, tui_tracker.get_many

    def cancelling(**options: Any) -> Any:
        get_current_worker().cancel()  # as quitting does
        return pending(**options)

    def items(keys: Any) -> Any:
        read.extend(keys)
        return get_many(keys)

    monkeypatch.setattr(tui_tracker, "get_many", items)
    async with app.run_test(size=SMALL) as pilot:
        screen = await items_screen(app, pilot)
        monkeypatch.setattr(tui_tracker, "pending", cancelling)
        await pilot.press("w")
        await settle(pilot)
        assert read == []
        monkeypatch.setattr(tui_tracker, "pending", pending)
        await pilot.press("0", "w")
        await settle(pilot)
        assert screen.table.total == 2  # read again in full: the stopped read was not kept
        assert read == ["GSOMIA", "PACT"]  # in one read


async def test_bulk_consent_starts_on_the_consent_most_marked_items_await(
    app: TrackerApp, tui_tracker: Tracker
) -> None:
    """`w`, `m`, `A` at 100,000 items opened on the first party in the alphabet (AUS) and
    said `0 of 2,406 await AUS's consent`; like bulk fire, it starts on the choice that most
    of the marked items can take."""
    for key in ("PACT1", "PACT2"):
        tui_tracker.add(key, key.title(), "agreement", ["ROK", "USA"], at="2026-02-01")
        tui_tracker.approve(key, "sign", party="ROK", source="Yonhap", at="2026-02-02")
    async with app.run_test(size=SMALL) as pilot:
        await items_screen(app, pilot)
        await pilot.press("w", "m")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert app.screen.query_one("#party", Select).value == "USA"
        assert "2 of 2 await USA's consent to sign" in screen_text(app)
