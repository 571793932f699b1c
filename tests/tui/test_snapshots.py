"""Pictures of the main screens on the seeded database (reviewed SVGs in __snapshots__).

Deterministic: a fixed terminal size, no cursor blink, no polling, and only effective dates
on screen (the seeds fix those; recorded times are never shown here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from textual.pilot import Pilot

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


def test_items_screen(snap_compare: Compare, app: TrackerApp) -> None:
    assert shot(snap_compare, app)


def test_item_detail(snap_compare: Compare, app: TrackerApp) -> None:
    assert shot(snap_compare, app, ["enter"])


def test_fire_modal_with_a_missing_reason(snap_compare: Compare, app: TrackerApp) -> None:
    assert shot(snap_compare, app, ["enter", "|", "2", "|", "ctrl+s"])


def test_history_screen(snap_compare: Compare, app: TrackerApp) -> None:
    assert shot(snap_compare, app, ["h"])


def test_time_travel(snap_compare: Compare, app: TrackerApp) -> None:
    assert shot(snap_compare, app, ["t", "|", *"2025-12-01", "enter"])
