"""Build a large, valid tracker database for the scale benchmarks (and the TUI's).

    python bench/generate.py           # bench/out/big.db: 100,000 items, 1,000,000 entries
    python bench/generate.py --out bench/out/s.db --items 1000 --entries 10000
    python bench/generate.py --db postgresql://postgres@127.0.0.1:5432/bench   # an empty database

Everything goes through `Tracker.apply` in large all-or-nothing batches, so the data is what the
service itself would write: states that follow each item's workflow, chained hashes, effective
dates that only move forward, several kinds, parties and actors; `verify` passes on it. A
gated trigger (the agreement's `sign`) is reached by each party's consent in turn (`approve`
ops, the last one firing it); an item may end with consents still pending.

A SQLite file is cached: if it exists with a matching `<file>.json` stamp (same sizes and seed),
it is reused as it is. The file is built under a temporary name and renamed when complete, so a
half-built file is never taken for a finished one. Other scripts call `ensure_database()`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tracker import Tracker  # noqa: E402
from tracker.workflow import Workflow, Workflows  # noqa: E402

DEFAULT_OUT = HERE / "out" / "big.db"
# 2: `sign` through every party's consent (issue 12).
STAMP_VERSION = 2
BATCH = 50_000
START = datetime(2018, 1, 1, tzinfo=UTC)

KINDS = {
    # kind: (key prefix, title words); "agreement" follows the agreement workflow (signed).
    "drill": ("DRL", "joint naval drill"),
    "sarex": ("SAR", "search-and-rescue exercise"),
    "refuelling": ("REF", "refuelling support"),
    "logistics": ("LOG", "logistics arrangement"),
    "agreement": ("AGR", "acquisition and cross-servicing agreement"),
    "exchange": ("EXC", "officer exchange"),
    "intel": ("INT", "intelligence-sharing channel"),
}
KIND_WEIGHTS = [24, 16, 12, 14, 10, 14, 10]
PARTIES = ["ROK", "JPN", "USA", "AUS", "GBR", "CAN", "FRA", "NZL", "PHL", "IND"]
PLACES = ["East Sea", "Yellow Sea", "Tsushima Strait", "Busan", "Sasebo", "Okinawa", "Guam"]
ACTORS = [
    "ministry-rok",
    "ministry-jpn",
    "usfk-liaison",
    "jsdf-staff",
    "rokn-ops",
    "analyst-kim",
    "analyst-sato",
    "desk-officer",
    "press-office",
    "import-bot",
]
SOURCES = ["Yonhap", "Nikkei", "Asahi Shimbun", "Korea Herald", "Kyodo", "NHK", "JoongAng"]
REASONS = {
    "stall": [
        "budget freeze",
        "talks deferred after the election",
        "dispute over the text",
        "awaiting cabinet approval",
    ],
    "suspend": [
        "radar lock-on incident",
        "diplomatic protest",
        "typhoon season",
        "export-control dispute",
    ],
    "comment": [
        "working-level talks held",
        "delegation visit announced",
        "press briefing",
        "minister asked about it in parliament",
    ],
}
TRIGGER_WEIGHTS = {"propose": 2, "stall": 3, "suspend": 2, "resume": 5, "sign": 2}
COMMENT_SHARE = 0.06


@dataclass(slots=True)
class _Plan:
    """One item's generated life: what is left to write, where it stands, when it was last."""

    key: str
    workflow: Workflow
    entries: int
    state: str
    last: datetime
    parties: tuple[str, ...] = ()
    made: int = 1  # the create
    # (trigger, parties yet to consent) of a gated transition under way.
    awaiting: tuple[str, list[str]] | None = None


def _entry_counts(rng: random.Random, items: int, entries: int) -> list[int]:
    """Entries per item (create included): between 1 and about twice the mean, summing
    exactly to `entries`."""
    mean = entries / items
    high = max(1, round(2 * mean) - 1)
    counts = [rng.randint(1, high) for _ in range(items)]
    diff = entries - sum(counts)
    step = 1 if diff > 0 else -1
    while diff:
        i = rng.randrange(items)
        if 1 <= counts[i] + step <= max(high, int(mean) + 1):
            counts[i] += step
            diff -= step
    return counts


def _add_op(rng: random.Random, number: int, kind: str, plan: _Plan) -> dict[str, Any]:
    words = KINDS[kind][1]
    parties = rng.sample(PARTIES[:3], 2) + rng.sample(PARTIES[3:], rng.randint(0, 2))
    plan.parties = tuple(parties)
    return {
        "op": "add",
        "key": plan.key,
        "title": f"{' '.join(parties[:2])} {words} #{number} ({rng.choice(PLACES)})",
        "kind": kind,
        "parties": parties,
        "description": f"Generated item {number}: {words} between {', '.join(parties)}.",
        "at": plan.last.isoformat(),
        "actor": rng.choice(ACTORS),
        "source": rng.choice(SOURCES),
    }


def _next_op(rng: random.Random, plan: _Plan) -> dict[str, Any]:
    """A fire allowed from the item's state (or now and then a comment), a little later; a
    gated trigger's consents one party at a time, the last making two entries (it fires)."""
    plan.last += timedelta(days=rng.randint(1, 40), seconds=rng.randint(0, 86_399))
    at = plan.last.isoformat()
    actor = rng.choice(ACTORS)
    left = plan.entries - plan.made
    completes = plan.awaiting is not None and len(plan.awaiting[1]) == 1
    if rng.random() < COMMENT_SHARE or (completes and left < 2):
        plan.made += 1
        reason = rng.choice(REASONS["comment"])
        return {"op": "comment", "key": plan.key, "reason": reason, "at": at, "actor": actor}
    if plan.awaiting is None:
        allowed = plan.workflow.allowed(plan.state)
        trigger = rng.choices(allowed, [TRIGGER_WEIGHTS.get(t, 1) for t in allowed])[0]
        needed = plan.workflow.approvers(trigger, plan.state, plan.parties)
        if needed and (len(needed) > 1 or left >= 2):
            plan.awaiting = (trigger, list(needed))
        elif needed:  # one consent, two entries, one left: a comment instead
            plan.made += 1
            return {"op": "comment", "key": plan.key, "reason": "noted", "at": at, "actor": actor}
    op: dict[str, Any]
    if plan.awaiting is not None:
        trigger, parties = plan.awaiting
        party = parties.pop(0)
        op = {"op": "approve", "key": plan.key, "trigger": trigger, "party": party, "at": at}
        plan.made += 1
        if not parties:
            plan.awaiting = None
            plan.made += 1
            plan.state = plan.workflow.target(plan.state, trigger)
    else:
        plan.made += 1
        plan.state = plan.workflow.target(plan.state, trigger)
        op = {"op": "fire", "key": plan.key, "trigger": trigger, "at": at}
    op["actor"] = actor
    op["source"] = rng.choice(SOURCES)
    if trigger in REASONS:
        op["reason"] = rng.choice(REASONS[trigger])
    return op


def operations(items: int, entries: int, seed: int) -> Iterator[dict[str, Any]]:
    """Every operation, in rounds: all the adds, then each item's next change, round after
    round (so history ids interleave items, as real use does)."""
    if entries < items:
        raise SystemExit("need at least one entry (the create) per item")
    rng = random.Random(seed)
    workflows = Workflows.load()
    counts = _entry_counts(rng, items, entries)
    kinds = rng.choices(list(KINDS), KIND_WEIGHTS, k=items)
    plans: list[_Plan] = []
    for number, (kind, count) in enumerate(zip(kinds, counts, strict=True), start=1):
        workflow = workflows.for_kind(kind)
        start = START + timedelta(days=rng.randint(0, 3 * 365), seconds=rng.randint(0, 86_399))
        plan = _Plan(f"{KINDS[kind][0]}-{number:06d}", workflow, count, workflow.initial, start)
        plans.append(plan)
        yield _add_op(rng, number, kind, plan)
    rounds = max(counts)
    for _ in range(1, rounds):
        for plan in plans:
            if plan.made < plan.entries:
                yield _next_op(rng, plan)


def populate(url: str, items: int, entries: int, seed: int, batch: int = BATCH) -> float:
    """Write the generated data into the (empty) database at `url`; returns seconds taken."""
    began = time.perf_counter()
    with Tracker.open(url) as tracker:
        if tracker.count():
            raise SystemExit(f"{url} already has items; give an empty database")
        pending: list[dict[str, Any]] = []
        written = 0
        for op in operations(items, entries, seed):
            pending.append(op)
            if len(pending) >= batch:
                tracker.apply(pending)
                written += len(pending)
                pending = []
                print(f"\r  {written:,} / {entries:,} entries", end="", file=sys.stderr)
        if pending:
            tracker.apply(pending)
        print(file=sys.stderr)
    return time.perf_counter() - began


def _stamp(items: int, entries: int, seed: int) -> dict[str, Any]:
    return {"version": STAMP_VERSION, "items": items, "entries": entries, "seed": seed}


def _matches(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    # The stamp also notes how long the build took; only the parameters must agree.
    return all(found.get(name) == value for name, value in wanted.items())


def ensure_database(
    out: Path = DEFAULT_OUT,
    items: int = 100_000,
    entries: int = 1_000_000,
    seed: int = 1,
    *,
    force: bool = False,
) -> Path:
    """The SQLite file at `out` holding the generated data, built unless a matching one exists.
    Several processes may ask at once: a lock file makes the others wait for the one building."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with (out.parent / (out.name + ".lock")).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(out, items, entries, seed, force)


def _ensure_locked(out: Path, items: int, entries: int, seed: int, force: bool) -> Path:
    stamp_file = out.with_name(out.name + ".json")
    stamp = _stamp(items, entries, seed)
    cached = not force and out.exists() and stamp_file.exists()
    if cached and _matches(json.loads(stamp_file.read_text()), stamp):
        print(f"reusing {out} ({items:,} items, {entries:,} entries)", file=sys.stderr)
        return out
    partial = out.with_name(out.name + ".partial")
    for path in (partial, out, stamp_file):
        path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        partial.with_name(partial.name + suffix).unlink(missing_ok=True)
    seconds = populate(f"sqlite:///{partial}", items, entries, seed)
    partial.rename(out)
    stamp_file.write_text(json.dumps({**stamp, "seconds": round(seconds, 1)}) + "\n")
    print(f"built {out} in {seconds:.1f} s", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="SQLite file (cached)")
    parser.add_argument("--db", help="Database URL to fill instead (must be empty; not cached)")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000, help="history rows in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    if args.db:
        seconds = populate(args.db, args.items, args.entries, args.seed)
        print(f"filled {args.db} in {seconds:.1f} s ({args.entries / seconds:,.0f} entries/s)")
        return 0
    path = ensure_database(args.out, args.items, args.entries, args.seed, force=args.force)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
