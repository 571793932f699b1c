"""Issue 10's read targets at 100,000 items / 1,000,000 history entries, by CPU time.

    python bench/read_scale.py [--db FILE] [--runs 3] [--exact]

The database (default: bench/generate.py's, built if missing; or `--db`, e.g. the shared
/work/bigdb/big.db) is copied first: opening it migrates it to this program's schema (0007 adds
the party index, 0008 the covering as-of index, 0009 files the party index by key), and nothing
here may write the original. Each figure is the median CPU time of `--runs` calls after one
warm-up call, as a ratio to its target (<= 1 is met):

  - verify                 <= 3 s of CPU in all: this process and any child (split verify)
  - as_of(2020-06-30)      <= 0.5 s
  - list(party=AUS)        <= 100 ms
  - count(party=AUS)       (the filter alone, no Item objects built)

CPU time, not wall: the machine is shared (the load average is printed). `--exact` also times
verify's exact replay (the clean pass switched off: the path verify took before, and still
takes at any doubt), alternating with the clean pass, for a before/after ratio in one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from generate import ensure_database  # noqa: E402

from tracker import Tracker  # noqa: E402
from tracker.audit import fast, native  # noqa: E402

AS_OF = "2020-06-30"
PARTY = "AUS"
TARGETS = {"verify": 3.0, "as_of": 0.5, "list_party": 0.1}


def cpu_all() -> float:
    """CPU seconds of this process and of its waited-for children so far."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def median_cpu(run: Callable[[], Any], runs: int) -> tuple[float, Any]:
    result = run()
    spent = []
    for _ in range(runs):
        began = cpu_all()
        result = run()
        spent.append(cpu_all() - began)
    return statistics.median(spent), result


def exact_verify(tracker: Tracker) -> Any:
    """verify with both clean passes (C and Python) answering "a doubt": the exact replay."""
    real = fast.clean_pass, native.clean_pass
    fast.clean_pass = native.clean_pass = lambda *args: None  # type: ignore[assignment]
    try:
        return tracker.verify()
    finally:
        fast.clean_pass, native.clean_pass = real


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a generated database to copy (default: build)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exact", action="store_true", help="also time the exact replay")
    args = parser.parse_args(argv)
    source = args.db or ensure_database()
    with tempfile.TemporaryDirectory(prefix="read_scale-") as scratch:
        copy = Path(scratch) / "big.db"
        shutil.copyfile(source, copy)
        with Tracker.open(f"sqlite:///{copy}") as tracker:  # migrates the copy, not timed
            print(f"database: a copy of {source}; medians of {args.runs} runs, CPU time")
            print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            figures: list[tuple[str, str, float, str]] = []
            seconds, report = median_cpu(tracker.verify, args.runs)
            assert report.ok, report.problems[:3]
            figures.append(("verify", "verify()", seconds, f"{report.entries:,} entries"))
            if args.exact:
                seconds, report = median_cpu(lambda: exact_verify(tracker), args.runs)
                assert report.ok
                figures.append(("verify", "verify(), exact replay only", seconds, "before"))
            seconds, found = median_cpu(lambda: tracker.as_of(AS_OF), args.runs)
            figures.append(("as_of", f"as_of({AS_OF})", seconds, f"{len(found):,} items"))
            seconds, found = median_cpu(lambda: tracker.list(party=PARTY), args.runs * 3)
            figures.append(("list_party", f"list(party={PARTY})", seconds, f"{len(found):,}"))
            seconds, counted = median_cpu(lambda: tracker.count(party=PARTY), args.runs * 3)
            total = sum(counted.values())
            figures.append(("list_party", f"count(party={PARTY})", seconds, f"{total:,}"))
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'':<32} {'CPU':>10} {'target':>8} {'ratio':>6}")
    met = True
    for name, what, seconds, note in figures:
        ratio = seconds / TARGETS[name]
        ok = ratio <= 1.0
        if note != "before" and not what.startswith("count"):
            met = met and ok
        verdict = "MET" if ok else "NOT MET"
        print(
            f"{what:<32} {seconds * 1000:>8.0f}ms {TARGETS[name] * 1000:>6.0f}ms {ratio:>6.2f}"
            f"  {verdict:<8} {note}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
