"""The TUI at scale: 100,000 items and 1,000,000 history rows (docs/performance.md, "TUI").

    python bench/tui_scale.py                 # builds/reuses bench/out/big.db (bench/generate.py)
    python bench/tui_scale.py --db bench/out/s.db --items 1000 --entries 10000

Measures, with the app headless at 120x40 (Textual's run_test, as a terminal would drive it):
first paint of the items screen (app start until the first rows are on screen), a filter
keystroke (key press until the table shows the new answer), opening an item (Enter until its
fields and history are shown), sort, jump to the last row, the history screen, and the process's
RSS. The database is built in a separate process so its memory does not count here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TARGETS = {"first paint": 0.5, "filter keystroke": 0.1, "open item": 0.1}
RSS_TARGET_MIB = 150


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process, MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def until(condition: Callable[[], bool], limit: float = 30.0) -> float:
    """Seconds until `condition` holds, checked every millisecond or so."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > limit:
            raise TimeoutError("the TUI did not answer in time")
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


def press(app: Any, key: str) -> None:
    """Hand the app a key as the terminal driver does (Pilot.press also waits for the screen
    to go idle, which would be counted in every figure)."""
    from textual import events

    app.post_message(events.Key(key, key if len(key) == 1 else None))


async def measure(url: str, keystrokes: str) -> dict[str, Any]:
    from tracker import Tracker
    from tracker.tui.app import make_app
    from tracker.tui.screens.history import HistoryScreen
    from tracker.tui.screens.item import ItemScreen
    from tracker.tui.screens.items import ItemsScreen
    from tracker.tui.widgets.virtual_table import VirtualTable

    out: dict[str, Any] = {}
    tracker = Tracker.open(url)
    app = make_app(tracker, poll_interval=1.0, cursor_blink=False)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:

        def items_table() -> VirtualTable | None:
            screen = app.screen
            return screen.table if isinstance(screen, ItemsScreen) else None

        def painted() -> bool:
            table = items_table()
            return table is not None and table.total > 0 and table.row(0) is not None

        await until(painted)
        out["first paint"] = [time.perf_counter() - started]
        table = items_table()
        assert table is not None
        await app.workers.wait_for_complete()  # the counts follow the first page
        await pilot.pause()
        out["items"] = table.total

        await pilot.press("slash")
        answers = []
        for char in keystrokes:
            generation = table.generation
            start = time.perf_counter()
            press(app, char)
            await until(lambda g=generation: table.generation > g)  # type: ignore[misc]
            answers.append(time.perf_counter() - start)
        out["filter keystroke"] = answers
        await app.workers.wait_for_complete()  # the counts follow the first page
        await pilot.pause()
        out["matches"] = table.total
        app.screen.query_one("#filter").value = ""  # type: ignore[attr-defined]
        await until(lambda: table.total == out["items"])
        await pilot.press("enter")  # focus back to the table

        opens = []
        for _ in range(5):
            start = time.perf_counter()
            press(app, "enter")
            await until(lambda: isinstance(app.screen, ItemScreen) and app.screen.item is not None)
            opens.append(time.perf_counter() - start)
            await pilot.press("escape", "down")
        out["open item"] = opens

        generation = table.generation
        start = time.perf_counter()
        press(app, "s")  # sort by title
        await until(lambda: table.generation > generation and table.row(0) is not None)
        out["sort by title"] = [time.perf_counter() - start]
        await app.workers.wait_for_complete()
        await pilot.pause()

        start = time.perf_counter()
        press(app, "end")
        await until(lambda: table.row(table.total - 1) is not None)
        out["jump to last row"] = [time.perf_counter() - start]

        start = time.perf_counter()
        press(app, "h")
        await until(
            lambda: (
                isinstance(app.screen, HistoryScreen)
                and app.screen.table.total > 0
                and app.screen.table.row(0) is not None
            )
        )
        out["history screen"] = [time.perf_counter() - start]
        out["entries"] = app.screen.table.total  # type: ignore[attr-defined]
        await pilot.press("escape")
        out["rss"] = rss_mib()

        items_screen = app.screen
        assert isinstance(items_screen, ItemsScreen)
        start = time.perf_counter()
        items_screen.travel_to(datetime(2022, 1, 1, tzinfo=UTC))
        await until(lambda: table.total > 0 and table.row(0) is not None, limit=120)
        out["time travel (all items as of a date)"] = [time.perf_counter() - start]
        out["rss after time travel"] = rss_mib()
    tracker.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "big.db")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--keys", default="joint", help="typed into the filter, one at a time")
    args = parser.parse_args(argv)
    subprocess.run(
        [
            sys.executable,
            str(HERE / "generate.py"),
            "--out",
            str(args.db),
            "--items",
            str(args.items),
            "--entries",
            str(args.entries),
        ],
        check=True,
    )
    results = asyncio.run(measure(f"sqlite:///{args.db.resolve()}", args.keys))
    print(f"load average while measuring: {Path('/proc/loadavg').read_text().split()[0]}")
    print(f"{results['items']:,} items, {results['entries']:,} history entries (SQLite)")
    print(f"filter typed: {args.keys!r} ({results['matches']:,} items match)")
    for name, values in results.items():
        if not isinstance(values, list):
            continue
        worst = max(values)
        target = TARGETS.get(name)
        verdict = "" if target is None else ("  ok" if worst <= target else "  OVER")
        shown = f"<= {target * 1000:.0f} ms" if target else ""
        print(
            f"{name:>18}: median {statistics.median(values) * 1000:7.1f} ms, "
            f"worst {worst * 1000:7.1f} ms  {shown}{verdict}"
        )
    current, peak = results["rss"]
    verdict = "ok" if peak <= RSS_TARGET_MIB else "OVER"
    print(
        f"{'RSS':>18}: {current:.0f} MiB now, {peak:.0f} MiB peak  <= {RSS_TARGET_MIB}  {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
