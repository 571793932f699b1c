"""migrations/env.py runs on the database it is handed and nowhere else, and pytest-alembic's
built-in checks hold on SQLite and PostgreSQL (single head, upgrade one step at a time, models
equal to the migrated DDL, every step down and up again)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine, inspect, text

from tracker.store.engine import HEAD, make_engine

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]


def scripts_only() -> Config:
    """A Config that names the shipped migrations and no database at all."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("tracker.migrations")))
    return config


@pytest.fixture
def alembic_config() -> Config:
    return scripts_only()


@pytest.fixture
def alembic_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def users_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """Stands for the user's real tracker file, where a fallback to the default would go: every
    test here (pytest-alembic's too) must leave it alone."""
    path = tmp_path / "users-real-tracker.db"
    monkeypatch.setenv("TRACKER_DB", str(path))
    yield path
    if request.node.name.startswith("test_only_a_config_without_a_database"):
        return
    assert not path.exists(), "migrations ran on the default database, not the one handed over"


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_a_handed_over_connection_is_the_one_migrated(
    alembic_engine: Engine, users_file: Path
) -> None:
    config = scripts_only()
    with alembic_engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
    assert revision_of(alembic_engine) == HEAD
    assert not users_file.exists()
    with alembic_engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        connection.commit()
    assert revision_of(alembic_engine) is None
    assert not users_file.exists()


def test_a_handed_over_engine_is_the_one_migrated(alembic_engine: Engine, users_file: Path) -> None:
    config = scripts_only()
    config.attributes["connection"] = alembic_engine
    command.upgrade(config, "head")
    assert revision_of(alembic_engine) == HEAD
    assert not users_file.exists()


def test_a_given_url_is_the_one_migrated(db_url: str, users_file: Path) -> None:
    config = scripts_only()
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    command.upgrade(config, "head")
    engine = make_engine(db_url)
    try:
        assert revision_of(engine) == HEAD
    finally:
        engine.dispose()
    assert not users_file.exists()


def test_only_a_config_without_a_database_falls_back_to_tracker_db(users_file: Path) -> None:
    command.upgrade(scripts_only(), "head")
    engine = make_engine(f"sqlite:///{users_file}")
    try:
        assert revision_of(engine) == HEAD
    finally:
        engine.dispose()
