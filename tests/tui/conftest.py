"""TUI fixtures: a seeded SQLite tracker, the app built by the factory with fixed settings
(no polling unless asked, no cursor blink). `async def` tests run in their own event loop
(Textual's pilot needs one; no pytest plugin is needed for that)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker import Tracker
from tracker.tui.app import TrackerApp, make_app


@pytest.fixture
def tui_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tui.db'}"


@pytest.fixture
def tui_tracker(tui_url: str) -> Iterator[Tracker]:
    with Tracker.open(tui_url) as opened:
        opened.seed()
        yield opened


@pytest.fixture
def app(tui_tracker: Tracker) -> TrackerApp:
    return make_app(tui_tracker, poll_interval=None, cursor_blink=False)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True
