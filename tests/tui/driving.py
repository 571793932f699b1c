"""Driving the app in tests: wait for its workers, read its screen as text."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker is running and the screen has caught up with their messages."""
    for _ in range(6):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: App[Any]) -> str:
    """Every line of the screen (modals drawn over what is under them), as characters."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


def usable(app: App[Any]) -> None:
    """What a dialog at any size must hold to: its buttons and the focused widget are wholly
    on screen, and its footer names its own keys."""
    from textual.widgets import Button

    from tracker.tui.screens.base import fully_visible

    screen = app.screen
    buttons = [b for b in screen.query(".buttons Button").results(Button) if b.display]
    assert buttons, "a dialog has buttons"
    for button in buttons:
        assert fully_visible(button), f"{button} is cut off or scrolled away"
    assert app.focused is not None and fully_visible(app.focused), f"{app.focused} hidden"
    footer = screen_text(app).splitlines()[-1]
    assert "esc" in footer, footer
