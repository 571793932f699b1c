"""Faults of the world around the tracker. Each gives one `error:` line and its exit code,
and leaves the database as it was (compared as a full export before and after)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event

import tracker.service
from tests.conftest import run_exe
from tests.reliability.support import history_held, one_error_line, run_cli, snapshot
from tracker import Tracker


@pytest.fixture
def seeded_file(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.db"
    with Tracker.open(str(path)) as opened:
        opened.seed()
    return path


def test_read_only_sqlite_database(seeded_file: Path, tracker_exe: str) -> None:
    before = snapshot(str(seeded_file))
    read_only = f"sqlite:///file:{seeded_file}?mode=ro&uri=true"
    listed = run_exe(tracker_exe, "--db", read_only, "list")
    assert listed.returncode == 0 and "ACSA" in listed.stdout
    fired = run_exe(tracker_exe, "--db", read_only, "fire", "ACSA", "resume")
    assert fired.returncode == 6
    assert "readonly database" in one_error_line(fired.stderr)
    assert snapshot(str(seeded_file)) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
def test_read_only_sqlite_file_permissions(seeded_file: Path, tracker_exe: str) -> None:
    before = snapshot(str(seeded_file))
    for path in [seeded_file, *seeded_file.parent.glob("tracker.db-*")]:
        path.chmod(0o444)
    seeded_file.parent.chmod(0o555)
    try:
        fired = run_exe(tracker_exe, "--db", str(seeded_file), "fire", "ACSA", "resume")
        assert fired.returncode == 6
        one_error_line(fired.stderr)
    finally:
        seeded_file.parent.chmod(0o755)
        seeded_file.chmod(0o644)
    assert snapshot(str(seeded_file)) == before


def test_disk_full_sqlite(
    seeded_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's max_page_count stands in for a full disk: the file cannot grow."""
    before = snapshot(str(seeded_file))
    real_make_engine = tracker.service.make_engine

    def capped(url: str) -> Engine:
        engine = real_make_engine(url)

        @event.listens_for(engine, "connect")
        def _cap(dbapi_connection: Any, _record: Any) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

        return engine

    monkeypatch.setattr(tracker.service, "make_engine", capped)
    batch = tmp_path / "big.ndjson"
    batch.write_text(
        "".join(
            json.dumps(
                {
                    "op": "add",
                    "key": f"BIG{n}",
                    "title": "t",
                    "kind": "k",
                    "description": "x" * 20_000,
                }
            )
            + "\n"
            for n in range(50)
        )
    )
    result = run_cli("--db", str(seeded_file), "apply", str(batch))
    assert result.code == 6
    assert "database or disk is full" in one_error_line(result.err)
    monkeypatch.undo()
    assert snapshot(str(seeded_file)) == before


def test_sqlite_locked_past_the_busy_timeout(seeded_file: Path, tracker_exe: str) -> None:
    before = snapshot(str(seeded_file))
    holder = sqlite3.connect(seeded_file, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        started = time.monotonic()
        fired = run_exe(
            tracker_exe,
            "--db",
            str(seeded_file),
            "fire",
            "ACSA",
            "resume",
            env={"TRACKER_BUSY_TIMEOUT_MS": "300"},
        )
        waited = time.monotonic() - started
        assert fired.returncode == 5
        assert "database is busy" in one_error_line(fired.stderr)
        listed = run_exe(tracker_exe, "--db", str(seeded_file), "list")
        assert listed.returncode == 0  # readers are not blocked by a writer (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert waited >= 0.3
    assert snapshot(str(seeded_file)) == before


def test_sqlite_locked_even_for_readers(seeded_file: Path, tracker_exe: str) -> None:
    """A rollback-journal writer mid-commit (EXCLUSIVE) shuts readers out too: opening the
    database then fails after the busy timeout with the same exit code as a write."""
    before = snapshot(str(seeded_file))
    holder = sqlite3.connect(seeded_file, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode = DELETE")
        holder.execute("BEGIN EXCLUSIVE")
        listed = run_exe(
            tracker_exe, "--db", str(seeded_file), "list", env={"TRACKER_BUSY_TIMEOUT_MS": "300"}
        )
        assert listed.returncode == 5
        assert "database is busy" in one_error_line(listed.stderr)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(str(seeded_file)) == before


def test_postgresql_connection_killed_mid_transaction(
    pg_url: str, pg_admin: psycopg.Connection, tracker_exe: str
) -> None:
    """The tracker has updated the item and waits to write its history entry (another
    transaction holds a lock on history); its backend is then terminated. The error is the
    server's reason, and nothing is written."""
    with Tracker.open(pg_url) as opened:
        opened.seed()
        acsa = opened.get("ACSA")
    before = snapshot(pg_url)
    with history_held(pg_url) as writer:
        process = subprocess.Popen(
            [tracker_exe, "--db", pg_url, "fire", "ACSA", "resume"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        pg_admin.execute("SELECT pg_terminate_backend(%s)", (writer(),))
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 6
    assert "terminating connection due to administrator command" in one_error_line(err)
    assert snapshot(pg_url) == before
    with Tracker.open(pg_url) as opened:
        assert opened.get("ACSA").version == acsa.version
        assert opened.verify().ok


def test_postgresql_server_down(tracker_exe: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://tracker:secret@127.0.0.1:{port}/tracker"
    result = run_exe(tracker_exe, "--db", url, "list")
    assert result.returncode == 6
    line = one_error_line(result.stderr)
    assert "Connection refused" in line
    assert "secret" not in line  # the password is hidden


def test_a_file_that_is_not_a_database(tmp_path: Path, tracker_exe: str) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    result = run_exe(tracker_exe, "--db", str(path), "list")
    assert result.returncode == 6
    assert "not a database" in one_error_line(result.stderr)
    assert path.read_bytes() == b"these are my notes, not a database\n" * 200
