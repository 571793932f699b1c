"""The CLI through its entry point, as a script uses it: commands, formats, exit codes, errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import CLI, Result, run_exe
from tests.test_mermaid import parse
from tracker import Tracker, UsageError
from tracker.cli.app import cli as root_command
from tracker.cli.app import run

ITEM_KEYS = [
    "key",
    "title",
    "kind",
    "parties",
    "state",
    "version",
    "description",
    "created_at",
    "updated_at",
    "allowed_triggers",
]
ENTRY_KEYS = [
    "id",
    "item",
    "trigger",
    "from_state",
    "to_state",
    "occurred_at",
    "recorded_at",
    "actor",
    "reason",
    "source",
    "hash",
]


@pytest.fixture
def seeded_cli(cli: CLI) -> CLI:
    result = cli("init", "--seed")
    assert result.code == 0, result.err
    assert "4 seeded" in result.out
    return cli


def ok(result: Result) -> Result:
    assert result.code == 0, result.err
    assert result.err == ""
    return result


def assert_error(result: Result, code: int, *words: str) -> None:
    """Exactly one `error:` line on stderr, no traceback, the documented exit code."""
    assert result.code == code, (result.code, result.err)
    assert result.err.startswith("error: ")
    assert result.err.count("\n") == 1 and result.err.endswith("\n")
    assert "Traceback" not in result.err + result.out
    for word in words:
        assert word in result.err


def export(cli: CLI) -> str:
    return ok(cli("export")).out


# -- every command ----------------------------------------------------------------------------


def test_init_is_idempotent(seeded_cli: CLI) -> None:
    again = ok(seeded_cli("init", "--seed"))
    assert "(4 items, 0 seeded)" in again.out
    assert "(4 items)" in ok(seeded_cli("init")).out


def test_init_shows_the_url_without_its_password(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_url.replace("postgres@", "postgres:s3cret@", 1)  # trust auth ignores it
    assert run(["--db", url, "init"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("database ready: postgresql+psycopg://postgres:***@")
    assert "s3cret" not in out


def test_add_list_show(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    added = ok(
        cli(
            "add",
            "GSOMIA",
            "--title",
            "Intelligence pact",
            "--kind",
            "agreement",
            "--party",
            "ROK",
            "--party",
            "jpn",
            "--at",
            "2016-11-23",
            "--source",
            "Yonhap",
        )
    )
    assert added.out == "added GSOMIA (proposed)\n"
    table = ok(cli("list")).out
    assert "GSOMIA" in table and "Intelligence pact" in table and "ROK JPN" in table
    shown = ok(cli("show", "gsomia")).out
    assert "GSOMIA" in shown and "allowed_triggers" in shown and "create" in shown
    data = json.loads(ok(cli("show", "GSOMIA", "--format", "json")).out)
    assert list(data) == [*ITEM_KEYS, "history", "pending"]
    assert [list(e) for e in data["history"]] == [ENTRY_KEYS]
    assert data["history"][0]["source"] == "Yonhap"


def test_fire_comment_edit_history_as_of(seeded_cli: CLI) -> None:
    cli = seeded_cli
    fired = ok(cli("fire", "ACSA", "resume", "--reason", "summit", "--source", "Nikkei"))
    assert fired.out == "ACSA: fired resume: stalled -> resumed\n"
    ok(cli("comment", "ACSA", "Seoul asks for time", "--actor", "desk"))
    assert ok(cli("edit", "ACSA", "--title", "ACSA talks")).out == "edited ACSA\n"
    entries = json.loads(ok(cli("history", "ACSA", "--format", "json")).out)
    assert [e["trigger"] for e in entries] == ["create", "stall", "resume", "comment", "edit"]
    assert entries[3]["actor"] == "desk"
    assert entries[2]["source"] == "Nikkei"
    states = json.loads(ok(cli("as-of", "2025-12-01", "--format", "json")).out)
    assert {s["key"]: s["state"] for s in states} == {
        "DRILLS": "suspended",
        "REFUEL": "suspended",
        "SAREX": "stalled",
    }
    assert "DRILLS" in ok(cli("as-of", "2025-12-01")).out


def test_fire_several_keys_is_one_batch(seeded_cli: CLI) -> None:
    cli = seeded_cli
    before = export(cli)
    assert_error(cli("fire", "SAREX", "DRILLS", "resume"), 4, "SAREX", "cannot resume")
    assert export(cli) == before
    out = ok(cli("fire", "SAREX", "REFUEL", "stall", "--reason", "budget")).out
    assert out.splitlines() == [
        "SAREX: fired stall: resumed -> stalled",
        "REFUEL: fired stall: resumed -> stalled",
    ]


def test_fire_dry_run_and_json(seeded_cli: CLI) -> None:
    cli = seeded_cli
    before = export(cli)
    out = ok(cli("fire", "DRILLS", "resume", "--dry-run")).out
    assert out == "DRILLS: would fire resume: suspended -> resumed\n"
    data = json.loads(ok(cli("fire", "DRILLS", "resume", "--dry-run", "--format", "json")).out)
    assert [list(r) for r in data] == [["item", "entry", "dry_run"]]
    assert list(data[0]["item"]) == ITEM_KEYS
    assert list(data[0]["entry"]) == ENTRY_KEYS
    assert data[0]["dry_run"] is True
    assert export(cli) == before
    data = json.loads(ok(cli("fire", "DRILLS", "resume", "--format", "json")).out)
    assert data[0]["entry"]["id"] > 0 and data[0]["item"]["state"] == "resumed"


def test_apply_from_stdin_and_file(seeded_cli: CLI, tmp_path: Path) -> None:
    cli = seeded_cli
    batch = (
        '{"op":"add","key":"NEW","title":"New","kind":"drill"}\n'
        '{"op":"fire","key":"NEW","trigger":"resume"}\n'
    )
    dry = ok(cli("apply", "-", "--dry-run", stdin=batch)).out
    assert dry == "would apply 2 operations: 1 added, 1 fired, 0 commented, 0 edited\n"
    assert_error(cli("show", "NEW"), 3)
    done = ok(cli("apply", "-", "--format", "json", stdin=batch)).out
    assert json.loads(done) == {
        "added": 1,
        "fired": 1,
        "commented": 0,
        "edited": 0,
        "approved": 0,
        "withdrawn": 0,
        "dry_run": False,
        "keys": ["NEW"],
    }
    path = tmp_path / "batch.yaml"
    path.write_text("- op: fire\n  key: NEW\n  trigger: stall\n  reason: waiting\n")
    assert "1 fired" in ok(cli("apply", str(path))).out
    assert json.loads(ok(cli("show", "NEW", "--format", "json")).out)["state"] == "stalled"


def test_apply_empty_batch_changes_nothing(seeded_cli: CLI, tmp_path: Path) -> None:
    cli = seeded_cli
    before = export(cli)
    empty = tmp_path / "empty.json"
    empty.write_text("")
    out = ok(cli("apply", str(empty))).out
    assert out == "applied 0 operations: 0 added, 0 fired, 0 commented, 0 edited\n"
    assert ok(cli("apply", "-", stdin="[]")).out.startswith("applied 0 operations")
    assert export(cli) == before


def test_export_import_verify(seeded_cli: CLI, tmp_path: Path) -> None:
    cli = seeded_cli
    path = tmp_path / "backup.ndjson"
    ok(cli("export", "-o", str(path)))
    assert path.read_text() == export(cli)
    assert ok(cli("verify")).out == "ok: 4 items, 10 history entries verified\n"
    report = json.loads(ok(cli("verify", "--format", "json")).out)
    assert report == {"ok": True, "items": 4, "entries": 10, "problems": []}
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    code = run(["--db", target, "import", str(path)])
    assert code == 0
    with Tracker.open(target) as restored:
        out = io.StringIO()
        restored.export(out)
    assert out.getvalue() == path.read_text()


def test_workflow_show_and_list(cli: CLI) -> None:
    text_ = ok(cli("workflow", "show")).out
    assert text_.startswith("workflow default")
    assert "resume -> resumed" in text_
    mermaid = ok(cli("workflow", "show", "agreement", "--format", "mermaid")).out
    assert mermaid.startswith("stateDiagram-v2") and "sign" in mermaid
    listed = ok(cli("workflow", "list")).out
    assert "default:" in listed and "agreement:" in listed


def test_workflow_show_marks_an_items_state(seeded_cli: CLI) -> None:
    out = ok(seeded_cli("workflow", "show", "--key", "drills", "--format", "mermaid")).out
    assert parse(out.rstrip("\n")).current == "suspended"


# -- output formats ---------------------------------------------------------------------------


def test_list_formats_have_the_spec_shapes(seeded_cli: CLI) -> None:
    cli = seeded_cli
    items = json.loads(ok(cli("list", "--format", "json")).out)
    assert [i["key"] for i in items] == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
    assert all(list(i) == ITEM_KEYS for i in items)
    acsa = items[0]
    assert acsa["parties"] == ["ROK", "JPN"] and isinstance(acsa["version"], int)
    assert acsa["allowed_triggers"] == ["propose", "suspend", "resume"]
    lines = ok(cli("list", "--format", "ndjson")).out.splitlines()
    assert [json.loads(line) for line in lines] == items
    rows = list(csv.reader(io.StringIO(ok(cli("list", "--format", "csv")).out)))
    assert rows[0] == ITEM_KEYS
    assert [r[0] for r in rows[1:]] == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
    assert rows[1][ITEM_KEYS.index("parties")] == "ROK JPN"
    assert rows[1][ITEM_KEYS.index("state")] == "stalled"


def test_history_formats_have_the_spec_shapes(seeded_cli: CLI) -> None:
    cli = seeded_cli
    entries = json.loads(ok(cli("history", "--format", "json")).out)
    assert len(entries) == 10
    assert all(list(e) == ENTRY_KEYS for e in entries)
    occurred = [e["occurred_at"] for e in entries]
    assert occurred == sorted(occurred)  # oldest first
    assert entries[0]["from_state"] is None and entries[0]["trigger"] == "create"
    lines = ok(cli("history", "--format", "ndjson")).out.splitlines()
    assert [json.loads(line) for line in lines] == entries
    rows = list(csv.reader(io.StringIO(ok(cli("history", "--format", "csv")).out)))
    assert rows[0] == ENTRY_KEYS
    assert [r[ENTRY_KEYS.index("hash")] for r in rows[1:]] == [e["hash"] for e in entries]
    assert rows[1][ENTRY_KEYS.index("from_state")] == ""


def test_history_filters(seeded_cli: CLI) -> None:
    cli = seeded_cli
    out = ok(cli("history", "--since", "2025-11-01", "--trigger", "suspend", "--format", "ndjson"))
    assert [json.loads(line)["item"] for line in out.out.splitlines()] == ["REFUEL", "DRILLS"]
    out = ok(cli("history", "sarex", "--until", "2017-12-31", "--format", "ndjson"))
    assert [json.loads(line)["trigger"] for line in out.out.splitlines()] == ["create", "stall"]


def test_tables_never_cut_keys_states_or_times(
    seeded_cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    minute = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
    rows = ok(seeded_cli("list")).out.splitlines()[2:]
    assert [row.split()[0] for row in rows] == ["ACSA", "DRILLS", "REFUEL", "SAREX"]
    assert all(minute.search(row) for row in rows), rows
    shown = ok(seeded_cli("show", "ACSA")).out
    assert "2026-01-30 06:00" in shown and "Japan MOD" in shown and "proposed" in shown


def test_table_output_prints_database_text_literally(cli: CLI) -> None:
    ok(cli("add", "ODD", "--title", "[b]x[/b]", "--kind", "drill"))
    out = ok(cli("list")).out
    assert "[b]x[/b]" in out


# -- exit codes and errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["list", "--sort", "bogus"], 2, ["cannot sort by 'bogus'"]),
        (["list", "--format", "xml"], 2, ["--format"]),
        (["history", "--since", "someday"], 2, ["bad date 'someday'"]),
        (["as-of", "31/12/2025"], 2, ["bad date"]),
        (["fire", "ACSA", "resume", "--at", "garbage"], 2, ["bad date 'garbage'"]),
        (["fire", "ACSA", "resume", "--at", "2999-01-01"], 2, ["in the future"]),
        (["fire", "ACSA"], 2, ["KEY and a TRIGGER"]),
        (["add", "NEW", "--kind", "drill"], 2, ["--title"]),
        (["add", "9BAD", "--title", "t", "--kind", "drill"], 2, ["bad key"]),
        (["edit", "ACSA"], 2, ["nothing to change"]),
        (["frobnicate"], 2, ["No such command"]),
        (["apply", "/nonexistent/batch.json"], 2, ["cannot read"]),
        (["apply", "-"], 2, ["line 1"]),
        (["import", "/nonexistent/dump.ndjson"], 2, ["cannot read"]),
        (["show", "ACSA", "--entries", "-1"], 2, ["--entries"]),
        (["show", "NOPE"], 3, ["no item 'NOPE'"]),
        (["history", "NOPE"], 3, ["no item 'NOPE'"]),
        (["fire", "NOPE", "resume"], 3, ["no item 'NOPE'"]),
        (["fire", "ACSA", "explode"], 3, ["no trigger 'explode'"]),
        (["comment", "NOPE", "hello"], 3, ["no item"]),
        (["workflow", "show", "nope"], 3, ["no workflow 'nope'", "default"]),
        (["workflow", "show", "--key", "NOPE"], 3, ["no item"]),
        (["fire", "ACSA", "stall", "--reason", "x"], 4, ["cannot stall from stalled", "resume"]),
        (["fire", "SAREX", "stall"], 4, ["requires reason"]),
        (["fire", "ACSA", "resume", "--at", "2026-01-01"], 4, ["before ACSA's latest entry"]),
        (["fire", "ACSA", "resume", "--expect-state", "proposed"], 5, ["not proposed"]),
        (["add", "acsa", "--title", "t", "--kind", "drill"], 5, ["already exists"]),
    ],
)
def test_errors_are_one_line_with_the_exit_code_and_change_nothing(
    seeded_cli: CLI, args: list[str], code: int, words: list[str]
) -> None:
    before = export(seeded_cli)
    stdin = '{"op":"fire","key":"ACSA","trigger":"resume","mood":"happy"}\n'
    result = seeded_cli(*args, stdin=stdin if args == ["apply", "-"] else None)
    assert_error(result, code, *words)
    assert export(seeded_cli) == before


def test_apply_failure_names_the_line_and_writes_nothing(seeded_cli: CLI) -> None:
    before = export(seeded_cli)
    batch = json.dumps(
        [
            {"op": "fire", "key": "ACSA", "trigger": "resume"},
            {"op": "fire", "key": "DRILLS", "trigger": "stall", "reason": "x"},
        ],
        indent=2,
    )
    result = seeded_cli("apply", "-", stdin=batch)
    assert_error(result, 4, "line 7:", "DRILLS", "cannot stall from suspended")
    assert export(seeded_cli) == before


def test_import_into_non_empty_is_a_conflict_and_merge_is_refused_for_clashes(
    seeded_cli: CLI,
) -> None:
    dumped = export(seeded_cli)
    assert_error(seeded_cli("import", "-", stdin=dumped), 5, "--merge")
    assert_error(seeded_cli("import", "-", "--merge", stdin=dumped), 5, "already in the database")
    assert export(seeded_cli) == dumped


def test_import_of_a_tampered_export_is_exit_7_and_writes_nothing(
    seeded_cli: CLI, tmp_path: Path
) -> None:
    lines = export(seeded_cli).splitlines()
    entry = json.loads(lines[-1])
    entry["reason"] = "a rewritten reason"
    lines[-1] = json.dumps(entry)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    path = tmp_path / "tampered.ndjson"
    path.write_text("\n".join(lines) + "\n")
    code = run(["--db", target, "import", str(path)])
    assert code == 7
    with Tracker.open(target) as restored:
        assert restored.list() == [] and restored.history() == []


def test_verify_after_tampering_exits_7_naming_item_and_entry(seeded_cli: CLI, db_url: str) -> None:
    entries = json.loads(ok(seeded_cli("history", "REFUEL", "--format", "json")).out)
    with Tracker.open(db_url) as tracker, tracker.engine.begin() as conn:
        if tracker.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER history_append_only_update"))
        else:
            conn.execute(text("DROP TRIGGER history_append_only ON history"))
        conn.execute(
            text("UPDATE history SET actor = 'someone else' WHERE id = :id"),
            {"id": entries[1]["id"]},
        )
    result = seeded_cli("verify")
    assert result.code == 7
    assert "REFUEL" in result.out and str(entries[1]["id"]) in result.out
    assert result.err == "error: 1 problem found\n"
    report = json.loads(seeded_cli("verify", "--format", "json").out)
    assert report["ok"] is False
    assert report["problems"] == [
        {
            "item": "REFUEL",
            "entry": entries[1]["id"],
            "message": "hash does not match the entry and the one before it",
        }
    ]


def test_database_unusable_is_exit_6(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some bytes " * 50)
    for url in (str(junk), "postgresql+psycopg://postgres@127.0.0.1:1/nothing"):
        capsys.readouterr()
        code = run(["--db", url, "list"])
        err = capsys.readouterr().err
        assert code == 6, err
        assert err.startswith("error: ") and err.count("\n") == 1
    assert junk.read_bytes() == b"this is not a database, just some bytes " * 50


def test_unexpected_failure_is_exit_1_without_traceback(
    seeded_cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Tracker, "list", broken)
    assert_error(seeded_cli("list"), 1, "unexpected RuntimeError: disk on fire")


def test_error_text_from_input_is_printed_inert(seeded_cli: CLI) -> None:
    result = seeded_cli("show", "NO\x1b[31mPE")
    assert_error(result, 3)
    assert "\x1b" not in result.err


# -- help, database selection -----------------------------------------------------------------


def _commands() -> list[list[str]]:
    found: list[list[str]] = []
    for name, command in root_command.commands.items():  # type: ignore[attr-defined]
        if name == "tui":
            continue
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found.append([name])
            found.extend([name, sub] for sub in subcommands)
        else:
            found.append([name])
    return found


@pytest.mark.parametrize("command", [" ".join(c) for c in _commands()])
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run([*command.split(), "--help"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Example" in out, out
    assert f"tracker {command}" in out


def test_tracker_db_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("TRACKER_DB", f"sqlite:///{path}")
    assert run(["init", "--seed"]) == 0
    assert path.exists()
    capsys.readouterr()
    assert run(["list", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    # --db wins over the environment
    other = tmp_path / "explicit.db"
    assert run(["--db", str(other), "init"]) == 0
    assert other.exists()


def test_bare_path_is_a_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["--db", "sub/dir/team.db", "init", "--seed"]) == 0
    assert (tmp_path / "sub" / "dir" / "team.db").exists()
    assert "sqlite:///" in capsys.readouterr().out


# -- the real console script --------------------------------------------------------------------


def test_console_script_round_trip(tracker_exe: str, tmp_path: Path) -> None:
    db = str(tmp_path / "exe.db")
    done = run_exe(tracker_exe, "--db", db, "init", "--seed")
    assert done.returncode == 0, done.stderr
    listed = run_exe(tracker_exe, "--db", db, "list", "--format", "json")
    assert [i["state"] for i in json.loads(listed.stdout)] == [
        "stalled",
        "suspended",
        "resumed",
        "resumed",
    ]
    refused = run_exe(tracker_exe, "--db", db, "fire", "DRILLS", "stall")
    assert refused.returncode == 4
    assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1
    env_run = run_exe(tracker_exe, "fire", "DRILLS", "resume", env={"TRACKER_DB": db})
    assert env_run.returncode == 0, env_run.stderr
    assert run_exe(tracker_exe, "--db", db, "verify").returncode == 0


def test_console_script_exit_codes(tracker_exe: str, tmp_path: Path) -> None:
    db = str(tmp_path / "codes.db")
    assert run_exe(tracker_exe, "--db", db, "init", "--seed").returncode == 0
    codes = {
        2: ["list", "--sort", "nope"],
        3: ["show", "NOPE"],
        4: ["fire", "ACSA", "stall", "--reason", "again"],
        5: ["fire", "ACSA", "resume", "--expect-state", "resumed"],
    }
    for code, args in codes.items():
        done = run_exe(tracker_exe, "--db", db, *args)
        assert done.returncode == code, (args, done.stderr)
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
        assert done.stdout == ""
    newer = tmp_path / "newer.db"
    assert run_exe(tracker_exe, "--db", str(newer), "init").returncode == 0
    import sqlite3

    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    assert run_exe(tracker_exe, "--db", str(newer), "list").returncode == 6


def test_long_commands_print_no_progress_when_piped(tracker_exe: str, tmp_path: Path) -> None:
    db = str(tmp_path / "quiet.db")
    assert run_exe(tracker_exe, "--db", db, "init", "--seed").returncode == 0
    batch = "\n".join(
        json.dumps({"op": "add", "key": f"K{n}", "title": "t", "kind": "drill"}) for n in range(200)
    )
    applied = run_exe(tracker_exe, "--db", db, "apply", "-", stdin=batch)
    assert (applied.returncode, applied.stderr) == (0, "")
    exported = run_exe(tracker_exe, "--db", db, "export")
    assert (exported.returncode, exported.stderr) == (0, "")
    verified = run_exe(tracker_exe, "--db", db, "verify")
    assert (verified.returncode, verified.stderr) == (0, "")
    target = str(tmp_path / "copy.db")
    imported = run_exe(tracker_exe, "--db", target, "import", "-", stdin=exported.stdout)
    assert (imported.returncode, imported.stderr) == (0, "")
    assert imported.stdout == "imported 204 items and 210 history entries\n"


def test_fire_does_not_import_textual_alembic_yaml_cryptography_or_the_orm(
    tmp_path: Path,
) -> None:
    """A fire on SQLite writes on the driver: SQLAlchemy's ORM (a fifth of the process's
    start-up) is not imported either, nor its PostgreSQL dialect (a partial index's WHERE
    declared with the tables loaded it: models.schema())."""
    db = str(tmp_path / "lazy.db")
    assert run(["--db", db, "init", "--seed"]) == 0
    probe = (
        "import sys\n"
        "from tracker.cli.app import run\n"
        f"code = run(['--db', {db!r}, 'fire', 'ACSA', 'resume', '--reason', 'r'])\n"
        "assert code == 0, code\n"
        "heavy = ('textual', 'alembic', 'yaml', 'cryptography', 'sqlalchemy.orm',"
        " 'sqlalchemy.dialects.postgresql')\n"
        "print(','.join(sorted(m for m in heavy if m in sys.modules)) or 'none')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "TRACKER_DB": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "none"


def test_install_completion_writes_the_hook_once(tmp_path: Path, tracker_exe: str) -> None:
    env = {"HOME": str(tmp_path), "SHELL": "/bin/bash"}
    first = run_exe(tracker_exe, "--install-completion", env=env)
    again = run_exe(tracker_exe, "--install-completion", env=env)
    assert first.returncode == again.returncode == 0
    rc = (tmp_path / ".bashrc").read_text()
    assert rc.count('eval "$(_TRACKER_COMPLETE=bash_source tracker)"') == 1


def test_completion_offers_commands(tracker_exe: str) -> None:
    env = {"COMP_WORDS": "tracker fi", "COMP_CWORD": "1", "_TRACKER_COMPLETE": "bash_complete"}
    done = run_exe(tracker_exe, env=env)
    assert done.stdout.splitlines() == ["plain,fire"]


def test_install_completion_refuses_an_unknown_shell(tmp_path: Path, tracker_exe: str) -> None:
    done = run_exe(
        tracker_exe, "--install-completion", env={"HOME": str(tmp_path), "SHELL": "/bin/tcsh"}
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: no completion for shell 'tcsh'")


@pytest.mark.parametrize("args", [[], ["tui"]])
def test_the_tui_without_a_terminal_is_one_error_line_not_a_hang(
    tracker_exe: str, tmp_path: Path, args: list[str]
) -> None:
    """`tracker < /dev/null > out` (a script, a CI job) wrote the TUI's escape sequences into
    the file and waited for keys forever."""
    from tests.conftest import run_exe

    db = tmp_path / "never.db"
    result = run_exe(tracker_exe, "--db", str(db), *args, stdin="")
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.startswith("error: the TUI needs a terminal"), result.stderr
    assert result.stderr.count("\n") == 1
    assert not db.exists()


def test_a_party_given_twice_is_refused_everywhere_and_changes_nothing(
    seeded_cli: CLI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--party AUS --party AUS` was merged into one without a word: a user who meant two
    different parties never learnt of the typo. Every way in refuses it, exit 2, unchanged."""
    cli = seeded_cli
    before = export(cli)
    assert_error(
        cli(
            "add", "PACT", "--title", "Pact", "--kind", "drill", "--party", "AUS", "--party", "AUS"
        ),
        2,
        "party AUS is given twice",
    )
    assert_error(
        cli(
            "add", "PACT", "--title", "Pact", "--kind", "drill", "--party", "aus", "--party", "AUS"
        ),
        2,
        "party AUS is given twice",  # the codes are case-insensitive
    )
    assert_error(
        cli("edit", "ACSA", "--party", "ROK", "--party", "JPN", "--party", "rok"),
        2,
        "party ROK is given twice",
    )
    batch = [
        {"op": "add", "key": "GOOD", "title": "Fine", "kind": "drill", "parties": ["ROK"]},
        {"op": "add", "key": "PACT", "title": "Pact", "kind": "drill", "parties": ["JPN", "JPN"]},
    ]
    assert_error(cli("apply", "-", stdin=json.dumps(batch)), 2, "party JPN is given twice")
    edit = [{"op": "edit", "key": "ACSA", "parties": ["USA", "USA"]}]
    assert_error(cli("apply", "-", stdin=json.dumps(edit)), 2, "party USA is given twice")
    assert export(cli) == before  # nothing added, nothing edited
    lines = before.splitlines()
    item = json.loads(lines[1])
    item["parties"] = [item["parties"][0]] * 2
    dump = tmp_path / "dump.ndjson"
    dump.write_text("\n".join([lines[0], json.dumps(item), *lines[2:]]) + "\n")
    capsys.readouterr()
    target = tmp_path / "restored.db"
    assert run(["--db", str(target), "import", str(dump)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"party {item['parties'][0]} is given twice" in err
    with Tracker.open(f"sqlite:///{target}") as restored:
        assert restored.count() == {}
    from tracker.tui.screens.item_form import CHECKS  # the TUI's add and edit forms

    with pytest.raises(UsageError, match="party ROK is given twice"):
        CHECKS["parties"]("ROK, JPN rok")


def test_verify_of_a_path_with_no_database_warns_that_it_made_an_empty_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An auditor's typo (`--db typo.db`) makes a new database on first use (SPEC); verify
    says so on stderr, not only "ok: 0 items"."""
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    assert run(["--db", url, "verify"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "ok: 0 items, 0 history entries verified\n"
    assert captured.err.startswith("warning: there was no tracker database at sqlite:///")
    assert run(["--db", url, "verify"]) == 0
    again = capsys.readouterr()
    assert again.err == "" and again.out == captured.out
