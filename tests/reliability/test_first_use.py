"""Concurrent first use (issue 9): several `tracker init` at once on a database nobody has
created yet. On PostgreSQL the losers got exit 6 (duplicate pg_type) in 4 of 5 runs; on SQLite
`init --seed` gave exit 5 in 1 of 8. Every process must exit 0, with one schema and one set of
seed items."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tracker import Tracker


def at_once(exe: str, url: str, count: int, *args: str) -> list[tuple[int, str]]:
    """Start `count` real processes of `tracker --db URL ARGS` together; their exit codes
    and stderr."""
    processes = [
        subprocess.Popen(
            [exe, "--db", url, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ,
        )
        for _ in range(count)
    ]
    return [
        (process.wait(timeout=120), process.stderr.read())
        for process in processes
        if process.stderr
    ]


@pytest.mark.parametrize("run", range(2))
def test_four_inits_at_once_on_a_new_postgresql_schema(
    pg_url: str, tracker_exe: str, run: int
) -> None:
    del run
    outcomes = at_once(tracker_exe, pg_url, 4, "init")
    assert outcomes == [(0, "")] * 4
    with Tracker.open(pg_url) as opened:
        assert opened.count() == {} and opened.verify().ok


@pytest.mark.parametrize("run", range(1))
def test_eight_seeding_inits_at_once_on_a_new_sqlite_file(
    tmp_path: Path, tracker_exe: str, run: int
) -> None:
    del run
    url = f"sqlite:///{tmp_path / 'new.db'}"
    outcomes = at_once(tracker_exe, url, 8, "init", "--seed")
    assert outcomes == [(0, "")] * 8
    with Tracker.open(url) as opened:
        report = opened.verify()
        assert report.ok and report.items == 4
