"""Batch writes through `Tracker.apply` on PostgreSQL, against raw psycopg doing the same writes.

    python bench/apply_pg.py [--server URL] [--items 100000] [--runs 3] [--add-runs 1]

Two fresh databases on the server (made here, dropped at the end): `Tracker.apply` writes to
one, raw psycopg to the other, in turn (apply, raw, apply, raw ...), the same rows each time.
- adds: one apply of `--items` add operations (items and their `create` entries, hashed and
  chained) against the ceiling: the ids taken from the sequences, `COPY items`,
  `COPY item_parties` (the party index, migrations 0007 and 0009) and `COPY history` of rows
  computed beforehand, in one transaction.
- fires: one apply of `--items` fire operations (one per item, the next trigger of a cycle)
  against the ceiling: `COPY` of the new item values into a temporary table, `UPDATE items
  ... FROM` it (compare-and-set on the version), `COPY history`, in one transaction, every
  value computed beforehand (no load, no checks, no hashing).
Targets (issue 10): apply >= 0.5 of the ceiling, for fires and for adds.

CPU time is the bench process's own (time.process_time: the tracker or psycopg on the client)
plus that of the server backends connected to the two databases (/proc/PID/stat: the server
must run on this machine; utime + stime). Both and wall clock are printed; the ratio of
record is by CPU in all (client + server), the one least moved by other load on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import psycopg  # noqa: E402

from tracker import Tracker  # noqa: E402

TARGET = 0.5
CYCLE: list[tuple[str, str, str | None]] = [
    ("resume", "resumed", None),
    ("stall", "stalled", "budget freeze"),
    ("resume", "resumed", None),
    ("suspend", "suspended", "diplomatic protest"),
]
T0 = datetime(2020, 1, 1, tzinfo=UTC)
TICK = os.sysconf("SC_CLK_TCK")
HISTORY = (
    "item_id, version, trigger, from_state, to_state, occurred_at, recorded_at, actor, reason,"
    " source, hash, fields"
)
ITEMS = (
    "id, key, key_lower, title, kind, workflow, parties, description, state, version, last_hash,"
    " created_at, updated_at, changed_at"
)


def canonical(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def key(run: int, n: int) -> str:
    return f"B{run}-{n:06d}"


def add_ops(run: int, items: int) -> list[dict[str, Any]]:
    return [
        {
            "op": "add",
            "key": key(run, n),
            "title": f"bench item {n}",
            "kind": "drill",
            "parties": ["ROK", "JPN"],
            "at": T0.isoformat(),
            "actor": "bench",
        }
        for n in range(items)
    ]


def fire_ops(items: int, round_: int) -> list[dict[str, Any]]:
    trigger, _state, reason = CYCLE[round_ % len(CYCLE)]
    at = (T0 + timedelta(days=round_ + 1)).isoformat()
    ops: list[dict[str, Any]] = []
    for n in range(items):
        op: dict[str, Any] = {"op": "fire", "key": key(0, n), "trigger": trigger, "at": at}
        op["actor"] = "bench"
        if reason:
            op["reason"] = reason
        ops.append(op)
    return ops


class Server:
    """The bench's two databases and the CPU their backends spent."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.names = [f"tracker_bench_pg_{os.getpid()}_{uuid.uuid4().hex[:6]}_{s}" for s in "ar"]
        self.admin = psycopg.connect(f"{self.url}/postgres", autocommit=True)
        for name in self.names:
            self.admin.execute(f'CREATE DATABASE "{name}"')

    def database(self, which: int) -> str:
        return f"{self.url}/{self.names[which]}"

    def drop(self) -> None:
        for name in self.names:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()

    def backend_cpu(self) -> dict[int, float]:
        """CPU seconds of each backend connected to the bench's databases."""
        pids = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (self.names,)
        ).fetchall()
        spent = {}
        for (pid,) in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            spent[pid] = (int(fields[11]) + int(fields[12])) / TICK
        return spent


class Timer:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.wall: dict[str, list[float]] = {}
        self.client: dict[str, list[float]] = {}
        self.backend: dict[str, list[float]] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        before = self.server.backend_cpu()
        began, began_cpu = time.perf_counter(), time.process_time()
        yield
        wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        after = self.server.backend_cpu()
        backend = sum(spent - before.get(pid, 0.0) for pid, spent in after.items())
        self.wall.setdefault(name, []).append(wall)
        self.client.setdefault(name, []).append(cpu)
        self.backend.setdefault(name, []).append(backend)

    def line(self, name: str, items: int) -> str:
        wall = statistics.median(self.wall[name])
        client = statistics.median(self.client[name])
        backend = statistics.median(self.backend[name])
        return (
            f"{name:11} wall {wall:7.2f} s ({items / wall:9,.0f}/s)  client CPU {client:6.2f} s"
            f"  server CPU {backend:6.2f} s  CPU in all {client + backend:6.2f} s"
            f" ({items / (client + backend):9,.0f}/s)"
        )

    def cpu(self, name: str) -> float:
        runs = zip(self.client[name], self.backend[name], strict=True)
        return statistics.median(c + b for c, b in runs)


def sequence_ids(cur: psycopg.Cursor[Any], table: str, count: int) -> list[int]:
    return [
        row[0]
        for row in cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table, count),
        )
    ]


def raw_adds(conn: psycopg.Connection[Any], run: int, items: int) -> list[int]:
    """What the raw writer stores for an add: computed before the clock starts."""
    at = canonical(T0)
    now = canonical(datetime.now(UTC))
    digest = "ab" * 32
    fields = '{"created_at":"...","description":"","key":"...","kind":"drill"}'
    rows = [
        (key(run, n), key(run, n).lower(), f"bench item {n}", "drill", "default", "ROK JPN", "")
        for n in range(items)
    ]
    with conn.transaction(), conn.cursor() as cur:
        ids = sequence_ids(cur, "items", items)
        with cur.copy(f"COPY items ({ITEMS}) FROM STDIN") as copy:
            for id_, row in zip(ids, rows, strict=True):
                copy.write_row((id_, *row, "proposed", 1, digest, at, now, at))
        parties = "COPY item_parties (item_id, position, party, key_lower) FROM STDIN"
        with cur.copy(parties) as copy:
            for id_, row in zip(ids, rows, strict=True):
                copy.write_row((id_, 0, "ROK", row[1]))
                copy.write_row((id_, 1, "JPN", row[1]))
        with cur.copy(f"COPY history ({HISTORY}) FROM STDIN") as copy:
            for id_ in ids:
                copy.write_row(
                    (
                        id_,
                        1,
                        "create",
                        None,
                        "proposed",
                        at,
                        now,
                        "bench",
                        None,
                        None,
                        digest,
                        fields,
                    )
                )
    return ids


def raw_fires(conn: psycopg.Connection[Any], ids: list[int], round_: int, timer: Timer) -> None:
    trigger, state, reason = CYCLE[round_ % len(CYCLE)]
    previous = CYCLE[round_ - 1][1] if round_ else "proposed"
    at = canonical(T0 + timedelta(days=round_ + 1))
    now = canonical(datetime.now(UTC))
    version = round_ + 2
    digest = "cd" * 32
    updates = [(i, version, state, digest, at, now) for i in ids]
    inserts = [
        (i, version, trigger, previous, state, at, now, "bench", reason, None, digest, None)
        for i in ids
    ]
    with timer("raw fires"), conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE bench_updates (id bigint, version integer, state text,"
            " last_hash text, changed_at timestamptz, updated_at timestamptz) ON COMMIT DROP"
        )
        with cur.copy("COPY bench_updates FROM STDIN") as copy:
            for row in updates:
                copy.write_row(row)
        cur.execute(
            "UPDATE items SET state = u.state, version = u.version, last_hash = u.last_hash,"
            " changed_at = u.changed_at, updated_at = u.updated_at FROM bench_updates u"
            " WHERE items.id = u.id AND items.version = u.version - 1"
        )
        assert cur.rowcount == len(ids), cur.rowcount
        with cur.copy(f"COPY history ({HISTORY}) FROM STDIN") as copy:
            for row in inserts:
                copy.write_row(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("TRACKER_TEST_PG", "postgresql://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server (a role that may create databases)",
    )
    parser.add_argument("--items", type=int, default=100_000, help="operations per apply")
    parser.add_argument("--runs", type=int, default=3, help="rounds of fires")
    parser.add_argument("--add-runs", type=int, default=1, help="rounds of adds")
    args = parser.parse_args(argv)
    server = Server(args.server)
    timer = Timer(server)
    try:
        tracker = Tracker.open(server.database(0))
        Tracker.open(server.database(1)).close()  # the same schema, migrated
        raw = psycopg.connect(server.database(1))
        try:
            ids: list[int] = []
            for run in range(args.add_runs):
                ops = add_ops(run, args.items)
                with timer("apply adds"):
                    assert tracker.apply(ops).added == args.items
                with timer("raw adds"):
                    made = raw_adds(raw, run, args.items)
                ids = ids or made
            for round_ in range(args.runs):
                ops = fire_ops(args.items, round_)
                with timer("apply fires"):
                    assert tracker.apply(ops).fired == args.items
                raw_fires(raw, ids, round_, timer)
            assert tracker.verify().ok
        finally:
            raw.close()
            tracker.close()
    finally:
        server.drop()
    print(
        f"operations per apply: {args.items:,}; rounds: adds {args.add_runs}, fires {args.runs}"
        f" (medians); load average {os.getloadavg()[0]:.1f}"
    )
    met = True
    for what in ("adds", "fires"):
        print(timer.line(f"apply {what}", args.items))
        print(timer.line(f"raw {what}", args.items))
        by_cpu = timer.cpu(f"raw {what}") / timer.cpu(f"apply {what}")
        by_wall = statistics.median(timer.wall[f"raw {what}"]) / statistics.median(
            timer.wall[f"apply {what}"]
        )
        ok = by_cpu >= TARGET
        met = met and ok
        print(
            f"  {what}: apply / raw {by_cpu:.3f} by CPU in all, {by_wall:.3f} by wall"
            f" (target >= {TARGET})  {'MET' if ok else 'NOT MET'}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
