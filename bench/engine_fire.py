"""A fire through the `transitions` machine against a fire read off a lookup, for the decision
"Fires go through the machine" (docs/decisions.md).

    python bench/engine_fire.py [--fires 200000] [--items 200] [--single 300] [--rounds 5]

Two parts, each alternating the two ways round after round (medians of the rounds):

1. The engine alone: every allowed (state, trigger) of every shipped workflow, carrying the
   fields it requires, `--fires` times in all per round:
   - machine: `Workflow.fire`: the item's state and fields set on a light object, the trigger
     fired through the workflow's one `transitions.Machine`, the required fields checked by
     the machine's `prepare` and `conditions`;
   - lookup: `Workflow.check`, the production path: the same answer read off the lookups built
     by asking the machine (a dict), the required fields checked by the same function.
2. End to end, bench/fire_single.py's rounds (one fire per transaction through `Tracker.fire`
   on SQLite, `--single` fires per round over `--items` items, each way on its own copy of the
   database) with the batch's `Workflow.check` answered by the machine, then by the lookup,
   and raw sqlite3 (the ceiling) in the same run.

Figures are fires/s by CPU time (time.process_time, this process only: nothing runs in a child)
and by wall clock; the load average is printed, as wall clock is unreliable on a loaded machine.
The budget (issue 10): the single fire through the API >= 0.5 of raw sqlite3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import fire_single  # noqa: E402

from tracker import Tracker  # noqa: E402
from tracker.workflow import Workflow, Workflows  # noqa: E402

Fields = Mapping[str, str | None]
Case = tuple[Workflow, str, str, Fields]


WAYS: dict[str, Callable[[Workflow, str, str, Fields], str]] = {
    "machine": Workflow.fire,
    "lookup": Workflow.check,
}


def cases(workflows: Workflows) -> list[Case]:
    """Every allowed move of every shipped workflow, with the fields it requires."""
    found: list[Case] = []
    for workflow in workflows.by_name.values():
        for state in workflow.states:
            for trigger in workflow.allowed(state):
                given = {name: "bench" for name in workflow.requires(trigger)}
                found.append((workflow, state, trigger, given))
    return found


def engine_round(way: str, work: list[Case]) -> tuple[float, float]:
    fire = WAYS[way]
    began, began_cpu = time.perf_counter(), time.process_time()
    for workflow, state, trigger, given in work:
        fire(workflow, state, trigger, given)
    return time.perf_counter() - began, time.process_time() - began_cpu


@contextmanager
def checking(way: str) -> Iterator[None]:
    """`Workflow.check` (what a batch calls for each fire) answered `way` for the block."""
    original = Workflow.check
    Workflow.check = WAYS[way]  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Workflow.check = original  # type: ignore[method-assign]


def rate(count: int, figures: list[tuple[float, float]], which: int) -> float:
    return count / statistics.median(f[which] for f in figures)


def report(title: str, count: int, figures: dict[str, list[tuple[float, float]]]) -> None:
    print(title)
    for name, rounds in figures.items():
        print(
            f"  {name:<16} {rate(count, rounds, 1):>12,.0f} fires/s by CPU "
            f"{rate(count, rounds, 0):>12,.0f} fires/s wall"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fires", type=int, default=200_000, help="engine fires per round")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--single", type=int, default=300, help="API fires per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average at start {os.getloadavg()[0]:.1f}")

    all_cases = cases(Workflows.load())
    work = [all_cases[n % len(all_cases)] for n in range(args.fires)]
    engine: dict[str, list[tuple[float, float]]] = {way: [] for way in WAYS}
    for rnd in range(args.rounds + 1):  # the first round warms up, not counted
        for way in WAYS:
            figure = engine_round(way, work)
            if rnd:
                engine[way].append(figure)
    report(
        f"1. the engine alone ({len(all_cases)} moves, {args.fires:,} fires a round)",
        args.fires,
        engine,
    )
    cpu = {way: args.fires / statistics.median(f[1] for f in engine[way]) for way in WAYS}
    extra = 1e6 / cpu["machine"] - 1e6 / cpu["lookup"]
    print(f"  a fire through the machine costs {extra:.1f} µs of CPU more")

    single: dict[str, list[tuple[float, float]]] = {"machine": [], "lookup": [], "raw": []}
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        folder = Path(tmp)
        fire_single.build(folder / "machine.db", args.items)
        for copy in ("lookup.db", "raw.db"):
            shutil.copy(folder / "machine.db", folder / copy)
        conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
        for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        plans = {name: fire_single.Plan(args.items) for name in single}
        trackers = {way: Tracker.open(f"sqlite:///{folder / way}.db") for way in WAYS}
        for rnd in range(args.rounds + 1):
            for name in single:
                fires = plans[name].take(args.single)
                if name == "raw":
                    figure = fire_single.round_raw(conn, fires)
                else:
                    with checking(name):
                        figure = fire_single.round_tracker(trackers[name], fires)
                if rnd:
                    single[name].append(figure)
        for tracker in trackers.values():
            assert tracker.verify().ok
            tracker.close()
        conn.close()
    report(
        f"2. one fire per transaction through Tracker.fire, SQLite ({args.single} fires a round"
        f" over {args.items} items; raw: the ceiling)",
        args.single,
        single,
    )
    raw_cpu, raw_wall = (rate(args.single, single["raw"], w) for w in (1, 0))
    for way in WAYS:
        share_cpu = rate(args.single, single[way], 1) / raw_cpu
        share_wall = rate(args.single, single[way], 0) / raw_wall
        print(f"  {way} / raw: {share_cpu:.3f} CPU, {share_wall:.3f} wall (budget >= 0.5)")
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
