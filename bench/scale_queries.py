"""Reads at scale: 100,000 items and 1,000,000 history entries (bench/generate.py's data).

    python bench/scale_queries.py [--runs 5] [--no-cli]

Through the service API (medians over --runs, after one warm-up run):
  - one item's history            target <= 5 ms    (a different random item each run)
  - as-of over all items          target <= 1 s     (a date mid-way through the data)
  - verify (replay + hash chain)  target <= 5 s
  - list with a filter            target <= 200 ms  (state + kind; party; a page of 100)
And the same as whole `tracker ... --format json` processes (start-up included), which is what a
script sees. Reads only: the cached database is not changed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from generate import ensure_database  # noqa: E402

from tracker import Tracker  # noqa: E402

TRACKER = str(Path(sys.executable).with_name("tracker"))
AS_OF = "2020-06-30"
# name: (target in seconds, applies to the service API figure)
TARGETS = {"history": 0.005, "as_of": 1.0, "verify": 5.0, "list": 0.2}


CPU: list[float] = []  # CPU seconds of the last median_seconds call (median), for the report


def median_seconds(run: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall-clock seconds of `runs` calls after a warm-up call (the OS file cache,
    SQLAlchemy's compiled-statement cache); the median CPU seconds go to CPU[0]."""
    result = run()
    seconds, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = run()
        seconds.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    CPU[:] = [statistics.median(cpu)]
    return statistics.median(seconds), result


Figure = tuple[str, str, float, float, int]


def service_figures(url: str, runs: int) -> list[Figure]:
    """(target name, what, median seconds, median CPU seconds, rows) for each read."""
    rng = random.Random(7)
    rows: list[Figure] = []
    with Tracker.open(url) as tracker:
        keys = [item.key for item in tracker.list(limit=100_000)]
        sample = iter(rng.sample(keys, runs * 5 + 5))

        def one_history() -> Any:
            return tracker.history(next(sample))

        seconds, result = median_seconds(one_history, runs * 5)
        rows.append(("history", "history(KEY): one item's entries", seconds, CPU[0], len(result)))
        seconds, result = median_seconds(lambda: tracker.as_of(AS_OF), runs)
        rows.append(("as_of", f"as_of({AS_OF}): every item", seconds, CPU[0], len(result)))
        filters: list[tuple[str, dict[str, Any]]] = [
            ("list(state=stalled, kind=drill)", {"state": "stalled", "kind": "drill"}),
            ("list(kind=agreement)", {"kind": "agreement"}),
            ("list(party=AUS)", {"party": "AUS"}),
            ("list(state=resumed, limit=100): a page", {"state": "resumed", "limit": 100}),
        ]
        for what, kwargs in filters:

            def listed(kw: dict[str, Any] = kwargs) -> Any:
                return tracker.list(**kw)

            seconds, result = median_seconds(listed, runs)
            rows.append(("list", what, seconds, CPU[0], len(result)))
        seconds, report = median_seconds(tracker.verify, max(1, runs // 2))
        assert report.ok, report.problems[:3]
        rows.append(("verify", "verify(): every chain", seconds, CPU[0], report.entries))
    return rows


def cli_figures(db: Path, runs: int, key: str) -> list[tuple[str, str, float, int]]:
    """The same reads as whole processes (`tracker --db FILE ... --format json`)."""
    commands = [
        ("history", f"tracker history {key}", ["history", key]),
        ("as_of", f"tracker as-of {AS_OF}", ["as-of", AS_OF]),
        (
            "list",
            "tracker list --state stalled --kind drill",
            ["list", "--state", "stalled", "--kind", "drill"],
        ),
        ("verify", "tracker verify", ["verify"]),
    ]
    rows = []
    for name, what, args in commands:
        full = [TRACKER, "--db", str(db), *args, "--format", "json"]

        def run(command: list[str] = full) -> int:
            done = subprocess.run(command, check=True, capture_output=True)
            return len(done.stdout)

        seconds, size = median_seconds(run, runs if name != "verify" else max(1, runs // 2))
        rows.append((name, what, seconds, size))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-cli", action="store_true", help="service API figures only")
    args = parser.parse_args(argv)
    db = ensure_database()
    url = f"sqlite:///{db}"
    met = True
    print(f"database: {db} (medians of {args.runs} runs unless noted)")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'service API':<42} {'median':>10} {'CPU':>10} {'rows':>9}  wall / target")
    for name, what, seconds, cpu, count in service_figures(url, args.runs):
        ratio = seconds / TARGETS[name]
        ok = ratio <= 1.0
        met = met and ok
        print(
            f"{what:<42} {seconds * 1000:>8.1f}ms {cpu * 1000:>8.1f}ms {count:>9,}  "
            f"{ratio:5.2f} of {TARGETS[name] * 1000:g} ms {'MET' if ok else 'NOT MET'}"
        )
    if not args.no_cli:
        with Tracker.open(url) as tracker:
            key = tracker.list(limit=1, offset=4242)[0].key
        print(f"\n{'whole CLI process (start-up included)':<48} {'median':>10} {'bytes':>9}")
        for _name, what, seconds, size in cli_figures(db, args.runs, key):
            print(f"{what:<48} {seconds * 1000:>8.1f}ms {size:>9,}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
