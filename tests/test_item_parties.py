"""The party index (item_parties, migrations 0007 and 0009): a filter by party reads it, a list
by party in key order reads it in that order (no sort), every writer keeps it exact with the
items (parties and key), the migrations fill it for a database from before, and verify names an
index that differs from what history records or from the item's key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text

from tracker import Filter, Tracker
from tracker.store import queries
from tracker.store.engine import alembic_config, make_engine


def index_rows(url: str) -> dict[str, list[str]]:
    """Each item's parties as item_parties has them, in order, by key; every row filed under
    its item's key_lower."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found: dict[str, list[str]] = {
                key: [] for key in conn.execute(text("SELECT key FROM items")).scalars()
            }
            rows = conn.execute(
                text(
                    "SELECT i.key, p.party, p.key_lower FROM item_parties p "
                    "JOIN items i ON i.id = p.item_id ORDER BY i.key, p.position"
                )
            )
            for key, party, key_lower in rows:
                assert key_lower == key.lower(), (key, party, key_lower)
                found[key].append(party)
            return found
    finally:
        engine.dispose()


def assert_exact(tracker: Tracker, url: str) -> None:
    """The index holds each item's parties, in order, and a filter by each party finds
    exactly the items that have it, in key order either way and a page at a time."""
    items = tracker.list()
    assert index_rows(url) == {item.key: list(item.parties) for item in items}
    for party in {p for item in items for p in item.parties} | {"NOBODY"}:
        expected = [item.key for item in items if party in item.parties]
        assert [item.key for item in tracker.list(party=party)] == expected, party
        backwards = tracker.list(party=party, descending=True)
        assert [item.key for item in backwards] == expected[::-1], party
        assert [item.key for item in tracker.list(party=party, limit=2, offset=1)] == (
            expected[1:3]
        )
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
            "INSERT INTO item_parties (item_id, position, party, key_lower) "
            "SELECT id, 9, 'AUS', key_lower FROM items WHERE key = 'ACSA'",
            "item_parties: the index has 'ROK USA AUS', its history 'ROK USA'",
        ),
        (
            "UPDATE item_parties SET key_lower = 'zzz' WHERE position = 1 AND item_id = "
            "(SELECT id FROM items WHERE key = 'ACSA')",
            "item_parties: the index files it under 'zzz', not 'acsa'",
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
        "INSERT INTO item_parties (item_id, position, party, key_lower) "
        "SELECT id, 0, 'AUS', key_lower FROM items WHERE key = 'ACSA'",
    )
    problems = [(p.item, p.message.split(":")[0]) for p in seeded.verify().problems]
    assert problems == [("ACSA", "parties"), ("ACSA", "item_parties")]


def test_verify_names_rows_of_an_unknown_item(sqlite_url: str) -> None:
    """SQLite checks foreign keys only where a connection asks to: a row may outlive its item."""
    with Tracker.open(sqlite_url) as tracker:
        tracker.seed()
        _sql(
            sqlite_url,
            "INSERT INTO item_parties (item_id, position, party, key_lower) "
            "VALUES (999, 0, 'X', 'gone')",
        )
        report = tracker.verify()
    assert [(p.item, p.message) for p in report.problems] == [
        ("999", "item_parties: rows of an unknown item")
    ]


@contextmanager
def down_and_up(db_url: str, revision: str) -> Iterator[tuple[Engine, Any]]:
    """A seeded database (ACSA's parties edited) migrated down to `revision`; the block
    checks it there and migrates it up; after it the index must hold every item's parties,
    verify say ok and a list by party read it."""
    with Tracker.open(db_url) as tracker:
        tracker.seed()
        tracker.edit("ACSA", parties=["USA", "ROK", "AUS"], reason="more")
        expected = {item.key: list(item.parties) for item in tracker.list()}
    engine = make_engine(db_url)
    try:
        config = alembic_config(engine)
        command.downgrade(config, revision)
        yield engine, config
    finally:
        engine.dispose()
    assert index_rows(db_url) == expected
    with Tracker.open(db_url) as tracker:
        assert tracker.verify().ok
        assert [i.key for i in tracker.list(party="AUS")] == ["ACSA"]


def test_the_migration_fills_the_index_from_the_items(db_url: str) -> None:
    with down_and_up(db_url, "0006") as (engine, config):
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


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("others", [{}, {"state": "proposed", "kind": "drill"}])
def test_a_list_by_party_reads_the_index_in_key_order(
    seeded: Tracker, db_url: str, descending: bool, others: dict[str, str]
) -> None:
    """Sorted by key (the default), a list by party reads that party's rows of the index
    (party, key_lower, item_id) in order, forwards or backwards, and sorts nothing: SQLite
    uses no temporary B-tree; PostgreSQL, scans and sorts disfavoured so that a small table
    still shows whether it can, needs no Sort."""
    chosen = Filter(party="ROK", **others)
    query = queries.list_query(seeded.db, seeded.workflows, chosen, "key", descending, 100, 0)
    engine = make_engine(db_url)
    try:
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                steps = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            else:
                for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                    conn.execute(text(f"SET LOCAL {setting} = off"))
                steps = conn.exec_driver_sql(f"EXPLAIN {sql}").all()
    finally:
        engine.dispose()
    plan = " ".join(str(step[-1]) for step in steps)
    assert "ix_item_parties_party_key_lower_item_id" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_the_migration_files_the_index_by_key_and_goes_down_with_its_step(db_url: str) -> None:
    """Migration 0009 fills key_lower for the rows there are (and '' for a row of an item
    that is not there, which verify names); its downgrade gives 0007's index back."""
    with down_and_up(db_url, "0008") as (engine, config):
        with engine.connect() as conn:
            columns = [c["name"] for c in inspect(conn).get_columns("item_parties")]
            indexes = {
                i["name"]: i["column_names"] for i in inspect(conn).get_indexes("item_parties")
            }
        assert columns == ["item_id", "position", "party"]
        assert indexes == {"ix_item_parties_party_item_id": ["party", "item_id"]}
        command.upgrade(config, "head")
        with engine.connect() as conn:
            indexes = {
                i["name"]: i["column_names"] for i in inspect(conn).get_indexes("item_parties")
            }
        assert indexes == {
            "ix_item_parties_party_key_lower_item_id": ["party", "key_lower", "item_id"]
        }
