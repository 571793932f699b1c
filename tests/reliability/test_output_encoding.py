"""Output on a stdout that is not UTF-8 (a latin-1 or ASCII locale): every command writes its
output as UTF-8 instead of failing with exit 1 on the first character it cannot encode."""

from __future__ import annotations

import json
import os
import subprocess

import pytest


def _run(exe: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [exe, *args], capture_output=True, env={**os.environ, **env}, timeout=120, check=False
    )


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_non_ascii_output_on_a_non_utf8_stdout(
    tracker_exe: str, sqlite_url: str, encoding: str
) -> None:
    env = {"PYTHONIOENCODING": encoding, "TRACKER_DB": sqlite_url}
    title = "Übung 訓練"
    added = _run(tracker_exe, "add", "ARG", "--title", title, "--kind", "drill", env=env)
    assert added.returncode == 0, added.stderr
    noted = _run(tracker_exe, "comment", "ARG", title, env=env)
    assert noted.returncode == 0, noted.stderr
    for args in (
        ("list",),
        ("show", "arg"),
        ("list", "--format", "json"),
        ("history", "--format", "ndjson"),
        ("list", "--format", "csv"),
    ):
        done = _run(tracker_exe, *args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        assert "Übung" in done.stdout.decode("utf-8"), args  # tables may cut the rest
    listed = _run(tracker_exe, "list", "--format", "json", env=env)
    assert json.loads(listed.stdout.decode("utf-8"))[0]["title"] == title


def test_an_error_line_on_an_ascii_stderr_is_escaped_not_a_crash(
    tracker_exe: str, sqlite_url: str
) -> None:
    done = _run(
        tracker_exe, "show", "訓練", env={"PYTHONIOENCODING": "ascii", "TRACKER_DB": sqlite_url}
    )
    assert done.returncode in (2, 3)
    text = done.stderr.decode("ascii")
    assert text.startswith("error: ")
    assert len(text.strip().splitlines()) == 1
