"""The party index (item_parties, migration 0007): a filter by party reads it, every writer
keeps it exact with the items, the migration fills it for a database from before, and verify
names an index that differs from what history records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from tracker import Tracker
from tracker.store.engine import alembic_config, make_engine


def index_rows(url: str) -> dict[str, list[str]]:
    """Each item's parties as item_parties has them, in order, by key."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found: dict[str, list[str]] = {
                key: [] for key in conn.execute(text("SELECT key FROM items")).scalars()
            }
            rows = conn.execute(
                text(
                    "SELECT i.key, p.party FROM item_parties p JOIN items i ON i.id = p.item_id "
                    "ORDER BY i.key, p.position"
                )
            )
            for key, party in rows:
                found[key].append(party)
            return found
    finally:
        engine.dispose()


def assert_exact(tracker: Tracker, url: str) -> None:
    """The index holds each item's parties, in order, and a filter by each party finds
    exactly the items that have it."""
    items = tracker.list()
    assert index_rows(url) == {item.key: list(item.parties) for item in items}
    for party in {p for item in items for p in item.parties} | {"NOBODY"}:
        expected = [item.key for item in items if party in item.parties]
        assert [item.key for item in tracker.list(party=party)] == expected, party
        assert sum(tracker.count(party=party).values()) == len(expected)


def test_every_writer_keeps_the_index_exact(seeded: Tracker, db_url: str) -> None:
    assert_exact(seeded, db_url)
    seeded.add("NEW-1", "A new one", "drill", parties=["ROK", "AUS"])
    seeded.add("NEW-2", "No parties", "drill")
    seeded.edit("NEW-1", parties=["AUS", "NZL", "ROK"], reason="wider")
    seeded.edit("ACSA", parties=[], reason="none left")
    seeded.edit("SAREX", title="Renamed, parties kept", reason="title")
    seeded.apply(
        [
            {"op": "add", "key": "NEW-3", "title": "batch", "kind": "drill", "parties": ["NZL"]},
            {"op": "edit", "key": "NEW-3", "parties": ["JPN", "NZL"], "reason": "same batch"},
            {"op": "edit", "key": "NEW-2", "parties": ["USA"], "reason": "later"},
        ]
    )
    assert_exact(seeded, db_url)
    assert [i.key for i in seeded.list(party="nzl")] == ["NEW-1", "NEW-3"]
    assert seeded.verify().ok


def test_import_writes_the_index(seeded: Tracker, another_db: Any, tmp_path: Path) -> None:
    seeded.edit("ACSA", parties=["USA", "ROK", "AUS"], reason="more")
    dump = tmp_path / "export.ndjson"
    with dump.open("w") as out:
        seeded.export(out)
    target = another_db()
    with Tracker.open(target) as restored, dump.open() as lines:
        restored.import_(lines)
        assert_exact(restored, target)
        assert restored.verify().ok


def test_a_big_batch_of_edits_keeps_the_index(tracker: Tracker, db_url: str) -> None:
    """Enough items for the bulk paths (PostgreSQL updates through a temporary table)."""
    tracker.apply(
        [
            {"op": "add", "key": f"K-{n}", "title": "t", "kind": "drill", "parties": ["ROK"]}
            for n in range(150)
        ]
    )
    tracker.apply(
        [{"op": "edit", "key": f"K-{n}", "parties": ["JPN", f"P{n % 7}"]} for n in range(150)]
    )
    assert_exact(tracker, db_url)


def _sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "DELETE FROM item_parties WHERE party = 'USA' AND item_id = "
            "(SELECT id FROM items WHERE key = 'ACSA')",
            "item_parties: the index has 'ROK', its history 'ROK USA'",
        ),
        (
            "UPDATE item_parties SET party = 'AUS' WHERE position = 0 AND item_id = "
            "(SELECT id FROM items WHERE key = 'ACSA')",
            "item_parties: the index has 'AUS USA', its history 'ROK USA'",
        ),
        (
            "INSERT INTO item_parties (item_id, position, party) "
            "SELECT id, 9, 'AUS' FROM items WHERE key = 'ACSA'",
            "item_parties: the index has 'ROK USA AUS', its history 'ROK USA'",
        ),
    ],
)
@pytest.mark.parametrize("split_from", [1, 10**9])
def test_verify_names_an_index_changed_behind_its_back(
    seeded: Tracker, db_url: str, statement: str, message: str, split_from: int
) -> None:
    seeded.edit("ACSA", parties=["ROK", "USA"], reason="known parties")
    assert seeded.verify(split_from=split_from).ok
    _sql(db_url, statement)
    report = seeded.verify(split_from=split_from)
    assert [(p.item, p.entry_id, p.message) for p in report.problems] == [("ACSA", None, message)]


def test_verify_names_the_index_and_the_row_changed_together(seeded: Tracker, db_url: str) -> None:
    """The column and its index both changed to the same parties: both differ from history."""
    seeded.edit("ACSA", parties=["ROK", "USA"], reason="known parties")
    _sql(db_url, "UPDATE items SET parties = 'AUS' WHERE key = 'ACSA'")
    _sql(
        db_url,
        "DELETE FROM item_parties WHERE item_id = (SELECT id FROM items WHERE key = 'ACSA')",
    )
    _sql(
        db_url,
        "INSERT INTO item_parties (item_id, position, party) "
        "SELECT id, 0, 'AUS' FROM items WHERE key = 'ACSA'",
    )
    problems = [(p.item, p.message.split(":")[0]) for p in seeded.verify().problems]
    assert problems == [("ACSA", "parties"), ("ACSA", "item_parties")]


def test_verify_names_rows_of_an_unknown_item(sqlite_url: str) -> None:
    """SQLite checks foreign keys only where a connection asks to: a row may outlive its item."""
    with Tracker.open(sqlite_url) as tracker:
        tracker.seed()
        _sql(sqlite_url, "INSERT INTO item_parties (item_id, position, party) VALUES (999, 0, 'X')")
        report = tracker.verify()
    assert [(p.item, p.message) for p in report.problems] == [
        ("999", "item_parties: rows of an unknown item")
    ]


def test_the_migration_fills_the_index_from_the_items(db_url: str) -> None:
    with Tracker.open(db_url) as tracker:
        tracker.seed()
        tracker.edit("ACSA", parties=["USA", "ROK", "AUS"], reason="more")
        expected = {item.key: list(item.parties) for item in tracker.list()}
    engine = make_engine(db_url)
    try:
        config = alembic_config(engine)
        command.downgrade(config, "0006")
        with engine.connect() as conn:
            assert "item_parties" not in {
                row[0]
                for row in conn.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                        if db_url.startswith("sqlite")
                        else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    )
                )
            }
        command.upgrade(config, "head")
    finally:
        engine.dispose()
    assert index_rows(db_url) == expected
    with Tracker.open(db_url) as tracker:
        assert tracker.verify().ok
        assert [i.key for i in tracker.list(party="AUS")] == ["ACSA"]
