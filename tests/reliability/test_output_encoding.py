"""Output on a stdout that is not UTF-8 (a latin-1 or ASCII locale): every command writes its
output as UTF-8 instead of failing with exit 1 on the first character it cannot encode."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_exe


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_non_ascii_output_on_a_non_utf8_stdout(
    tracker_exe: str, sqlite_url: str, encoding: str
) -> None:
    env = {"PYTHONIOENCODING": encoding, "TRACKER_DB": sqlite_url}
    added = run_exe(tracker_exe, "add", "ÄRG", "--title", "Übung 訓練", "--kind", "drill", env=env)
    assert added.returncode == 0, added.stderr
    for args in (
        ("list",),
        ("show", "ärg"),
        ("list", "--format", "json"),
        ("history", "--format", "ndjson"),
        ("list", "--format", "csv"),
    ):
        done = run_exe(tracker_exe, *args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        assert "Übung 訓練" in done.stdout, args
    listed = run_exe(tracker_exe, "list", "--format", "json", env=env)
    assert json.loads(listed.stdout)[0]["title"] == "Übung 訓練"


def test_an_error_line_on_an_ascii_stderr_is_escaped_not_a_crash(
    tracker_exe: str, sqlite_url: str
) -> None:
    done = run_exe(
        tracker_exe, "show", "訓練", env={"PYTHONIOENCODING": "ascii", "TRACKER_DB": sqlite_url}
    )
    assert done.returncode == 3
    assert done.stderr.startswith("error: ")
    assert len(done.stderr.strip().splitlines()) == 1
