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


def _run_shell(line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", line],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", ["--version", "list", "list --format json", "history --format csv", "export"]
)
def test_a_full_stdout_is_one_error_line_not_an_unexpected_failure(
    tracker_exe: str, sqlite_url: str, args: str
) -> None:
    """stdout on a full disk was exit 1, `error: unexpected OSError: [Errno 28] ...`: exit 1
    says the tracker has a bug. A full disk is the environment: exit 2 and one line."""
    env = {"TRACKER_DB": sqlite_url}
    assert _run(tracker_exe, "init", "--seed", env=env).returncode == 0
    done = _run_shell(f"'{tracker_exe}' {args} > /dev/full", env)
    assert done.returncode == 2, done
    assert done.stderr.startswith("error: cannot write the output: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize("args", ["list", "add X --title t --kind drill"])
def test_a_closed_stdout_is_refused_before_anything_is_written(
    tracker_exe: str, sqlite_url: str, args: str
) -> None:
    """`tracker list >&-` ended in a traceback (sys.stdout is None)."""
    env = {"TRACKER_DB": sqlite_url}
    assert _run(tracker_exe, "init", env=env).returncode == 0
    done = _run_shell(f"'{tracker_exe}' {args} >&-", env)
    assert done.returncode == 2, done
    assert done.stderr == "error: standard output is closed\n", done.stderr
    listed = _run(tracker_exe, "list", "--format", "json", env=env)
    assert json.loads(listed.stdout) == []


@pytest.mark.parametrize("command", ["apply -", "import -"])
def test_a_closed_stdin_is_a_usage_error(tracker_exe: str, sqlite_url: str, command: str) -> None:
    """`tracker apply - <&-` was exit 1, `unexpected AttributeError: 'NoneType' object has no
    attribute 'buffer'`."""
    env = {"TRACKER_DB": sqlite_url}
    done = _run_shell(f"'{tracker_exe}' {command} <&-", env)
    assert done.returncode == 2, done
    assert done.stderr == "error: cannot read -: standard input is closed\n", done.stderr


@pytest.mark.parametrize("args", ["list", "history", "list --format csv", "export"])
def test_a_reader_that_stops_early_is_not_a_failure(
    tracker_exe: str, sqlite_url: str, args: str
) -> None:
    """`tracker list | head -1` was exit 1 (Rich's own broken pipe handling: SystemExit(1)),
    which says the tracker has a bug; every other output said 0. With pipefail a script
    stopped there. Now 0 and nothing on stderr, like `export | head -1`."""
    env = {"TRACKER_DB": sqlite_url}
    ops = "\n".join(
        json.dumps({"op": "add", "key": f"K{n}", "title": "t", "kind": "drill"})
        for n in range(3000)
    )
    done = subprocess.run(
        [tracker_exe, "apply", "-"],
        input=ops,
        text=True,
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    piped = subprocess.run(
        ["bash", "-c", f"set -o pipefail; '{tracker_exe}' {args} | head -c 10 > /dev/null"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0, piped
    assert piped.stderr == "", piped.stderr
