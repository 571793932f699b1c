"""Concurrency torture: N processes fire at the same 3 items at once, through the service API
or the real `tracker` console script, then the history is checked entry by entry.

Half the workers (even numbers) read the state and fire with `--expect-state`: a worker that
loses the race must get exit 5 (Conflict) and nothing written. The others fire without an
expected state: a busy database (exit 5) is retried; a trigger no longer allowed because
someone else moved the item first is exit 4. Every fire carries a unique tag in `source`, so
each success can be found in history exactly once and each failure not at all.

Run by tests/reliability/test_torture.py and by bench/cli_torture.py:
    python -m tests.reliability.torture --db URL --workers 8 --fires 500 --mode cli
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tracker import Tracker
from tracker.errors import Conflict, NotAllowed

KEYS = ("T1", "T2", "T3")
ROOT = Path(__file__).resolve().parents[2]
# The state an error names: "T1 is stalled, not proposed" / "cannot stall from stalled".
_ACTUAL = re.compile(r"is (\w+), not|from (\w+) \(allowed")


def setup(url: str) -> None:
    """Three fresh items in the default workflow's initial state."""
    with Tracker.open(url) as tracker:
        for key in KEYS:
            tracker.add(key, f"Torture item {key}", "exercise")


def choose(tracker_allowed: tuple[str, ...], rng: random.Random) -> str:
    return rng.choice(tracker_allowed)


def api_worker(url: str, index: int, fires: int) -> list[dict[str, Any]]:
    rng = random.Random(index)
    expect = index % 2 == 0
    outcomes = []
    with Tracker.open(url) as tracker:
        for n in range(fires):
            key = KEYS[(index + n) % len(KEYS)]
            tag = f"w{index}-{n}"
            item = tracker.get(key)
            trigger = choose(item.allowed_triggers, rng)
            tries = 0
            while True:
                tries += 1
                try:
                    tracker.fire(
                        key,
                        trigger,
                        reason="torture",
                        source=tag,
                        expect_state=item.state if expect else None,
                    )
                    code = 0
                except Conflict:
                    code = 5
                except NotAllowed:
                    code = 4
                if code != 5 or expect:
                    break
            outcomes.append(outcome(tag, key, trigger, expect, code, tries))
    return outcomes


def cli_worker(url: str, index: int, fires: int, exe: str) -> list[dict[str, Any]]:
    """Each fire is one run of the console script. The worker keeps what it believes each
    state to be: from a success's JSON, or from the state an error names (no extra process)."""
    rng = random.Random(index)
    expect = index % 2 == 0
    believed = dict.fromkeys(KEYS, "proposed")
    allowed = _default_allowed()
    outcomes = []
    for n in range(fires):
        key = KEYS[(index + n) % len(KEYS)]
        tag = f"w{index}-{n}"
        trigger = choose(allowed[believed[key]], rng)
        args = [exe, "--db", url, "fire", key, trigger, "--reason", "torture", "--source", tag]
        args += ["--format", "json"]
        if expect:
            args += ["--expect-state", believed[key]]
        tries = 0
        while True:
            tries += 1
            done = subprocess.run(args, capture_output=True, text=True, check=False)
            if done.returncode != 5 or expect:
                break
        if done.returncode == 0:
            believed[key] = json.loads(done.stdout)[0]["item"]["state"]
        elif match := _ACTUAL.search(done.stderr):
            believed[key] = match[1] or match[2]
        outcomes.append(outcome(tag, key, trigger, expect, done.returncode, tries, done.stderr))
    return outcomes


def _default_allowed() -> dict[str, tuple[str, ...]]:
    from tracker.workflow import Workflows

    workflow = Workflows.from_environment(None).get("default")
    return {state: workflow.allowed(state) for state in workflow.states}


def outcome(
    tag: str, key: str, trigger: str, expect: bool, code: int, tries: int, err: str = ""
) -> dict[str, Any]:
    return {
        "tag": tag,
        "key": key,
        "trigger": trigger,
        "expect": expect,
        "code": code,
        "tries": tries,
        "err": err.strip(),
    }


def run(url: str, workers: int, fires: int, mode: str) -> dict[str, Any]:
    """Set up, start the workers together, wait, check; the figures."""
    setup(url)
    exe = str(Path(sys.executable).with_name("tracker"))
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.torture",
                "--db",
                url,
                "--mode",
                mode,
                "--worker",
                str(index),
                "--fires",
                str(fires),
                "--exe",
                exe,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for index in range(workers)
    ]
    outcomes: list[dict[str, Any]] = []
    for process in processes:
        out, _ = process.communicate(timeout=1800)
        assert process.returncode == 0, f"a worker failed: {out[-2000:]}"
        outcomes.extend(json.loads(out))
    elapsed = time.monotonic() - started
    return {
        **check(url, outcomes),
        "workers": workers,
        "fires_each": fires,
        "mode": mode,
        "seconds": round(elapsed, 1),
    }


def check(url: str, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Assert the history is exactly what the workers were told; return the counts."""
    with Tracker.open(url) as tracker:
        entries = [e for e in tracker.history() if e.item in KEYS]
        report = tracker.verify()
        final = {key: tracker.get(key) for key in KEYS}
    fires = [e for e in entries if e.trigger != "create"]
    by_tag = Counter(e.source for e in fires)
    won = [o for o in outcomes if o["code"] == 0]
    lost = [o for o in outcomes if o["code"] != 0]
    assert all(by_tag[o["tag"]] == 1 for o in won), "a successful fire is missing or doubled"
    assert all(by_tag[o["tag"]] == 0 for o in lost), "a failed fire left an entry"
    assert len(fires) == len(won), "history has fires nobody was told succeeded"
    for key in KEYS:
        chain = sorted((e for e in entries if e.item == key), key=lambda e: e.version)
        versions = [e.version for e in chain]
        assert versions == list(range(1, len(chain) + 1)), f"{key}: versions {versions[:10]}…"
        for previous, entry in itertools.pairwise(chain):
            assert entry.from_state == previous.to_state, f"{key} v{entry.version} is bent"
        assert final[key].version == len(chain) and final[key].state == chain[-1].to_state
    assert report.ok, report.problems[:3]
    expect_codes = Counter(o["code"] for o in outcomes if o["expect"])
    free_codes = Counter(o["code"] for o in outcomes if not o["expect"])
    assert set(expect_codes) <= {0, 5}, f"expect-state losers must get 5: {expect_codes}"
    assert set(free_codes) <= {0, 4}, f"busy must be retried: {free_codes}"
    return {
        "attempts": len(outcomes),
        "succeeded": len(won),
        "expect_state_conflicts_exit_5": expect_codes[5],
        "no_expect_not_allowed_exit_4": free_codes[4],
        "busy_retries": sum(o["tries"] - 1 for o in outcomes),
        "history_entries_checked": len(entries),
        "verify_ok": report.ok,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--fires", type=int, default=500)
    parser.add_argument("--mode", choices=["api", "cli"], default="cli")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--exe", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        if args.mode == "api":
            done = api_worker(args.db, args.worker, args.fires)
        else:
            done = cli_worker(args.db, args.worker, args.fires, args.exe)
        print(json.dumps(done))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'torture.db'}"
        print(json.dumps(run(url, args.workers, args.fires, args.mode), indent=2))


if __name__ == "__main__":
    main()
