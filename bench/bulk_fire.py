"""Bulk fire at scale: mark every item matching a filter, check which the trigger may fire
on, and fire it on 10,000 of them in one all-or-nothing batch (the TUI's bulk flow); then the
same through `fire_where` (the CLI's `tracker fire TRIGGER --where ...`).

    python bench/bulk_fire.py [--runs 3] [--marked 10000]
    python bench/bulk_fire.py --db postgresql://postgres@127.0.0.1:5432/bench   # filled by
                                                     # bench/generate.py --db (left as found)

Data: bench/generate.py's 100,000 items and 1,000,000 history entries (built once, cached).
Each SQLite run works on a fresh copy of it. Target (issue 6): select + check + fire of
10,000 items under 2 s. Prints one line per run and the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from generate import ensure_database  # noqa: E402

from tracker import Tracker  # noqa: E402

TARGET_SECONDS = 2.0
# The CLI flow fires on every resumed drill (about 8,800) with fire_where; then the TUI flow
# marks every resumed item left (about 27,000) and fires on 10,000 of them.
MARK = {"state": "resumed"}
WHERE = {"state": "resumed", "kind": "drill"}
TRIGGER, REASON = "stall", "budget freeze"


def undo(tracker: Tracker, keys: tuple[str, ...]) -> None:
    """Put the items back (resumed) so a shared database is left as found."""
    tracker.fire_many(keys, "resume", source="bench undo")


def tui_flow(tracker: Tracker, marked: int) -> dict[str, Any]:
    """Mark all that match, keep `marked` of them, check, fire: times of each step."""
    began = time.perf_counter()
    keys = tracker.keys(**MARK)
    selected = time.perf_counter()
    check = tracker.check_fire(keys[:marked], TRIGGER)
    checked = time.perf_counter()
    tracker.fire_many(check.allowed, TRIGGER, reason=REASON, source="bench")
    fired = time.perf_counter()
    assert len(check.allowed) == marked and not check.refused
    return {
        "keys": check.allowed,
        "matching": len(keys),
        "select": selected - began,
        "check": checked - selected,
        "fire": fired - checked,
        "total": fired - began,
    }


def where_flow(tracker: Tracker) -> dict[str, Any]:
    """`fire_where` on the same kind of filter: every match fired, in one batch."""
    began = time.perf_counter()
    result = tracker.fire_where(TRIGGER, **WHERE, reason=REASON, source="bench")
    total = time.perf_counter() - began
    return {"keys": result.keys, "fired": result.fired, "total": total}


def _median(runs: list[dict[str, Any]], name: str) -> float:
    return statistics.median(run[name] for run in runs)


def run_sqlite(runs: int, marked: int) -> int:
    source = ensure_database()
    tui: list[dict[str, Any]] = []
    where: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(1, runs + 1):
            copy = Path(tmp) / "bulk.db"
            shutil.copyfile(source, copy)
            with Tracker.open(f"sqlite:///{copy}") as tracker:
                where.append(where_flow(tracker))
                tui.append(tui_flow(tracker, marked))
            print(
                f"run {number}: mark {tui[-1]['matching']:,.0f} + check + fire {marked:,}: "
                f"{tui[-1]['total']:.2f} s (select {tui[-1]['select']:.2f}, check "
                f"{tui[-1]['check']:.2f}, fire {tui[-1]['fire']:.2f}); fire_where on "
                f"{where[-1]['fired']:,.0f}: {where[-1]['total']:.2f} s"
            )
            copy.unlink()
    return _report("SQLite", tui, where, marked)


def run_database(url: str, runs: int, marked: int) -> int:
    """On a filled database: each run fires and then fires back on the same items, leaving
    states as found (history grows by the entries written)."""
    tui: list[dict[str, Any]] = []
    where: list[dict[str, Any]] = []
    with Tracker.open(url) as tracker:
        for number in range(1, runs + 1):
            where.append(where_flow(tracker))
            undo(tracker, where[-1]["keys"])
            tui.append(tui_flow(tracker, marked))
            undo(tracker, tui[-1]["keys"])
            print(
                f"run {number}: mark + check + fire {marked:,}: {tui[-1]['total']:.2f} s; "
                f"fire_where on {where[-1]['fired']:,.0f}: {where[-1]['total']:.2f} s"
            )
    return _report(url.split("://")[0], tui, where, marked)


def _report(name: str, tui: list[dict[str, Any]], where: list[dict[str, Any]], marked: int) -> int:
    total = _median(tui, "total")
    print(
        f"{name} median: mark all matching + check + fire {marked:,}: {total:.2f} s "
        f"(select {_median(tui, 'select'):.2f}, check {_median(tui, 'check'):.2f}, "
        f"fire {_median(tui, 'fire'):.2f}); fire_where on {_median(where, 'fired'):,.0f}: "
        f"{_median(where, 'total'):.2f} s; target < {TARGET_SECONDS:.0f} s: "
        + ("met" if total < TARGET_SECONDS else "MISSED")
    )
    return 0 if total < TARGET_SECONDS else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--marked", type=int, default=10_000)
    parser.add_argument("--db", help="a filled database URL instead of the cached SQLite file")
    args = parser.parse_args(argv)
    if args.db:
        return run_database(args.db, args.runs, args.marked)
    return run_sqlite(args.runs, args.marked)


if __name__ == "__main__":
    raise SystemExit(main())
