"""Tamper evidence: the database refuses to change or remove history; and when someone with
the keys drops the triggers and edits a row anyway, `tracker verify` names the item and the
entry (exit 7)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import CLI
from tracker import Tracker
from tracker.audit import native

DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER history_append_only_update",
        "DROP TRIGGER history_append_only_delete",
    ],
    "postgresql": ["DROP TRIGGER history_append_only ON history"],
}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE history SET reason = 'rewritten' WHERE id = 3",
        "UPDATE history SET actor = 'someone else'",
        "DELETE FROM history WHERE id = 10",
        "DELETE FROM history",
    ],
)
def test_database_refuses_update_and_delete_of_history(
    seeded: Tracker, db_url: str, statement: str
) -> None:
    before = seeded.history()
    engine = create_engine(db_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    assert seeded.history() == before
    assert seeded.verify().ok


def test_postgresql_refuses_truncate_of_history(pg_url: str) -> None:
    with Tracker.open(pg_url) as tracker:
        tracker.seed()
    engine = create_engine(pg_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE history CASCADE"))
    finally:
        engine.dispose()


def test_verify_names_the_item_and_entry_edited_behind_its_back(
    seeded: Tracker, db_url: str, cli: CLI
) -> None:
    assert cli("verify").code == 0
    target = seeded.history("DRILLS")[-1]
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            for statement in DROP_TRIGGERS[engine.dialect.name]:
                conn.execute(text(statement))
            conn.execute(
                text("UPDATE history SET reason = 'nothing happened' WHERE id = :id"),
                {"id": target.id},
            )
    finally:
        engine.dispose()
    result = cli("verify")
    assert result.code == 7
    assert result.err == "error: 1 problem found\n"
    problem = [line for line in result.out.splitlines() if "DRILLS" in line]
    assert len(problem) == 1
    assert f" {target.id} " in f" {problem[0]} "
    assert "hash does not match" in problem[0]
    report = seeded.verify()
    assert [(p.item, p.entry_id) for p in report.problems] == [("DRILLS", target.id)]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        # as-of reads an item unchanged since its row's changed_at from the row itself
        ("changed_at", "2020-01-01T00:00:00.000000Z"),
        ("updated_at", "2020-01-01T00:00:00.000000Z"),
        # every lookup by key goes through key_lower: the item would vanish from `show`
        ("key_lower", "zzz"),
    ],
)
@pytest.mark.parametrize("split_from", [1, 10**9])
def test_verify_names_a_derived_item_column_changed_behind_its_back(
    seeded: Tracker, db_url: str, column: str, value: str, split_from: int
) -> None:
    assert seeded.verify(split_from=split_from).ok
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE items SET {column} = :v WHERE key = 'ACSA'"), {"v": value})
    finally:
        engine.dispose()
    report = seeded.verify(split_from=split_from)
    assert not report.ok
    assert [(p.item, p.message.split(":")[0]) for p in report.problems] == [("ACSA", column)]


@pytest.mark.parametrize("spelling", ["{a}  {b}", " {a} {b}", "{a} {b} ", "{a}\t{b}"])
@pytest.mark.parametrize("split_from", [1, 10**9])
def test_verify_names_parties_respelled_behind_its_back(
    seeded: Tracker, db_url: str, spelling: str, split_from: int
) -> None:
    """The same parties in another spelling of the column (a double space, a tab) are still
    a change to the row that history does not explain."""
    first, second = seeded.get("ACSA").parties[:2]
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE items SET parties = :v WHERE key = 'ACSA'"),
                {"v": spelling.format(a=first, b=second)},
            )
    finally:
        engine.dispose()
    report = seeded.verify(split_from=split_from)
    assert [(p.item, p.message.split(":")[0]) for p in report.problems] == [("ACSA", "parties")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "command", [["verify"], ["as-of", "2026-12-01"], ["list"], ["export"], ["history"]]
)
def test_text_that_is_not_utf8_in_the_file_is_exit_6_not_a_crash(
    seeded: Tracker, db_url: str, cli: CLI, command: list[str]
) -> None:
    """Another program wrote bytes that are not UTF-8 into a title (or a reason): verify and
    as-of (which read with the driver's own cursor) were exit 1, `unexpected OperationalError:
    Could not decode to UTF-8 column 'title'`; list said exit 6. Every read says exit 6."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE items SET title = CAST(x'41ff42' AS TEXT) WHERE key = 'ACSA'")
            )
            conn.execute(text("DROP TRIGGER history_append_only_update"))
            conn.execute(text("UPDATE history SET reason = CAST(x'41ff42' AS TEXT) WHERE id = 1"))
    finally:
        engine.dispose()
    result = cli(*command)
    assert result.code == 6, result
    assert result.err.startswith("error: database ") and result.err.count("\n") == 1, result.err
    assert "UTF-8" in result.err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("history", "actor"),
        ("history", "reason"),
        ("history", "occurred_at"),
        ("history", "hash"),
        ("history", "fields"),
        ("items", "key"),
        ("items", "title"),
        ("items", "parties"),
        ("items", "state"),
        ("items", "last_hash"),
    ],
)
@pytest.mark.parametrize(("split_from", "in_c"), [(1, True), (10**9, True), (10**9, False)])
def test_text_stored_as_a_blob_is_named_not_a_crash(
    seeded: Tracker,
    db_url: str,
    cli: CLI,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    column: str,
    split_from: int,
    in_c: bool,
) -> None:
    """Another program stored a text column's very bytes as a BLOB (SQLite keeps the type it is
    given): the exact replay got `bytes` and verify was exit 1, `unexpected TypeError: first
    argument must be a string, not bytes`; the Python clean pass too, on the last item's row.
    It is a problem of that item, named (exit 7). The last item: its row is compared last."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            key = conn.execute(text("SELECT key FROM items ORDER BY id DESC LIMIT 1")).scalar()
            item = f"(SELECT id FROM items WHERE key = '{key}')"
            first = f"(SELECT min(id) FROM history WHERE item_id = {item})"
            where = f"id = {item if table == 'items' else first}"
            conn.execute(text("DROP TRIGGER history_append_only_update"))
            blob = f"CAST({column} AS BLOB)"
            conn.execute(text(f"UPDATE {table} SET {column} = {blob} WHERE {where}"))
    finally:
        engine.dispose()
    if not in_c:
        monkeypatch.setattr(native, "extension", lambda: None)
    report = seeded.verify(split_from=split_from)
    assert [(p.item, p.message) for p in report.problems] == [
        (key, f"{column} is stored as a blob, not text")
    ]
    result = cli("verify")
    assert result.code == 7, result
    assert f"{column} is stored as a blob" in result.out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("value", ["'approve'", "'2x'", "x'02'"])
@pytest.mark.parametrize("split_from", [1, 10**9])
def test_a_version_that_is_not_a_number_is_named_not_a_crash(
    seeded: Tracker, db_url: str, cli: CLI, value: str, split_from: int
) -> None:
    """An entry's version set by SQL to text (or a BLOB) in the middle of a chain: the exact
    replay named it, then took it as the chain's version and failed on the next entry's
    (`unexpected TypeError: can only concatenate str (not "int") to str`, exit 1). Named,
    and the next entry's, which does not follow it."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            ids = conn.execute(
                text("SELECT id FROM history WHERE item_id = (SELECT id FROM items "
                     "WHERE key = 'ACSA') ORDER BY version")
            ).scalars().all()  # fmt: skip
            conn.execute(text("DROP TRIGGER history_append_only_update"))
            conn.execute(text(f"UPDATE history SET version = {value} WHERE id = {ids[0]}"))
    finally:
        engine.dispose()
    assert len(ids) >= 2
    report = seeded.verify(split_from=split_from)
    problems = [(p.item, p.entry_id) for p in report.problems]
    assert problems and set(problems) <= {("ACSA", ids[0]), ("ACSA", ids[1]), ("ACSA", None)}
    assert report.problems[0].message.startswith("version ")
    assert cli("verify").code == 7


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("table", "column"), [("history", "actor"), ("items", "title")])
def test_export_of_text_stored_as_a_blob_is_one_line_exit_6(
    seeded: Tracker, db_url: str, cli: CLI, table: str, column: str
) -> None:
    """export wrote `unexpected TypeError: Object of type bytes is not JSON serializable`,
    exit 1: it now names the row and sends the user to verify."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER history_append_only_update"))
            where = "id = (SELECT min(id) FROM history)" if table == "history" else "key = 'ACSA'"
            conn.execute(
                text(f"UPDATE {table} SET {column} = CAST({column} AS BLOB) WHERE {where}")
            )
    finally:
        engine.dispose()
    result = cli("export")
    assert result.code == 6, result
    what = "history entry 1" if table == "history" else "item ACSA"
    assert result.err == (
        f"error: {what} holds a value that is not text (a blob?): run `tracker verify`\n"
    )
