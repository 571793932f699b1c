"""Several processes firing at the same few items, on SQLite and on PostgreSQL: no lost update,
no history row whose from_state is not the previous to_state, and the chains verify.
(The heavy torture test lives in tests/reliability/.)"""

from __future__ import annotations

import multiprocessing
import subprocess
from collections import Counter
from itertools import pairwise

import pytest

from tests.conftest import run_exe
from tracker import Conflict, NotAllowed, Tracker

KEYS = ("ACSA", "DRILLS")
PROCESSES = 4
FIRES = 100

pytestmark = pytest.mark.xdist_group("concurrency")


def fire_alternately(url: str, worker: int, fires: int) -> tuple[list[tuple[str, str]], int]:
    """Fire `fires` times, alternating stall and resume on whatever state the item is in.
    Returns the (key, reason) of every fire that succeeded, and how many lost a race."""
    won: list[tuple[str, str]] = []
    lost = 0
    with Tracker.open(url) as tracker:
        for n in range(fires):
            key = KEYS[n % len(KEYS)]
            state = tracker.get(key).state
            trigger = "resume" if state == "stalled" else "stall"
            reason = f"worker {worker} fire {n}"
            # Every other fire insists on the state it read (--expect-state).
            expect = state if n % 4 >= 2 else None
            try:
                result = tracker.fire(
                    key, trigger, reason=reason, actor=f"w{worker}", expect_state=expect
                )
            except (NotAllowed, Conflict):
                lost += 1  # another process moved the item between our read and our fire
                continue
            if expect is not None:
                assert result.entry.from_state == expect
            won.append((key, reason))
    return won, lost


def test_processes_firing_at_the_same_items(db_url: str) -> None:
    with Tracker.open(db_url) as tracker:
        for key in KEYS:
            tracker.add(key, f"{key} title", "drill")
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        outcomes = pool.starmap(
            fire_alternately, [(db_url, worker, FIRES) for worker in range(PROCESSES)]
        )
    won = [fire for fired, _lost in outcomes for fire in fired]
    assert sum(len(fired) + lost for fired, lost in outcomes) == PROCESSES * FIRES
    assert won, "no fire succeeded at all"
    with Tracker.open(db_url) as tracker:
        recorded = Counter(
            (entry.item, entry.reason)
            for key in KEYS
            for entry in tracker.history(key)
            if entry.trigger != "create"
        )
        # every successful fire is in history exactly once, and nothing else is
        assert recorded == Counter(won)
        for key in KEYS:
            item = tracker.get(key)
            entries = tracker.history(key)
            assert item.version == len(entries)  # no lost update
            assert [e.version for e in entries] == list(range(1, len(entries) + 1))
            for before, after in pairwise(entries):
                assert after.from_state == before.to_state
            assert item.state == entries[-1].to_state
        report = tracker.verify()
        assert report.ok, report.problems


def test_expect_state_losers_get_exit_5(tracker_exe: str, db_url: str) -> None:
    with Tracker.open(db_url) as tracker:
        tracker.add("SAREX", "Search and rescue", "exercise")
    racers = [
        subprocess.Popen(
            [
                tracker_exe,
                "--db",
                db_url,
                "fire",
                "SAREX",
                "resume",
                "--expect-state",
                "proposed",
                "--actor",
                f"racer {n}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(5)
    ]
    finished = [(racer.wait(timeout=120), racer.communicate()) for racer in racers]
    codes = sorted(code for code, _out in finished)
    assert codes == [0, 5, 5, 5, 5], [err for _code, (_out, err) in finished]
    for code, (_out, err) in finished:
        if code == 5:
            assert err.startswith("error: ") and err.count("\n") == 1
    with Tracker.open(db_url) as tracker:
        entries = tracker.history("SAREX")
        assert [e.trigger for e in entries] == ["create", "resume"]
        assert tracker.verify().ok
    # and a losing fire through the console script changes nothing
    again = run_exe(
        tracker_exe,
        "--db",
        db_url,
        "fire",
        "SAREX",
        "stall",
        "--reason",
        "r",
        "--expect-state",
        "proposed",
    )
    assert again.returncode == 5
