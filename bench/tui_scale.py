"""The TUI at scale: 100,000 items and 1,000,000 history rows (docs/performance.md, "TUI").

    python bench/tui_scale.py                 # builds/reuses bench/out/big.db (bench/generate.py)
    python bench/tui_scale.py --db bench/out/s.db --items 1000 --entries 10000

Measures, with the app headless at 120x40 (Textual's run_test, keys handed over as the terminal
driver does), each figure until the screen shows the answer:
- first rows on screen from process start (a child process, as `tracker tui` starts), split
  into Python's own start-up (the interpreter until the script's first line), imports, and the
  rest; and, started the same way in the same run, a bare `python -c pass` and a process that
  only imports SQLAlchemy's ORM and Textual's App (the floor of any start);
- an items filter keystroke: its first page, then its counts;
- opening an item, sort, jump to the last row;
- the history screen: open, `G` (the last page), PageUp after it, `k` pressed while `G` loads,
  a jump into the middle, an item-prefix filter keystroke (first page, count);
- time travel to several dates: rows and per-state counts of that moment (sorted by key, then
  by title);
- the process's RSS.
The database is built in a separate process so its memory does not count here.
"""

from __future__ import annotations

import time

SCRIPT_STARTED = time.time()  # before any import: the child's "Python start-up" ends here

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# Targets of issue 11 (seconds).
TARGETS = {
    "first rows from process start": 1.0,
    "filter keystroke: first page": 0.15,
    "filter keystroke: counts": 0.3,
    "open item": 0.1,
    "history G (last page)": 0.3,
    "history PageUp after G": 0.3,
    "history k pressed while G loads": 0.3,
    "time travel, rows and counts": 1.0,
}
RSS_TARGET_MIB = 150
# The floor under any start: the two libraries every TUI start imports.
LIBRARIES = "import sqlalchemy.orm, textual.app"
TRAVEL_DATES = ("2018-03-01", "2019-06-01", "2021-01-01", "2023-06-01", "2025-11-01")


class Sample(float):
    """Seconds of wall-clock time, with the CPU seconds this process spent meanwhile (`cpu`):
    on a loaded machine the wall clock runs several times the CPU."""

    cpu: float


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def elapsed(self) -> Sample:
        sample = Sample(time.perf_counter() - self.wall)
        sample.cpu = time.process_time() - self.cpu
        return sample


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process, MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def until(condition: Callable[[], bool], limit: float = 60.0) -> float:
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


# -- first rows from process start (the child) ---------------------------------------------


def first_rows_child(url: str) -> None:
    """Start as `tracker tui` does (open the tracker, build the app, run it) and print, as JSON,
    when the script started, when the imports were done and when the first rows were on
    screen (wall-clock times)."""
    from tracker import Tracker
    from tracker.tui.app import make_app
    from tracker.tui.screens.items import ItemsScreen

    imported = time.time()
    app = make_app(Tracker.open(url), poll_interval=None, cursor_blink=False)
    times: dict[str, float] = {"script": SCRIPT_STARTED, "imported": imported}

    def check() -> None:
        screen = app.screen
        if isinstance(screen, ItemsScreen) and screen.table.row(0) is not None:
            times["rows"] = time.time()
            app.exit()

    app.call_later(lambda: app.set_interval(0.002, check))
    app.run(headless=True, size=(120, 40))
    print(json.dumps(times))


def first_rows(db: Path, runs: int) -> dict[str, list[float]]:
    """Each run: a bare interpreter (`python -c pass`) and a TUI process, started the same way;
    seconds from the spawn."""
    out: dict[str, list[float]] = {"bare python": [], "libraries alone": []}
    out["python start-up"], out["imports"], out["first rows from process start"] = [], [], []
    for _ in range(runs):
        for name, code in (("bare python", "pass"), ("libraries alone", LIBRARIES)):
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            spawned = time.time()
            subprocess.run([sys.executable, "-c", code], check=True)
            sample = Sample(time.time() - spawned)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            sample.cpu = after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime
            out[name].append(sample)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        spawned = time.time()
        done = subprocess.run(
            [sys.executable, __file__, "--first-rows-child", "--db", str(db)],
            check=True,
            capture_output=True,
            text=True,
        )
        times = json.loads(done.stdout.strip().splitlines()[-1])
        out["python start-up"].append(times["script"] - spawned)
        out["imports"].append(times["imported"] - times["script"])
        sample = Sample(times["rows"] - spawned)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        sample.cpu = after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime
        out["first rows from process start"].append(sample)
    return out


# -- everything else, in this process ------------------------------------------------------


async def measure(url: str, keystrokes: str, history_keys: str) -> dict[str, Any]:
    from tracker import Tracker
    from tracker.tui.app import make_app
    from tracker.tui.screens.history import HistoryScreen
    from tracker.tui.screens.item import ItemScreen
    from tracker.tui.screens.items import ItemsScreen, StateCounts
    from tracker.tui.widgets.virtual_table import VirtualTable

    out: dict[str, Any] = {}
    tracker = Tracker.open(url)
    app = make_app(tracker, poll_interval=1.0, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:

        def items_table() -> VirtualTable | None:
            screen = app.screen
            return screen.table if isinstance(screen, ItemsScreen) else None

        await until(lambda: (t := items_table()) is not None and t.row(0) is not None)
        table = items_table()
        assert table is not None
        screen = app.screen
        assert isinstance(screen, ItemsScreen)
        counts = screen.query_one(StateCounts)
        await app.workers.wait_for_complete()  # the counts follow the first page
        await pilot.pause()
        out["items"] = table.total
        # What the waiting itself costs: the CPU columns include it, per second of wall.
        idle, end = Clock(), time.perf_counter() + 1.0
        await until(lambda: time.perf_counter() > end)
        out["idle polling CPU per second"] = idle.elapsed().cpu / 1.0

        await pilot.press("slash")
        pages, counted = [], []
        for char in keystrokes:
            generation, shown = table.generation, counts._counts
            start = Clock()
            press(app, char)
            await until(lambda g=generation: table.generation > g)  # type: ignore[misc]
            pages.append(start.elapsed())
            await until(lambda s=shown: counts._counts is not s)  # type: ignore[misc]
            counted.append(start.elapsed())
        out["filter keystroke: first page"] = pages
        out["filter keystroke: counts"] = counted
        await app.workers.wait_for_complete()
        await pilot.pause()
        out["matches"] = table.total
        screen.query_one("#filter").value = ""  # type: ignore[attr-defined]
        await until(lambda: table.total == out["items"])
        await pilot.press("enter")  # focus back to the table

        opens = []
        for _ in range(5):
            start = Clock()
            press(app, "enter")
            await until(lambda: isinstance(app.screen, ItemScreen) and app.screen.item is not None)
            opens.append(start.elapsed())
            await pilot.press("escape", "down")
        out["open item"] = opens

        # -- the history screen ---------------------------------------------------------
        start = Clock()
        press(app, "h")
        await until(
            lambda: isinstance(app.screen, HistoryScreen) and app.screen.table.row(0) is not None
        )
        out["history screen"] = [start.elapsed()]
        history = app.screen
        assert isinstance(history, HistoryScreen)
        entries = history.table
        await until(lambda: not entries.counting)
        out["entries"] = entries.total

        def at_cursor(offset: int = 0) -> bool:
            return entries.row(entries.cursor + offset) is not None

        async def forget_rows() -> None:
            """Reload (as live refresh does): the table drops every row it holds, so the
            next `G` fetches its page afresh."""
            generation = entries.generation
            history.load(history.wanted)
            await until(lambda: entries.generation > generation and not entries.counting)
            await pilot.pause()

        lasts, ups, ks = [], [], []
        for _ in range(3):
            await forget_rows()
            start = Clock()
            press(app, "G")
            await until(lambda: entries.cursor == entries.total - 1 and at_cursor())
            lasts.append(start.elapsed())
            await pilot.pause()
            for _ in range(3):
                before = entries.cursor
                start = Clock()
                press(app, "pageup")
                await until(lambda b=before: entries.cursor < b and at_cursor())  # type: ignore[misc]
                ups.append(start.elapsed())
            await forget_rows()
            # `k` right after `G`, before the last page is in: handled at once, both answered.
            start = Clock()
            press(app, "G")
            press(app, "k")
            await until(lambda: entries.cursor == entries.total - 2 and at_cursor())
            ks.append(start.elapsed())
            press(app, "g")
            await until(lambda: entries.cursor == 0 and at_cursor())
            await pilot.pause()
        out["history G (last page)"] = lasts
        out["history PageUp after G"] = ups
        out["history k pressed while G loads"] = ks

        start = Clock()
        entries._move(entries.total // 2)
        await until(at_cursor)
        out["history jump to the middle"] = [start.elapsed()]

        await pilot.press("slash")
        pages, counted = [], []
        for char in history_keys:
            generation = entries.generation
            start = Clock()
            press(app, char)
            await until(lambda g=generation: entries.generation > g)  # type: ignore[misc]
            pages.append(start.elapsed())
            await until(lambda: not entries.counting)
            counted.append(start.elapsed())
        out["history filter keystroke: first page"] = pages
        out["history filter keystroke: count"] = counted
        out["history matches"] = entries.total
        await pilot.press("escape", "escape")
        await until(lambda: isinstance(app.screen, ItemsScreen))
        out["rss"] = rss_mib()

        # -- time travel ------------------------------------------------------------------
        async def travel(when: datetime) -> Sample:
            start = Clock()
            screen.travel_to(when)
            await until(
                lambda: (
                    screen.shown.as_of == when
                    and table.row(0) is not None
                    and counts._loading is None
                ),
                limit=120,
            )
            return start.elapsed()

        for order in ("key", "title"):
            screen.sort_by(order, False)
            await app.workers.wait_for_complete()
            await pilot.pause()
            travels = []
            for day in TRAVEL_DATES:
                travels.append(await travel(datetime.fromisoformat(day).replace(tzinfo=UTC)))
                print(
                    f"time travel to {day} by {order}: {travels[-1] * 1000:.0f} ms "
                    f"(CPU {travels[-1].cpu * 1000:.0f} ms)"
                )
            out[f"time travel, rows and counts (by {order})"] = travels
            press(app, "n")
            await until(lambda: screen.shown.as_of is None and counts._loading is None)
        out["rss after time travel"] = rss_mib()
    tracker.close()
    return out


def report(results: dict[str, Any]) -> None:
    for name, values in results.items():
        if not isinstance(values, list):
            continue
        worst = max(values)
        target = TARGETS.get(name.split(" (by")[0])
        verdict = "" if target is None else ("  ok" if worst <= target else "  OVER")
        shown = f"<= {target * 1000:.0f} ms" if target else ""
        cpus = [v.cpu for v in values if isinstance(v, Sample)]
        cpu = (
            f" (CPU median {statistics.median(cpus) * 1000:6.1f}, worst {max(cpus) * 1000:6.1f})"
            if cpus
            else ""
        )
        print(
            f"{name:>42}: median {statistics.median(values) * 1000:7.1f} ms, "
            f"worst {worst * 1000:7.1f} ms{cpu}  {shown}{verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=HERE / "out" / "big.db")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--keys", default="joint", help="typed into the items filter")
    parser.add_argument("--history-keys", default="sar-0001", help="typed into history's item")
    parser.add_argument("--starts", type=int, default=5, help="process starts to time")
    parser.add_argument("--first-rows-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.db.resolve()}"
    if args.first_rows_child:
        first_rows_child(url)
        return 0
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
    load = Path("/proc/loadavg").read_text().split()[0]
    cpu_start = os.times()
    starts = first_rows(args.db, args.starts)
    results = asyncio.run(measure(url, args.keys, args.history_keys))
    print(f"load average: {load} before, {Path('/proc/loadavg').read_text().split()[0]} after")
    print(f"{results['items']:,} items, {results['entries']:,} history entries (SQLite)")
    print(f"items filter typed: {args.keys!r} ({results['matches']:,} items match)")
    print(
        f"history item filter typed: {args.history_keys!r} "
        f"({results['history matches']:,} entries match)"
    )
    print(
        "the CPU columns include the bench's own polling while it waits: "
        f"{results['idle polling CPU per second'] * 1000:.0f} ms of CPU per second of wall"
    )
    report(starts)
    report(results)
    current, peak = results["rss"]
    verdict = "ok" if peak <= RSS_TARGET_MIB else "OVER"
    print(
        f"{'RSS':>42}: {current:.0f} MiB now, {peak:.0f} MiB peak  <= {RSS_TARGET_MIB}  {verdict}"
    )
    used = os.times()
    print(
        f"CPU of this process: {used.user - cpu_start.user + used.system - cpu_start.system:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
