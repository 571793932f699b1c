"""Pictures of the main screens on the seeded database (reviewed SVGs in __snapshots__).

Deterministic: a fixed terminal size, no cursor blink, no polling, and only effective dates
on screen (the seeds fix those; recorded times are never shown here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from textual.pilot import Pilot

from tracker import Tracker
from tracker.tui.app import TrackerApp

from .driving import settle

SIZE = (120, 40)
Compare = Callable[..., bool]


def after(*keys: str) -> Callable[[Pilot[Any]], Any]:
    """Press `keys` in groups, letting the workers finish after each group ("|" splits)."""
    groups: list[list[str]] = [[]]
    for key in keys:
        if key == "|":
            groups.append([])
        else:
            groups[-1].append(key)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for group in groups:
            await pilot.press(*group)
            await settle(pilot)

    return run


def shot(snap_compare: Compare, app: TrackerApp, keys: Iterable[str] = ()) -> bool:
    return snap_compare(app, terminal_size=SIZE, run_before=after(*keys))


SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])


@SIZES
def test_items_screen(snap_compare: Compare, app: TrackerApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=after())


@SIZES
def test_item_detail(snap_compare: Compare, app: TrackerApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=after("enter"))


def test_item_details_at_80x24(snap_compare: Compare, app: TrackerApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=after("enter", "|", "d"))


def test_item_whose_title_ends_in_an_ellipsis_at_80x24(
    snap_compare: Compare, app: TrackerApp
) -> None:
    # REFUEL's title is a few cells too long for the summary line: it ends in `…`, the kind stays.
    assert snap_compare(app, terminal_size=(80, 24), run_before=after("down", "down", "enter"))


@SIZES
def test_fire_modal_with_a_missing_reason(
    snap_compare: Compare, app: TrackerApp, size: tuple[int, int]
) -> None:
    keys = after("enter", "|", "2", "|", "ctrl+s")
    assert snap_compare(app, terminal_size=size, run_before=keys)


def test_history_screen(snap_compare: Compare, app: TrackerApp) -> None:
    assert shot(snap_compare, app, ["h"])


def test_time_travel(snap_compare: Compare, app: TrackerApp) -> None:
    assert shot(snap_compare, app, ["t", "|", *"2025-12-01", "enter"])


def test_items_screen_at_200x60(snap_compare: Compare, app: TrackerApp) -> None:
    assert snap_compare(app, terminal_size=(200, 60), run_before=after())


def test_marked_rows_and_the_views_sidebar(
    snap_compare: Compare, app: TrackerApp, tui_tracker: Tracker
) -> None:
    tui_tracker.save_view("stalled", state="stalled")
    tui_tracker.save_view("before-acsa", as_of="2025-12-01")
    assert shot(snap_compare, app, ["space", "shift+down"])


@SIZES
def test_bulk_fire_dialog_with_a_refused_item(
    snap_compare: Compare, app: TrackerApp, size: tuple[int, int]
) -> None:
    # All four marked; the default, suspend, is not allowed for DRILLS (suspended).
    assert snap_compare(app, terminal_size=size, run_before=after("m", "|", "b"))


@SIZES
def test_timeline_screen(snap_compare: Compare, app: TrackerApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=after("T", "|", "j", "left"))


@pytest.fixture
def one_consent(tui_tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> Tracker:
    """ACSA proposed again, ROK's consent to sign given, JPN's awaited; the actor `kim`."""
    monkeypatch.setenv("LOGNAME", "kim")
    tui_tracker.fire("ACSA", "propose", reason="talks restart", at="2026-02-01", actor="Japan MOD")
    tui_tracker.approve(
        "ACSA",
        "sign",
        party="ROK",
        reason="Seoul agrees to sign",
        source="Yonhap",
        at="2026-02-02",
        actor="ROK MND",
    )
    return tui_tracker


@SIZES
def test_item_with_a_consent_given_and_one_awaited(
    snap_compare: Compare, app: TrackerApp, one_consent: Tracker, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=after("enter"))


@SIZES
def test_consent_dialog(
    snap_compare: Compare, app: TrackerApp, one_consent: Tracker, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=after("enter", "|", "A"))
