"""Regenerate the TUI screenshots the README shows (SVG, exported by Textual).

    .venv/bin/python docs/tui_screenshots.py

Runs the app headless on a fresh seeded SQLite file at 120x36 and saves docs/tui-items.svg and
docs/tui-item.svg, then at 80x24 (the narrow layout) docs/tui-item-80x24.svg, and an item
with one party's consent given and the other's awaited, docs/tui-consent-80x24.svg.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tracker import Tracker  # noqa: E402
from tracker.tui.app import make_app  # noqa: E402


async def shoot() -> None:
    with tempfile.TemporaryDirectory() as folder, Tracker.open(f"sqlite:///{folder}/t.db") as t:
        t.seed()
        app = make_app(t, poll_interval=None, cursor_blink=False)
        async with app.run_test(size=(120, 36)) as pilot:

            async def settle() -> None:
                for _ in range(6):
                    await pilot.pause()
                    await app.workers.wait_for_complete()

            await settle()
            app.save_screenshot("tui-items.svg", str(HERE))
            await pilot.press("down", "down", "down", "enter")
            await settle()
            app.save_screenshot("tui-item.svg", str(HERE))

        app = make_app(t, poll_interval=None, cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(6):
                await pilot.pause()
                await app.workers.wait_for_complete()
            await pilot.press("down", "down", "down", "enter")
            for _ in range(6):
                await pilot.pause()
                await app.workers.wait_for_complete()
            app.save_screenshot("tui-item-80x24.svg", str(HERE))

        # Consent (issue 12): ACSA proposed again, ROK's consent to sign given, JPN's awaited.
        t.fire("ACSA", "propose", reason="talks restart", at="2026-02-01", actor="Japan MOD")
        t.approve(
            "ACSA",
            "sign",
            party="ROK",
            reason="Seoul agrees to sign",
            source="Yonhap",
            at="2026-02-02",
            actor="ROK MND",
        )
        app = make_app(t, poll_interval=None, cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(6):
                await pilot.pause()
                await app.workers.wait_for_complete()
            await pilot.press("enter")  # ACSA, the first row
            for _ in range(6):
                await pilot.pause()
                await app.workers.wait_for_complete()
            app.save_screenshot("tui-consent-80x24.svg", str(HERE))


if __name__ == "__main__":
    asyncio.run(shoot())
