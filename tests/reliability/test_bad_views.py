"""A saved-view row changed by SQL (issue 9, "Bad input"): invalid JSON in `views.filters` made
`view list` fail (exit 1) and hid every other view. Now the others are listed, the broken one
is marked with what is wrong, and only using it is refused (exit 2)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests.conftest import CLI
from tracker import Tracker

BROKEN = [
    ("invalid JSON", "filters", "{not json"),
    ("a JSON list", "filters", "[1, 2]"),
    ("a number for a filter", "filters", '{"state": 5}'),
    ("an unknown filter", "filters", '{"colour": "red"}'),
    ("a bad as-of date", "filters", '{"as_of": "2026-02-30"}'),
    ("deep JSON", "filters", "[" * 100_000),
]


@pytest.mark.parametrize(("column", "value"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_view_row_is_marked_and_the_others_listed(
    seeded: Tracker, cli: CLI, column: str, value: str
) -> None:
    seeded.save_view("good", state="stalled")
    seeded.save_view("bad", kind="exercise")
    seeded.save_view("zeta", party="jpn")
    with seeded.engine.begin() as conn:
        conn.execute(text(f"UPDATE views SET {column} = :v WHERE name = 'bad'"), {"v": value})

    listed = cli("view", "list", "--format", "json")
    assert listed.code == 0, listed.err
    views = {v["name"]: v for v in json.loads(listed.out)}
    assert list(views) == ["good", "bad", "zeta"]  # in the order they were made
    assert views["good"]["state"] == "stalled" and "broken" not in views["good"]
    assert views["zeta"]["party"] == "JPN"
    assert views["bad"]["broken"] and views["bad"]["kind"] is None

    table = cli("view", "list")
    assert table.code == 0 and "broken" in table.out and "stalled" in table.out, table.err

    used = cli("list", "--view", "bad")
    assert used.code == 2, used.err
    assert used.err.startswith("error: view 'bad' cannot be used") and used.err.count("\n") == 1
    assert cli("view", "delete", "bad").code == 0
    assert [v.name for v in seeded.views()] == ["good", "zeta"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_view_whose_created_at_is_not_a_time_is_marked(seeded: Tracker, cli: CLI) -> None:
    """On SQLite a time is text, and SQL can put any text there."""
    seeded.save_view("good", state="stalled")
    seeded.save_view("bad", state="stalled")
    with seeded.engine.begin() as conn:
        conn.execute(text("UPDATE views SET created_at = 'yesterday' WHERE name = 'bad'"))
    listed = cli("view", "list", "--format", "json")
    assert listed.code == 0, listed.err
    assert [bool(v.get("broken")) for v in json.loads(listed.out)] == [False, True]
