"""NDJSON lines end at "\n" only (issue 9): a U+2028 in a reason made an export unrestorable
("line 6: bad JSON: Unterminated string") because lines were split with str.splitlines(),
which also ends a line at U+2028, U+2029, U+0085, \r, \x1c-\x1e, \x0b and \x0c."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.reliability.support import one_error_line, run_cli
from tracker import UsageError
from tracker.formats.batchfile import parse

# What str.splitlines() splits at besides "\n".
SPLITLINES = ["\u2028", "\u2029", "\u0085", "\r", "\x1c", "\x1d", "\x1e", "\x0b", "\x0c"]
# The ones a multi-line text field (reason, description) accepts.
STORED = "before\u2028line\u2029paragraph"


def test_separators_in_text_survive_export_import_and_apply(
    cli: CLI, another_db: Callable[[], str], tmp_path: Path
) -> None:
    assert cli("add", "K", "--title", "t", "--kind", "drill", "--description", STORED).code == 0
    assert cli("comment", "K", STORED).code == 0
    batch = tmp_path / "batch.ndjson"
    with batch.open("w", encoding="utf-8", newline="") as out:
        for op in (
            {"op": "fire", "key": "K", "trigger": "stall", "reason": STORED},
            {"op": "edit", "key": "K", "description": STORED + "!", "reason": STORED},
        ):
            out.write(json.dumps(op, ensure_ascii=False) + "\n")
    assert STORED in batch.read_text("utf-8")  # raw in the file, not escaped
    applied = cli("apply", str(batch))
    assert applied.code == 0, applied.err
    history = json.loads(cli("history", "K", "--format", "json").out)
    assert [entry["reason"] for entry in history[1:3]] == [STORED] * 2
    shown = json.loads(cli("show", "K", "--format", "json").out)
    assert shown["description"] == STORED + "!"

    backup = tmp_path / "backup.ndjson"
    assert cli("export", "-o", str(backup)).code == 0
    other = another_db()
    imported = run_cli("--db", other, "import", str(backup))
    assert imported.code == 0, imported.err
    again = tmp_path / "again.ndjson"
    assert run_cli("--db", other, "export", "-o", str(again)).code == 0
    assert again.read_bytes() == backup.read_bytes()


@pytest.mark.parametrize("char", SPLITLINES)
def test_an_ndjson_line_ends_at_newline_only(char: str) -> None:
    first = '{"op": "comment", "key": "K", "reason": "a' + char + 'b"}'
    second = '{"op": "comment", "key": "K", "reason": "c"}'
    text = f"{first}\n{second}\n"
    if char >= " ":  # a JSON string may hold it as it is
        ops = parse(text)
        assert [op.line for op in ops] == [1, 2]
        assert ops[0].reason == f"a{char}b"
    else:  # JSON wants it escaped: the error is that, on line 1, not a string cut short
        with pytest.raises(UsageError, match=r"^line 1: bad JSON: Invalid control character"):
            parse(text)
    escaped = json.dumps({"op": "comment", "key": "K", "reason": f"a{char}b"})
    assert parse(f"{escaped}\n{second}")[0].reason == f"a{char}b"


@pytest.mark.parametrize("char", ["\u2028", "\x1c"])
def test_a_line_of_only_a_separator_is_not_blank(char: str) -> None:
    with pytest.raises(UsageError, match=r"^line 2: bad JSON"):
        parse('{"op": "comment", "key": "K", "reason": "c"}\n' + char + "\n")


def test_a_control_character_in_an_export_line_is_named_on_its_line(
    cli: CLI, another_db: Callable[[], str], tmp_path: Path
) -> None:
    """A raw U+0085 inside a reason: the import names the field and the line it is on."""
    assert cli("add", "K", "--title", "t", "--kind", "drill").code == 0
    assert cli("comment", "K", "marker").code == 0
    backup = tmp_path / "backup.ndjson"
    assert cli("export", "-o", str(backup)).code == 0
    lines = backup.read_text("utf-8").split("\n")
    number = next(n for n, line in enumerate(lines, start=1) if "marker" in line)
    backup.write_text("\n".join(lines).replace("marker", "mar\u0085ker"), "utf-8")
    result = run_cli("--db", another_db(), "import", str(backup))
    assert result.code == 2
    assert f"line {number}: reason contains a control character" in one_error_line(result.err)


def test_export_to_a_stdout_that_is_not_utf8(sqlite_url: str, tracker_exe: str) -> None:
    """NDJSON is UTF-8 whatever the locale: a latin-1 stdout failed (exit 1) at U+2028."""
    from tests.conftest import run_exe

    assert run_exe(tracker_exe, "--db", sqlite_url, "comment", "X", "x").returncode == 3
    run_exe(tracker_exe, "--db", sqlite_url, "add", "X", "--title", "t", "--kind", "drill")
    assert run_exe(tracker_exe, "--db", sqlite_url, "comment", "X", STORED).returncode == 0
    exported = run_exe(
        tracker_exe, "--db", sqlite_url, "export", env={"PYTHONIOENCODING": "latin-1"}
    )
    assert exported.returncode == 0, exported.stderr
    assert STORED in exported.stdout  # run_exe decodes it as UTF-8
