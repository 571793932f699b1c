"""The database: which URL, how to connect, and bringing the schema to this program's head.

The per-command check is one query of `alembic_version`; Alembic is imported only when the
database must be created or upgraded.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    SAWarning,
    SQLAlchemyError,
)

from ..errors import Conflict, DatabaseUnusable, UsageError

# Every revision this program knows, oldest first; the last is its head.
# tests/test_migrations.py checks this against migrations/versions.
REVISIONS: tuple[str, ...] = (
    "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009",
)  # fmt: skip
HEAD = REVISIONS[-1]
# The environment's settings: (default, unit) of each; a value is a whole number.
SETTINGS = {
    "TRACKER_BUSY_TIMEOUT_MS": (10_000, "milliseconds"),
    "TRACKER_CONNECT_TIMEOUT": (5, "seconds"),
}
_WHOLE = re.compile(r"^[0-9]{1,10}$")
_LARGEST = 2**31 - 1
# A URL starts with a scheme; anything else given as the database is a file path.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# The drivers the tracker runs on (backend, driver).
_SUPPORTED = {("sqlite", "pysqlite"), ("postgresql", "psycopg")}


def setting(name: str) -> int:
    """A whole number from the environment variable `name` (its default when unset or empty);
    anything else is a UsageError naming the variable."""
    default, unit = SETTINGS[name]
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not _WHOLE.match(raw) or int(raw) > _LARGEST:
        raise UsageError(
            f"{name} must be a whole number of {unit} (0 to {_LARGEST}), not {raw[:40]!r}"
        )
    return int(raw)


# The name of SQLite's Unicode lower-case function (see _sqlite_engine).
UNICODE_LOWER = "tracker_lower"


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def default_url() -> str:
    """A SQLite file in the user's data directory (platformdirs)."""
    from platformdirs import user_data_dir

    path = Path(user_data_dir("tracker", appauthor=False)) / "tracker.db"
    _utf8(str(path), "the default database, in XDG_DATA_HOME or HOME; or set TRACKER_DB")
    return sqlite_url(path)


def sqlite_url(path: Path) -> str:
    """The URL of the SQLite file at `path`, whatever characters its name holds (`?`, `%`,
    `#` are quoted, so the URL names exactly that file)."""
    return URL.create("sqlite", database=str(path)).render_as_string()


def resolve_url(url: str | None = None) -> str:
    """`url`, else TRACKER_DB, else the default file. Something that starts with a scheme
    (`sqlite:///`, `postgresql://`...) is a URL; anything else is the path of a SQLite file,
    taken literally. `postgresql://` means psycopg 3. An empty value (an unset variable
    spliced in) is a UsageError, never "some database"."""
    chosen = url if url is not None else os.environ.get("TRACKER_DB") or None
    if chosen is None:
        return default_url()
    _utf8(chosen, "the database, --db or TRACKER_DB")
    if not chosen.strip():
        raise UsageError("the database is empty: give --db or TRACKER_DB a file path or a URL")
    if not _SCHEME.match(chosen):
        return sqlite_url(Path(chosen).expanduser().absolute())
    if chosen.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def _utf8(value: str, what: str) -> str:
    """`value`, if it is text: bytes that are not UTF-8 (in a path from the environment) come
    as lone surrogates, which no database driver takes. A UsageError naming where it came from."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise UsageError(f"'{shown[:200]}' is not valid UTF-8 text ({what})") from None
    return value


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names (also as a `file:` URI with uri=true); None when the
    database is in memory (or the URL is not SQLite's)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if str(parsed.query.get("uri", "")).lower() == "true" and database.startswith("file:"):
        split = urlsplit(database)
        if parsed.query.get("mode") == "memory" or "mode=memory" in split.query:
            return None
        database = unquote(split.path)
    return None if database in ("", ":memory:") else Path(database)


def in_memory(url: str) -> bool:
    """Whether `url` is a SQLite database in memory, gone when the process ends."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # make_engine says what is wrong with it
        return False
    return (
        parsed.get_backend_name() == "sqlite"
        and bool(parsed.database)
        and sqlite_file(parsed) is None
    )


def make_engine(url: str) -> Engine:
    """An engine with the tracker's connection settings (SQLite: WAL, busy timeout,
    foreign keys, BEGIN IMMEDIATE for writes). A URL that names no database, a driver the
    tracker does not run on, or settings the driver would ignore are UsageErrors."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise UsageError(f"bad database URL {safe_url(url)!r}") from None
    backend = parsed.get_backend_name()
    try:
        driver = parsed.get_driver_name()
    except NoSuchModuleError:  # a scheme SQLAlchemy has no dialect for
        driver = ""
    if (backend, driver) not in _SUPPORTED:
        raise UsageError(
            f"unsupported database URL {safe_url(url)!r}: tracker runs on SQLite "
            "(a file path or sqlite:///FILE) and PostgreSQL (postgresql://, psycopg 3)"
        )
    if backend == "sqlite" and not parsed.database:
        raise UsageError(
            f"database URL {safe_url(url)!r} names no file (for one in memory, say "
            "sqlite:///:memory:)"
        )
    if backend == "sqlite":
        _check_sqlite_uri(parsed)
        _refuse_journal(sqlite_file(parsed))
    try:
        with warnings.catch_warnings():
            # SQLAlchemy warns of URL arguments it ignores: the URL does not say what was meant.
            warnings.simplefilter("error", SAWarning)
            if backend == "sqlite":
                return _sqlite_engine(url, sqlite_file(parsed))
            return create_engine(url, pool_pre_ping=False, connect_args=_connect_args())
    except SAWarning as exc:
        ignored = first_line(exc).split(" (Background", 1)[0]
        raise UsageError(f"bad database URL {safe_url(url)!r}: {ignored}") from None
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise UsageError(f"unsupported database URL {safe_url(url)!r}: {exc}") from None
    except ValueError as exc:  # an argument the driver converts and cannot (?timeout=abc)
        raise UsageError(f"bad database URL {safe_url(url)!r}: {exc}") from None


# The URL arguments SQLAlchemy's pysqlite dialect takes itself; with uri=true it hands any
# other to sqlite3 as the query of a URI made from the database name.
_PYSQLITE_ARGUMENTS = frozenset(
    {"uri", "timeout", "isolation_level", "detect_types", "check_same_thread", "cached_statements"}
)


def _check_sqlite_uri(parsed: URL) -> None:
    """With uri=true, SQLite reads the arguments (mode=ro, cache...) only of a `file:` URI: on
    a plain name they become part of the file's name (`x.db?mode=ro`), a new database with
    the arguments ignored. A UsageError then, as for an argument the driver ignores."""
    if str(parsed.query.get("uri", "")).lower() != "true":
        return
    database = parsed.database or ""
    extra = sorted(set(parsed.query) - _PYSQLITE_ARGUMENTS)
    if extra and not database.startswith("file:"):
        raise UsageError(
            f"bad database URL {safe_url(parsed.render_as_string())!r}: with uri=true, "
            f"SQLite reads {', '.join(extra)} only from a file: URI "
            f"(sqlite:///file:{database}?{'&'.join(f'{k}=...' for k in extra)}&uri=true)"
        )


# The files SQLite keeps beside a database, named after it.
JOURNAL_ENDS = ("-wal", "-shm", "-journal")


def _refuse_journal(database: Path | None) -> None:
    """A UsageError for the journal of a SQLite database that exists (`tracker.db-wal`): made
    into a database of its own, it was taken for the journal at the next open of tracker.db,
    found invalid and deleted, with everything written to it."""
    if database is None:
        return
    for end in JOURNAL_ENDS:
        if database.name.endswith(end) and database.with_name(database.name[: -len(end)]).is_file():
            raise UsageError(
                f"{database} is the {end[1:]} file of the SQLite database "
                f"{database.with_name(database.name[: -len(end)])} (a journal, not a database): "
                "give the database itself"
            )


def _connect_args() -> dict[str, Any]:
    return {"connect_timeout": setting("TRACKER_CONNECT_TIMEOUT")}


def _sqlite_engine(url: str, database: Path | None) -> Engine:
    if database is not None:
        parent = database.parent
        if not parent.exists():
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnusable(f"cannot create {parent}: {exc.strerror}") from None
    busy_timeout_ms = setting("TRACKER_BUSY_TIMEOUT_MS")
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL mode is kept in the file: ensure_schema sets it once the file is known to be a
        # tracker's (here it rewrote a foreign database's header before that was refused).
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
        # SQLite's lower() folds ASCII only; PostgreSQL's folds every script. The text filter
        # uses this one for a word that is not ASCII, so "ärger" finds "Ärger" on both.
        dbapi_connection.create_function(UNICODE_LOWER, 1, _unicode_lower, deterministic=True)

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
    """`url` to show in a message: its password, if any, as `***`, also when it does not
    parse (an error line goes to logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", url)


# user:password@ after the scheme; the password runs to the last @ before the path.
_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:)[^/]*@")


def first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text_ = str(original).strip().splitlines()
    return text_[0] if text_ else type(original).__name__


def schema_revision(conn: Connection) -> str | None:
    """The database's Alembic revision; None for an empty database. Raises DatabaseUnusable
    for a database that holds tables but is not a tracker's."""
    for _ in range(2):
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except DBAPIError:
            conn.rollback()
            tables = inspect(conn).get_table_names()
            if "alembic_version" in tables:
                # Another process's first use committed the schema since the SELECT: read
                # the revision it left (a second time only).
                continue
            if tables:
                raise DatabaseUnusable(
                    "not a tracker database (it has tables but no alembic_version)"
                ) from None
            return None
        return row[0] if row else None
    raise DatabaseUnusable("the schema changed while it was read; try again") from None


def ensure_schema(engine: Engine, url: str) -> bool:
    """Create or upgrade the schema to HEAD; refuse a newer or foreign database (exit 6).
    Whether the database was empty (this call made the schema)."""
    with unusable_on_failure(url), engine.connect() as conn:
        revision = schema_revision(conn)
    if revision is not None and revision not in REVISIONS:
        raise DatabaseUnusable(
            f"database schema {revision!r} is newer than this program ({HEAD!r}); upgrade tracker"
        )
    if revision != HEAD:
        with unusable_on_failure(url):
            migrate(engine, HEAD)
    if engine.dialect.name == "sqlite":
        _write_ahead_log(engine)
    return revision is None


def _write_ahead_log(engine: Engine) -> None:
    """WAL mode (readers never wait for the writer), kept in the file once set. Only on a
    tracker's database: a foreign or newer one is refused before, untouched. A read-only file
    cannot switch; reading it still works."""
    connection = engine.raw_connection()
    try:
        with contextlib.suppress(Exception):
            connection.driver_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[union-attr]
    finally:
        connection.close()


def alembic_config(engine: Engine | Connection) -> Any:
    """An Alembic Config pointing at the migrations shipped in the package."""
    from importlib import resources

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("tracker.migrations")))
    # env.py runs on what it is handed here (an Engine or a Connection), never on another DB.
    config.attributes["connection"] = engine
    return config


# PostgreSQL advisory lock held while migrating ("tracker" in ASCII): one database, one key.
MIGRATION_LOCK = 0x747261636B6572


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade (or with a revision below the current one, downgrade) the schema, in one
    transaction that first takes the migration lock: SQLite's write lock (BEGIN IMMEDIATE), a
    transaction-level advisory lock on PostgreSQL. Processes that find a new database at once
    take turns; the later ones read the revision the first left and have nothing to do."""
    from alembic import command

    with engine.execution_options(tracker_write=True).connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        current = (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if inspect(conn).has_table("alembic_version")
            else None
        )
        # Alembic runs in this transaction (it sees one already begun) and leaves it to us.
        config = alembic_config(conn)
        if current and revision != "head" and REVISIONS.index(revision) < REVISIONS.index(current):
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)
