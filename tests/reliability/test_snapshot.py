"""Export and verify read one consistent snapshot while other processes write (issue 9):
an export taken under load imports (its header counts match its lines) and verify passes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tracker import Tracker

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 400


@pytest.fixture
def busy(db_url: str, tmp_path: Path) -> Iterator[str]:
    """`db_url` with ITEMS items and a writer process adding and firing until the test ends."""
    with Tracker.open(db_url) as tracker:
        tracker.apply(
            [
                {"op": "add", "key": f"K{n}", "title": f"Item {n}", "kind": "drill"}
                for n in range(ITEMS)
            ]
            + [{"op": "fire", "key": f"K{n}", "trigger": "resume"} for n in range(0, ITEMS, 2)]
        )
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.writer", db_url, str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout is not None
    try:
        assert writer.stdout.readline().strip() == "ready"
        yield db_url
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert int(out.split()[-1]) > 1  # it kept writing while the test read


def test_export_under_writes_imports(busy: str, another_db: Callable[[], str]) -> None:
    with Tracker.open(busy) as tracker:
        for _ in range(2):
            out = io.StringIO()
            n_items, n_entries = tracker.export(out)
            with Tracker.open(another_db()) as restored:
                assert restored.import_(out.getvalue().split("\n")) == (n_items, n_entries)


@pytest.mark.parametrize(
    ("split_from", "runs"), [(10**9, 2), (1, 1)], ids=["one-process", "two-processes"]
)
def test_verify_under_writes_passes(busy: str, split_from: int, runs: int) -> None:
    with Tracker.open(busy) as tracker:
        for _ in range(runs):
            report = tracker.verify(split_from=split_from)
            assert report.ok, report.problems[:3]
            assert report.items >= ITEMS


def test_split_verify_reads_one_snapshot(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both processes of a split verify read the snapshot the verify began with: writes
    committed before the child starts (an edit of a title, a comment) are not in the report,
    and no item's fields are compared with entries of another moment."""
    with Tracker.open(db_url) as tracker:
        tracker.seed()
        before = tracker.verify()
        start = subprocess.Popen
        written: list[str] = []

        def write(*_: Any) -> None:
            if not written:
                with Tracker.open(db_url) as other:
                    title = f"Edited while verify runs ({len(before.problems) + before.entries})"
                    other.edit("ACSA", title=title, reason="test")
                    other.comment("REFUEL", "written while verify runs")
                written.append("done")

        def start_after_a_write(*args: Any, **kwargs: Any) -> Any:
            write()
            return start(*args, **kwargs)

        monkeypatch.setattr(subprocess, "Popen", start_after_a_write)
        during = tracker.verify(split_from=1)
        assert during == before and during.ok
        # The same, the writes coming after this process has read the items (as it reports
        # progress) and before the child, still starting its interpreter, reads anything.
        written.clear()
        monkeypatch.undo()
        before = tracker.verify()
        during = tracker.verify(split_from=1, progress=write)
        assert during == before and during.ok, during.problems
        after = tracker.verify()
        assert after.ok and after.entries == before.entries + 2
