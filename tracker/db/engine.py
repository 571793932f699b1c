"""The database: which URL, how to connect, and bringing the schema to this program's head.

The per-command check is one query of `alembic_version`; Alembic is imported only when the
database must be created or upgraded.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from ..errors import Conflict, DatabaseUnusable, UsageError

# Every revision this program knows, oldest first; the last is its head.
# tests/test_migrations.py checks this against migrations/versions.
REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004")
HEAD = REVISIONS[-1]
BUSY_TIMEOUT_MS = int(os.environ.get("TRACKER_BUSY_TIMEOUT_MS", "10000"))


def default_url() -> str:
    """A SQLite file in the user's data directory (platformdirs)."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('tracker', appauthor=False)) / 'tracker.db'}"


def resolve_url(url: str | None = None) -> str:
    """`url`, else TRACKER_DB, else the default file. A bare path means a SQLite file;
    `postgresql://` means psycopg 3."""
    chosen = url or os.environ.get("TRACKER_DB") or default_url()
    if "://" not in chosen:
        return f"sqlite:///{Path(chosen).expanduser().absolute()}"
    if chosen.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def make_engine(url: str) -> Engine:
    """An engine with the tracker's connection settings (SQLite: WAL, busy timeout,
    foreign keys, BEGIN IMMEDIATE for writes)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(f"bad database URL {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    try:
        return create_engine(url, pool_pre_ping=False, connect_args=_connect_args(parsed))
    except (NoSuchModuleError, ArgumentError) as exc:
        raise UsageError(f"unsupported database URL {url!r}: {exc}") from None


def _connect_args(parsed: Any) -> dict[str, Any]:
    if parsed.get_backend_name() == "postgresql":
        return {"connect_timeout": int(os.environ.get("TRACKER_CONNECT_TIMEOUT", "5"))}
    return {}


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        parent = Path(database).parent
        if not parent.exists():
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnusable(f"cannot create {parent}: {exc.strerror}") from None
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # A read-only file cannot switch to WAL; reading it still works.
        with contextlib.suppress(Exception):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two of them never both read then upgrade.
        mode = "IMMEDIATE" if conn.get_execution_options().get("tracker_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def unusable_on_failure(url: str) -> Iterator[None]:
    """Turn a connection failure into DatabaseUnusable naming the URL (password hidden);
    a SQLite file locked past the busy timeout is a Conflict (exit 5), as it is for writes."""
    try:
        yield
    except (DBAPIError, SQLAlchemyError) as exc:
        message = first_line(exc)
        if "database is locked" in message:
            raise Conflict(f"database is busy (another writer holds it): {message}") from None
        raise DatabaseUnusable(f"database {safe_url(url)} is unusable: {message}") from None


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text_ = str(original).strip().splitlines()
    return text_[0] if text_ else type(original).__name__


def schema_revision(conn: Connection) -> str | None:
    """The database's Alembic revision; None for an empty database. Raises DatabaseUnusable
    for a database that holds tables but is not a tracker's."""
    try:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError:
        conn.rollback()
        tables = inspect(conn).get_table_names()
        if tables:
            raise DatabaseUnusable(
                "not a tracker database (it has tables but no alembic_version)"
            ) from None
        return None
    return row[0] if row else None


def ensure_schema(engine: Engine, url: str) -> None:
    """Create or upgrade the schema to HEAD; refuse a newer or foreign database (exit 6)."""
    with unusable_on_failure(url), engine.connect() as conn:
        revision = schema_revision(conn)
    if revision == HEAD:
        return
    if revision is not None and revision not in REVISIONS:
        raise DatabaseUnusable(
            f"database schema {revision!r} is newer than this program ({HEAD!r}); upgrade tracker"
        )
    with unusable_on_failure(url):
        migrate(engine, HEAD)


def alembic_config(engine: Engine) -> Any:
    """An Alembic Config pointing at the migrations shipped in the package."""
    from importlib import resources

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("tracker.migrations")))
    # env.py runs on what it is handed here (an Engine or a Connection), never on another DB.
    config.attributes["connection"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade (or with a revision below the current one, downgrade) the schema."""
    from alembic import command

    config = alembic_config(engine)
    with engine.connect() as conn:
        current = schema_revision(conn)
    if current and revision != "head" and REVISIONS.index(revision) < REVISIONS.index(current):
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)
