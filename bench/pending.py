"""`pending` at scale (issue 12): 100,000 items, 1,000,000 entries, thousands of consents.

    python bench/pending.py [--source bench/out/big.db] [--runs 7]

A copy of the big database (bench/generate.py; the source is only read) gets consents through
the service: one party's consent to `sign` on up to 4,000 agreements (waiting), and on 2,000
more a consent then a `stall` that voids it (consent entries no longer in effect). Then, by CPU
time (process_time, median of `--runs`), in one process:

  - pending()                 every gated transition waiting
  - pending(party=JPN)        those waiting on JPN
  - pending(key=K)            one item's
  - list(pending:JPN)         the filter word: the items waiting on JPN, as Item records
  - list(pending:JPN state:resumed), count(pending:JPN)
  - ceiling: list(limit=N)    as many item records as pending() returns, by key (one
                              indexed read of N rows, each made an Item record)

and the query plan of the in-effect read (SQLite must use ix_history_consents, not scan
history). Ratios are against the ceiling of the same run.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tracker import Filter, Tracker  # noqa: E402
from tracker.store.consents import in_effect_query  # noqa: E402

WAITING = 4_000
VOIDED = 2_000


def cpu(function: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median CPU seconds of `runs` calls, and the last result."""
    spent = []
    result = None
    for _ in range(runs):
        began = time.process_time()
        result = function()
        spent.append(time.process_time() - began)
    return statistics.median(spent), result


def prepare(source: Path, copy: Path) -> None:
    """The copy with its consents (made once; reused when its stamp file is there)."""
    done = copy.with_name(copy.name + ".consents")
    if copy.exists() and done.exists():
        return
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, copy)
    with Tracker.open(f"sqlite:///{copy}") as tracker:
        signable = [
            item
            for item in tracker.list(kind="agreement")
            if item.state in ("proposed", "resumed") and len(item.parties) >= 2
        ]
        ops: list[dict[str, Any]] = []
        for item in signable[: WAITING + VOIDED]:
            party = item.parties[0]
            ops.append(
                {"op": "approve", "key": item.key, "trigger": "sign", "party": party,
                 "source": f"{party} release"}
            )  # fmt: skip
        for item in signable[WAITING : WAITING + VOIDED]:
            ops.append({"op": "fire", "key": item.key, "trigger": "stall", "reason": "voids it"})
        result = tracker.apply(ops)
        print(
            f"consents: {result.approved} approved on {len(signable)} signable agreements, "
            f"{result.fired} stalled (voiding theirs)",
            file=sys.stderr,
        )
    done.write_text("ok\n")


def plan(copy: Path) -> str:
    from sqlalchemy.dialects import sqlite

    sql = str(
        in_effect_query().compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    )
    with sqlite3.connect(copy) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    return "; ".join(str(row[-1]) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/work/bigdb/big.db"))
    parser.add_argument("--copy", type=Path, default=HERE / "out" / "pending.db")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    prepare(args.source, args.copy)
    print(f"plan: {plan(args.copy)}")
    with Tracker.open(f"sqlite:///{args.copy}") as tracker:
        counted = tracker.count()
        every, found = cpu(tracker.pending, args.runs)
        ceiling, _ = cpu(lambda: tracker.list(limit=len(found)), args.runs)
        on_jpn, jpn = cpu(lambda: tracker.pending(party="JPN"), args.runs)
        key = found[0].key
        one, _ = cpu(lambda: tracker.pending(key=key), args.runs)
        word = Filter(pending="JPN")
        listed, items = cpu(lambda: tracker.list(word), args.runs)
        assert sorted(i.key for i in items) == sorted({p.key for p in jpn}), "pending:JPN"
        narrowed, _ = cpu(lambda: tracker.list(Filter(pending="JPN", state="resumed")), args.runs)
        counting, _ = cpu(lambda: tracker.count(word), args.runs)
    print(f"{sum(counted.values()):,} items; {len(found):,} pending; {len(jpn):,} wait on JPN")
    print("| read | CPU (median) | / ceiling |")
    print("|---|---|---|")
    for name, spent in (
        (f"list(limit={len(found)}) (ceiling)", ceiling),
        ("pending()", every),
        ("pending(party=JPN)", on_jpn),
        (f"pending(key={key})", one),
        (f"list(pending:JPN) ({len(items):,} items)", listed),
        ("list(pending:JPN state:resumed)", narrowed),
        ("count(pending:JPN)", counting),
    ):
        print(f"| {name} | {spent * 1000:.1f} ms | {spent / ceiling:.2f} |")


if __name__ == "__main__":
    main()
