"""Migrations: REVISIONS names the scripts, upgrade and downgrade work, and a database that is
newer or not a tracker's is refused (exit 6) and left as it was. That the models and the scripts
agree is pytest-alembic's test_model_definitions_match_ddl (tests/test_migration_env.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, exists, inspect, select, text

from tracker import Tracker
from tracker.cli.app import run
from tracker.store.as_of import last_of
from tracker.store.engine import HEAD, REVISIONS, alembic_config, make_engine
from tracker.store.models import consent_entries, history, items


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    made = make_engine(db_url)
    yield made
    made.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, to show a database was left untouched."""
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        return {
            table: sorted(
                tuple(row) for row in conn.execute(text(f'SELECT * FROM "{table}"')).all()
            )
            for table in tables
        }


def test_revisions_constant_matches_the_scripts(engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config(engine))
    walked = [rev.revision for rev in script.walk_revisions(base="base", head="heads")]
    assert tuple(reversed(walked)) == REVISIONS
    assert script.get_current_head() == HEAD


def test_upgrade_from_empty_and_downgrade_to_base(db_url: str, engine: Engine) -> None:
    config = alembic_config(engine)
    command.upgrade(config, "head")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert {"items", "history", "alembic_version"} <= tables
    assert version == HEAD
    for revision in reversed(REVISIONS[:-1]):
        command.downgrade(config, revision)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                revision
            )
    command.downgrade(config, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    # and up again, through the tracker itself, to a working database
    with Tracker.open(db_url) as tracker:
        tracker.seed()
        assert tracker.verify().ok


def test_an_older_schema_is_upgraded_on_open(db_url: str, engine: Engine) -> None:
    command.upgrade(alembic_config(engine), REVISIONS[0])
    with Tracker.open(db_url) as tracker:
        tracker.add("OLD", "From an old schema", "drill")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def test_a_newer_schema_is_refused_and_untouched(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with Tracker.open(db_url) as tracker:
        tracker.seed()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    before = snapshot(engine)
    for args in (["list"], ["init"], ["fire", "ACSA", "resume"]):
        capsys.readouterr()
        assert run(["--db", db_url, *args]) == 6
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1
        assert "newer than this program" in err
    assert snapshot(engine) == before


def test_a_foreign_database_is_refused_and_untouched(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("INSERT INTO customers VALUES (1, 'Acme')"))
    before = snapshot(engine)
    for args in (["list"], ["init", "--seed"]):
        capsys.readouterr()
        assert run(["--db", db_url, *args]) == 6
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1
        assert "not a tracker database" in err
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"customers"}


def test_consent_entries_have_a_partial_index_that_their_query_uses(
    db_url: str, engine: Engine
) -> None:
    """Migration 0006: ix_history_consents holds only approve/withdraw entries, and a query
    saying consent_entries() reads it (with a bound parameter instead, SQLite scanned all of
    history). PostgreSQL: scans disfavoured, so an empty table still shows whether it can."""
    with Tracker.open(db_url):
        pass
    later = history.alias("later")
    query = select(history.c.item_id, history.c.version).where(
        consent_entries(),
        ~exists().where(later.c.item_id == history.c.item_id, later.c.version > history.c.version),
    )
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            definition = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_history_consents'")
            ).scalar()
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
        else:
            definition = conn.execute(
                text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_history_consents'"
                    " AND schemaname = current_schema()"
                )
            ).scalar()
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = conn.exec_driver_sql(f"EXPLAIN {sql}").all()
    assert definition is not None
    assert "WHERE" in definition.upper() and "'approve'" in definition
    assert "'withdraw'" in definition
    assert "ix_history_consents" in " ".join(str(step[-1]) for step in plan)


def test_the_party_guard_is_postgresql_only_and_goes_down_with_its_step(
    db_url: str, engine: Engine
) -> None:
    config = alembic_config(engine)
    command.upgrade(config, "head")
    query = (
        "SELECT count(*) FROM pg_trigger"
        " WHERE tgname = 'history_party_guard' AND tgrelid = 'history'::regclass"
    )
    with engine.connect() as conn:
        names = {index["name"] for index in inspect(conn).get_indexes("history")}
        guarded = conn.execute(text(query)).scalar() if engine.dialect.name != "sqlite" else None
    assert "ix_history_consents" in names
    assert guarded == (None if engine.dialect.name == "sqlite" else 1)
    command.downgrade(config, "0005")
    with engine.connect() as conn:
        names = {index["name"] for index in inspect(conn).get_indexes("history")}
        guarded = conn.execute(text(query)).scalar() if engine.dialect.name != "sqlite" else None
    assert "ix_history_consents" not in names
    assert guarded == (None if engine.dialect.name == "sqlite" else 0)


def test_the_as_of_index_covers_the_state_and_goes_down_with_its_step(
    db_url: str, engine: Engine
) -> None:
    """Migration 0008: history(item_id, occurred_at, version, to_state) replaces 0004's
    history(item_id, occurred_at, version), and the as-of seek for an item's state then reads
    the index alone (SQLite: a COVERING INDEX; PostgreSQL: an Index Only Scan, scans
    disfavoured so that an empty table still shows whether it can)."""
    new, old = (
        "ix_history_item_id_occurred_at_version_to_state",
        "ix_history_item_id_occurred_at_version",
    )
    config = alembic_config(engine)
    command.upgrade(config, "head")
    with engine.connect() as conn:
        found = {
            index["name"]: index["column_names"] for index in inspect(conn).get_indexes("history")
        }
    assert found[new] == ["item_id", "occurred_at", "version", "to_state"] and old not in found
    moment = datetime(2020, 6, 30, tzinfo=UTC)
    query = select(last_of(moment, "to_state")).select_from(items)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(step[-1]) for step in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            )
            assert f"COVERING INDEX {new}" in plan
        else:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("SET LOCAL enable_bitmapscan = off"))
            plan = " ".join(str(step[-1]) for step in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "Index Only Scan" in plan and new in plan
    command.downgrade(config, "0007")
    with engine.connect() as conn:
        found = {
            index["name"]: index["column_names"] for index in inspect(conn).get_indexes("history")
        }
    assert found[old] == ["item_id", "occurred_at", "version"] and new not in found


def test_a_foreign_sqlite_file_keeps_its_bytes_and_its_journal_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The connection set WAL mode before the tracker looked at the file: a foreign (or a
    newer) database was refused, exit 6, but left in WAL mode, its header rewritten."""
    path = tmp_path / "foreign.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for args in (["list"], ["init", "--seed"]):
        assert run(["--db", str(path), *args]) == 6
        assert "not a tracker database" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db"]


def test_a_tracker_database_is_in_wal_mode(tmp_path: Path) -> None:
    """Readers never wait for a writer: WAL, set once the file is known to be a tracker's."""
    path = tmp_path / "new.db"
    with Tracker.open(f"sqlite:///{path}"):
        pass
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()
