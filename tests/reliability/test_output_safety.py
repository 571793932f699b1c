"""Output safety: text from the database cannot drive the terminal through the CLI's tables.
Rows are planted with SQL (bypassing input checks, as a hostile writer or an old version
might), then listed through the real console script."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import run_exe
from tracker import Tracker

HOSTILE = "\x1b[2J\x1b]0;owned\x07\x9b31m\x1bP+q\x1b\\\r\x08"
MARKUP = "[bold red]x[/]"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\x08", "\r")


@pytest.fixture
def planted(db_url: str) -> str:
    with Tracker.open(db_url) as tracker:
        tracker.seed()
        tracker.add("MARKUP", MARKUP, "exercise", reason=MARKUP)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE items SET title = :t, description = :d WHERE key = 'ACSA'"),
                {"t": f"ACSA {HOSTILE} end", "d": f"ACSA {HOSTILE} end"},
            )
            item_id = conn.execute(text("SELECT id FROM items WHERE key = 'SAREX'")).scalar()
            conn.execute(
                text(
                    "INSERT INTO history (item_id, version, trigger, from_state, to_state, "
                    "occurred_at, recorded_at, actor, reason, source, hash) SELECT :item, "
                    "4, 'comment', 'resumed', 'resumed', occurred_at, recorded_at, :a, :r, :s, "
                    "hash FROM history WHERE item_id = :item AND version = 3"
                ),
                {"item": item_id, "a": f"by {HOSTILE}", "r": HOSTILE, "s": HOSTILE},
            )
    finally:
        engine.dispose()
    return db_url


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["show", "ACSA"],
        ["show", "SAREX", "--entries", "20"],
        ["history"],
        ["history", "SAREX"],
        ["as-of", "2026-12-01"],
        ["verify"],
    ],
)
def test_table_output_has_no_terminal_control_bytes(
    planted: str, tracker_exe: str, command: list[str]
) -> None:
    result = run_exe(tracker_exe, "--db", planted, *command, env={"COLUMNS": "400"})
    assert result.returncode in (0, 7), result.stderr
    shown = result.stdout + result.stderr
    for byte in FORBIDDEN:
        assert byte not in shown
    if command in (["list"], ["show", "ACSA"], ["history", "SAREX"]):
        assert "\\x1b" in shown  # shown escaped, not dropped


def test_rich_markup_in_a_title_is_shown_as_typed(planted: str, tracker_exe: str) -> None:
    listed = run_exe(tracker_exe, "--db", planted, "list", env={"COLUMNS": "400"})
    assert MARKUP in listed.stdout
    shown = run_exe(tracker_exe, "--db", planted, "show", "MARKUP", env={"COLUMNS": "400"})
    assert shown.stdout.count(MARKUP) == 2  # the title and the create entry's reason


def test_error_lines_escape_what_the_user_typed(db_url: str, tracker_exe: str) -> None:
    result = run_exe(tracker_exe, "--db", db_url, "fire", "\x1b[31mKEY", "resume")
    assert result.returncode == 3
    assert "\x1b" not in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
