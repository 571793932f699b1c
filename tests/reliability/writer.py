"""A writer that keeps writing until told to stop: small batches that add an item and fire
on existing ones, committed one after another, as a team's other users would.

Run by tests/reliability/test_snapshot.py:
    python -m tests.reliability.writer URL STOP_FILE
It prints "ready" once its first batch is done, and at the end how many it committed.
"""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

from tracker import Tracker
from tracker.errors import Conflict, NotAllowed


def main(url: str, stop: Path) -> int:
    rng = random.Random(7)
    committed = 0
    with Tracker.open(url) as tracker:
        keys = tracker.keys()
        for n in itertools.count():
            if stop.exists():
                break
            fires = [
                {
                    "op": "fire",
                    "key": item.key,
                    "trigger": rng.choice(item.allowed_triggers),
                    "reason": f"writer {n}",
                }
                for item in (tracker.get(key) for key in rng.sample(keys, 3))
            ]
            try:
                tracker.apply(
                    [{"op": "add", "key": f"W{n}", "title": f"Written {n}", "kind": "drill"}]
                )
                tracker.apply(fires)
            except (Conflict, NotAllowed):
                pass  # not expected with one writer; the count printed at the end shows it
            else:
                committed += 1
            if n == 0:
                print("ready", flush=True)
    print(committed, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
