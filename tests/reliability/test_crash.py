"""Crash safety: a process killed (SIGKILL: no cleanup, no rollback of its own) in the middle
of a large `apply` leaves the batch there entirely or not at all, and verify passes."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import run_exe
from tests.reliability.support import history_held
from tracker import Tracker

ITEMS = 10_000


def big_batch(path: Path) -> Path:
    with path.open("w") as out:
        for n in range(ITEMS):
            out.write(
                json.dumps(
                    {
                        "op": "add",
                        "key": f"BIG{n}",
                        "title": f"Item {n}",
                        "kind": "exercise",
                        "description": "d" * 1000,
                    }
                )
                + "\n"
            )
            out.write(json.dumps({"op": "fire", "key": f"BIG{n}", "trigger": "resume"}) + "\n")
    return path


def wal_growing(tmp_path: Path) -> bool:
    """Whether a SQLite apply has begun writing rows (and not finished): its WAL is growing."""
    wal = tmp_path / "tracker.db-wal"
    return wal.exists() and wal.stat().st_size > 2_000_000


def pg_writers(db_url: str) -> int:
    """How many other backends of `db_url`'s database hold a transaction id (have written)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def counts(db_url: str) -> tuple[int, tuple[int, int, int, str]]:
    with Tracker.open(db_url) as tracker:
        return sum(tracker.count().values()), tracker.last_change()


@pytest.mark.xdist_group("torture")
def test_sigkill_in_the_middle_of_a_large_apply(
    db_url: str, tmp_path: Path, tracker_exe: str
) -> None:
    with Tracker.open(db_url) as tracker:
        tracker.seed()
    before = counts(db_url)
    batch = big_batch(tmp_path / "batch.ndjson")

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [tracker_exe, "--db", db_url, "apply", str(batch)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    if db_url.startswith("sqlite"):
        process = start()
        deadline = time.monotonic() + 60
        while not wal_growing(tmp_path):
            assert process.poll() is None, "the apply finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        process.kill()
        assert process.wait() == -9
    else:
        # The PostgreSQL batch writes the items, then the history, each by COPY (fast: no
        # window to aim at): it is killed with its items written and its history waiting on
        # a lock held here.
        with history_held(db_url) as writer:
            process = start()
            writer()
            process.kill()
            assert process.wait() == -9
        _wait_for_backends_to_go(db_url)

    with Tracker.open(db_url) as tracker:
        after = sum(tracker.count().values()), len(tracker.history())
        assert after in [(4, 10), (4 + ITEMS, 10 + 2 * ITEMS)]  # all or nothing
        assert tracker.verify().ok
    if after != (4, 10):
        return  # the kill landed just after the commit: all of it, verified
    assert counts(db_url) == before

    again = run_exe(tracker_exe, "--db", db_url, "apply", str(batch))
    assert again.returncode == 0, again.stderr
    with Tracker.open(db_url) as tracker:
        assert sum(tracker.count().values()) == 4 + ITEMS
        assert tracker.count()["resumed"] == 2 + ITEMS
        report = tracker.verify()
        assert report.ok and report.entries == 10 + 2 * ITEMS


def _wait_for_backends_to_go(db_url: str) -> None:
    """A killed client's backend ends its statement, sees the socket closed, rolls back."""
    deadline = time.monotonic() + 30
    while pg_writers(db_url) and time.monotonic() < deadline:
        time.sleep(0.05)
