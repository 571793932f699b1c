"""Batch fires through `Tracker.apply` on SQLite, against raw sqlite3 doing the same writes.

    python bench/apply_throughput.py [--items 100000] [--runs 3] [--naive 300]

Each run fires one trigger on every item in ONE apply (one transaction): n history entries
appended, n items updated (compare-and-set on the version), hashes chained. The ceiling is raw
sqlite3 on a copy of the same database: `executemany` of the same UPDATE and INSERT, with every
parameter computed beforehand (no checks, no hashing), in one transaction; the two run in
turn, a round each. Targets: >= 100,000 transitions/s, and (issue 10) >= 0.5 x the ceiling by
CPU time (time.process_time: less moved by other load than wall clock), both measured in this
run (medians).
`--naive N` also times the textbook way on N fires: an ORM object with its own transitions
Machine per item and a commit per fire.
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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import ForeignKey, String, create_engine, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402
from transitions import Machine  # noqa: E402

from tracker import Tracker  # noqa: E402

TARGET_RATE = 100_000.0
TARGET_SHARE = 0.5
# Each round fires the next trigger of this cycle on every item (the default workflow).
CYCLE: list[tuple[str, str, str | None]] = [
    ("resume", "resumed", None),
    ("stall", "stalled", "budget freeze"),
    ("resume", "resumed", None),
    ("suspend", "suspended", "diplomatic protest"),
]
T0 = datetime(2020, 1, 1, tzinfo=UTC)
# CPU seconds per run (time.process_time), beside the wall-clock figures: less moved by load.
CPU: dict[str, list[float]] = {"apply": [], "raw": []}


class _NaiveBase(DeclarativeBase):
    pass


class NaiveItem(_NaiveBase):
    __tablename__ = "naive_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]


class NaiveEntry(_NaiveBase):
    __tablename__ = "naive_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("naive_items.id"))
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))


def _at(round_: int) -> str:
    return (T0 + timedelta(days=round_ + 1)).isoformat()


def build(path: Path, items: int) -> None:
    """A database with `items` items of the default workflow, all `proposed`."""
    with Tracker.open(f"sqlite:///{path}") as tracker:
        for start in range(0, items, 50_000):
            tracker.apply(
                [
                    {
                        "op": "add",
                        "key": f"BENCH-{n:06d}",
                        "title": f"bench item {n}",
                        "kind": "drill",
                        "parties": ["ROK", "JPN"],
                        "at": T0.isoformat(),
                    }
                    for n in range(start, min(items, start + 50_000))
                ]
            )


def fire_ops(items: int, round_: int) -> list[dict[str, Any]]:
    trigger, _state, reason = CYCLE[round_ % len(CYCLE)]
    ops: list[dict[str, Any]] = []
    for n in range(items):
        op: dict[str, Any] = {"op": "fire", "key": f"BENCH-{n:06d}", "trigger": trigger}
        op["at"] = _at(round_)
        op["actor"] = "bench"
        if reason:
            op["reason"] = reason
        ops.append(op)
    return ops


def time_apply(path: Path, items: int, runs: int, seconds: list[float]) -> Iterator[None]:
    """Seconds per apply of `items` fires, one per item, round after round (a round each
    time the generator is advanced)."""
    with Tracker.open(f"sqlite:///{path}") as tracker:
        for round_ in range(runs):
            ops = fire_ops(items, round_)
            began, began_cpu = time.perf_counter(), time.process_time()
            result = tracker.apply(ops)
            seconds.append(time.perf_counter() - began)
            CPU["apply"].append(time.process_time() - began_cpu)
            assert result.fired == items, result
            yield
        assert tracker.verify().ok


def _raw_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def time_raw(path: Path, items: int, runs: int, seconds: list[float]) -> Iterator[None]:
    """Seconds for raw sqlite3 to write the same updates and inserts in one transaction (a
    round each time the generator is advanced)."""
    conn = _raw_connect(path)
    ids = [row[0] for row in conn.execute("SELECT id FROM items ORDER BY id")]
    recorded = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for round_ in range(runs):
        trigger, state, reason = CYCLE[round_ % len(CYCLE)]
        previous = CYCLE[round_ - 1][1] if round_ else "proposed"
        at = (T0 + timedelta(days=round_ + 1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        version = round_ + 2
        digest = "ab" * 32
        updates = [(state, version, digest, at, recorded, i, version - 1) for i in ids]
        inserts = [
            (i, version, trigger, previous, state, at, recorded, "bench", reason, None, digest)
            for i in ids
        ]
        began, began_cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "UPDATE items SET state = ?, version = ?, last_hash = ?, changed_at = ?,"
            " updated_at = ? WHERE id = ? AND version = ?",
            updates,
        )
        conn.executemany(
            "INSERT INTO history (item_id, version, trigger, from_state, to_state, occurred_at,"
            " recorded_at, actor, reason, source, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        conn.execute("COMMIT")
        seconds.append(time.perf_counter() - began)
        CPU["raw"].append(time.process_time() - began_cpu)
        yield
    conn.close()


def time_naive(folder: Path, fires: int) -> float:
    """Fires per second the textbook way: an ORM row per item, a Machine per object, a
    commit per fire (the issue's 'naive ORM' baseline)."""
    engine = create_engine(f"sqlite:///{folder / 'naive.db'}")
    _NaiveBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(NaiveItem(key=f"N{n}", state="proposed", version=1) for n in range(fires))
        session.commit()
    states = ["proposed", "stalled", "suspended", "resumed"]
    transitions = [{"trigger": "resume", "source": ["proposed", "stalled"], "dest": "resumed"}]
    began = time.perf_counter()
    with Session(engine) as session:
        for n in range(fires):
            item = session.execute(select(NaiveItem).where(NaiveItem.key == f"N{n}")).scalar_one()
            before = item.state
            Machine(model=item, states=states, transitions=transitions, initial=item.state)
            item.resume()  # type: ignore[attr-defined]
            item.version += 1
            session.add(
                NaiveEntry(
                    item_id=item.id, trigger="resume", from_state=before, to_state=item.state
                )
            )
            session.commit()
    elapsed = time.perf_counter() - began
    engine.dispose()
    return fires / elapsed


def _median_rate(items: int, seconds: list[float]) -> float:
    return items / statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="fires per apply")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive", type=int, default=300, help="fires for the naive baseline")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        folder = Path(tmp)
        base = folder / "base.db"
        build(base, args.items)
        shutil.copy(base, folder / "raw.db")
        seconds: dict[str, list[float]] = {"apply": [], "raw": []}
        # The two in turn, a round each (apply, raw, apply, raw ...): a change in the
        # machine's load meanwhile falls on both.
        rounds = zip(
            time_apply(base, args.items, args.runs, seconds["apply"]),
            time_raw(folder / "raw.db", args.items, args.runs, seconds["raw"]),
            strict=True,
        )
        for _ in rounds:
            pass
        naive = time_naive(folder, args.naive) if args.naive else None
    apply_rate = _median_rate(args.items, seconds["apply"])
    raw_rate = _median_rate(args.items, seconds["raw"])
    share = apply_rate / raw_rate
    print(f"fires per apply: {args.items:,}, runs: {args.runs}, alternating (medians)")
    print(
        f"apply:        {apply_rate:>10,.0f} transitions/s  "
        f"({', '.join(f'{s:.3f}' for s in seconds['apply'])} s)"
    )
    print(
        f"raw sqlite3:  {raw_rate:>10,.0f} transitions/s  "
        f"({', '.join(f'{s:.3f}' for s in seconds['raw'])} s)"
    )
    apply_cpu = _median_rate(args.items, CPU["apply"])
    raw_cpu = _median_rate(args.items, CPU["raw"])
    print(
        f"by CPU time: apply {apply_cpu:,.0f}/s, raw {raw_cpu:,.0f}/s, "
        f"apply / raw {apply_cpu / raw_cpu:.3f}; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "CPU seconds per run: apply "
        + ", ".join(f"{c:.3f}" for c in CPU["apply"])
        + "; raw "
        + ", ".join(f"{c:.3f}" for c in CPU["raw"])
    )
    if naive is not None:
        print(f"naive ORM:    {naive:>10,.0f} transitions/s  ({args.naive} fires, commit each)")
        print(f"apply / naive: {apply_rate / naive:.0f}x")
    met_rate = apply_rate >= TARGET_RATE
    by_cpu = apply_cpu / raw_cpu
    met_share = by_cpu >= TARGET_SHARE
    print(
        f"apply / 100,000 target: {apply_rate / TARGET_RATE:.2f}  "
        f"{'MET' if met_rate else 'NOT MET'}"
    )
    print(
        f"apply / raw: {by_cpu:.3f} by CPU, {share:.3f} by wall (target >= {TARGET_SHARE} by CPU)"
        f"  {'MET' if met_share else 'NOT MET'}"
    )
    return 0 if met_rate and met_share else 1


if __name__ == "__main__":
    raise SystemExit(main())
