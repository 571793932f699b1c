"""`export -o FILE` (issue 9): onto the database it truncated it to 0 bytes (and verify then said
"ok: 0 items"); a failed export replaced the previous backup with a partial file. Now: a
temporary file renamed on success, the database and its journal files refused (also through a
symlink or another spelling of the path)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from tests.reliability.support import one_error_line, run_cli
from tracker import Tracker


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "tracker.db"
    with Tracker.open(str(path)) as opened:
        opened.seed()
    return path


def test_export_never_writes_over_the_database(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "backup.ndjson"
    link.symlink_to(database)
    monkeypatch.chdir(database.parent)
    before = database.read_bytes()
    targets = [
        str(database),
        f"{database}-wal",
        f"{database}-shm",
        f"{database}-journal",
        "tracker.db",
        "../data/./tracker.db",
        str(link),
    ]
    for target in targets:
        result = run_cli("--db", str(database), "export", "-o", target)
        assert result.code == 2, target
        assert "is the database" in one_error_line(result.err)
    assert database.read_bytes() == before
    assert link.is_symlink()
    with Tracker.open(str(database)) as opened:
        assert opened.verify().items == 4


def _small_files() -> None:
    """In the child: files may not grow past 64 KiB, and a write past it fails (EFBIG)
    instead of killing the process (SIGXFSZ ignored)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_an_export_the_file_system_refuses_keeps_the_previous_backup(
    pg_url: str, tmp_path: Path, tracker_exe: str
) -> None:
    """A real write failure in a real process (PostgreSQL: the database writes no local file)."""
    with Tracker.open(pg_url) as opened:
        opened.apply(
            [{"op": "add", "key": f"K{n}", "title": "t" * 400, "kind": "drill"} for n in range(300)]
        )
    backup = tmp_path / "backup.ndjson"
    backup.write_text("the previous backup\n")
    result = subprocess.run(
        [tracker_exe, "--db", pg_url, "export", "-o", str(backup)],
        capture_output=True,
        text=True,
        preexec_fn=_small_files,
        env=os.environ,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "File too large" in one_error_line(result.stderr)
    assert backup.read_text() == "the previous backup\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.ndjson"]
    assert run_cli("--db", pg_url, "export", "-o", str(backup)).code == 0
    assert backup.read_text().count("\n") == 1 + 300 + 300  # header, items, entries
