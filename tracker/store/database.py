"""One database: its engine, sessions (one transaction each), the consistent snapshot reads
use, the kept SQLite write connection, and database errors mapped to the tracker's own."""

from __future__ import annotations

import getpass
import os
import re
import sqlite3
import threading
import weakref
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, Select, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from .. import fields
from ..errors import Conflict, DatabaseUnusable, NotAllowed, TrackerError, UsageError
from .engine import first_line, safe_url
from .sql import key_sets, time_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")

_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f]+-[0-9A-Fa-f]+(-[0-9]+)?$")
_USER_VARIABLES = ("LOGNAME", "USER", "LNAME", "USERNAME")
# The largest LIMIT/OFFSET both databases take (a signed 64-bit integer).
_PAGE_MAX = 2**63 - 1


def _nothing() -> None:
    return None


def _orm_session(bind: Engine) -> Session:
    """A Session on `bind`. The ORM is imported on the first read, not with this module: a
    `tracker fire` on SQLite never needs it (it writes on the driver), and importing it is
    about a fifth of that process's start-up."""
    from sqlalchemy.orm import Session

    return Session(bind)


def page(query: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    """One page of `query`. Negative numbers are refused here: SQLite would read them as
    "no limit" and PostgreSQL as an error, and a caller should see the same on both. A limit
    or offset beyond what a database takes means "all" or "none", as it would if it fitted."""
    if (limit is not None and limit < 0) or offset < 0:
        raise UsageError(f"limit and offset must not be negative (got {limit}, {offset})")
    if limit is not None and limit > _PAGE_MAX:
        limit = None
    query = query.offset(min(offset, _PAGE_MAX))
    return query.limit(limit) if limit is not None else query


class Database:
    """The engine of one database URL and the ways to use it."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.sqlite = engine.dialect.name == "sqlite"
        self._writer = engine.execution_options(tracker_write=True)
        # One snapshot for a whole export or verify (see `snapshot`).
        self._reader = (
            engine
            if self.sqlite
            else engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        )
        self._default_actor: str | None = None
        # SQLite writes from the thread that opened the tracker keep the pooled connection they
        # wrote on (no transaction open between writes) until close() or garbage collection:
        # check-out and check-in cost a fire ~13 %. Other threads check out per write.
        self._owner = threading.get_ident()
        self._held: Any = None
        self._release: Callable[[], Any] = _nothing
        # The read transaction `read()` holds open in this thread (a context variable: each
        # thread, a TUI worker included, has its own).
        self._reading: ContextVar[Session | None] = ContextVar(f"reading_{id(self)}", default=None)

    def close(self) -> None:
        """Release the database connections."""
        self.drop_held()
        self.engine.dispose()

    def drop_held(self) -> None:
        """Give the kept write connection back to the pool (which resets it)."""
        self._held = None
        self._release()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def session(self, write: bool = False, *, bind: Engine | None = None) -> Iterator[Session]:
        """One transaction; database errors come out as the tracker's own. A read inside
        `read()` joins that read's transaction instead of opening its own."""
        joined = None if write or bind is not None else self._reading.get()
        if joined is not None:
            with self.mapped_errors():
                yield joined
            return
        with (
            self.mapped_errors(),
            _orm_session(bind or (self._writer if write else self.engine)) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def mapped_errors(self) -> Iterator[None]:
        """Database errors raised in the block come out as the tracker's own."""
        try:
            yield
        except SQLAlchemyError as exc:
            raise self.error(exc) from None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One transaction, on one snapshot, for every read made in the block: a read that
        takes several statements (an item, its history page, its spans) sees one state of the
        database and opens one transaction, not one per statement. REPEATABLE READ, READ ONLY
        on PostgreSQL; one read transaction on SQLite (WAL keeps its snapshot). Reads in the
        block (`session()` without `write`) join it; so does a `read()` inside one."""
        joined = self._reading.get()
        if joined is not None:
            yield joined
            return
        with self.snapshot() as session:
            token = self._reading.set(session)
            try:
                yield session
            finally:
                self._reading.reset(token)

    @contextmanager
    def snapshot(self, imported: str | None = None) -> Iterator[Session]:
        """One consistent read of the whole database, however long it takes while others write:
        on PostgreSQL a REPEATABLE READ, READ ONLY transaction (`imported`: a snapshot another
        transaction exported with pg_export_snapshot(), so that two processes read the same
        data); on SQLite one read transaction (WAL keeps its snapshot until it ends)."""
        with self.session(bind=self._reader) as session:
            if imported is not None:
                if not _SNAPSHOT_ID.match(imported):
                    raise UsageError(f"bad snapshot id {imported!r}")
                # The first statement of the transaction; SET takes no bound parameters.
                session.execute(text(f"SET TRANSACTION SNAPSHOT '{imported}'"))
            yield session

    def sqlite_transaction(self, work: Callable[[sqlite3.Connection], T], *, commit: bool) -> T:
        """`work` on the pooled sqlite3 connection (the engine's connect settings applied):
        BEGIN IMMEDIATE, the work, COMMIT (or ROLLBACK on any error or without `commit`).
        A session's setup, events and commit cost a single fire more than its SQL does."""
        mine = threading.get_ident() == self._owner
        pooled = self._held if mine else None
        if pooled is None:
            try:
                pooled = self.engine.raw_connection()
            except SQLAlchemyError as exc:
                raise self.error(exc) from None
            if mine:
                self._held = pooled
                # Returned even when the tracker is never closed (no pool warning at exit).
                self._release = weakref.finalize(self, pooled.close)
        connection = pooled.driver_connection
        assert connection is not None
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                done = work(connection)
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT" if commit else "ROLLBACK")
            return done
        except sqlite3.Error as exc:
            # The connection goes back to the pool (which resets it) rather than be kept.
            if mine:
                self.drop_held()
            else:
                pooled.close()
                pooled = None
            wrapped = DBAPIError.instance(None, None, exc, sqlite3.Error)
            raise self.error(wrapped) from None
        finally:
            if not mine and pooled is not None:
                pooled.close()

    def error(self, exc: SQLAlchemyError) -> TrackerError:
        """The tracker error a database error means to a user."""
        message = first_line(exc)
        lowered = message.lower()
        if isinstance(exc, IntegrityError):
            return Conflict(f"a concurrent writer won: {message}")
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501":
            # PostgreSQL refused this role (a read-only role writing, an actor not its own).
            return NotAllowed(f"permission denied: {message}")
        if "locked" in lowered or "deadlock" in lowered or "could not serialize" in lowered:
            return Conflict(f"database is busy (another writer holds it): {message}")
        if isinstance(exc, OperationalError | DBAPIError):
            return DatabaseUnusable(f"database {safe_url(self.url)}: {message}")
        return DatabaseUnusable(f"database error: {message}")

    # -- dialect helpers ----------------------------------------------------------------------

    def time_text(self, column: Any) -> ColumnElement[str]:
        """A time column as the canonical text, computed by the database."""
        return time_text(column, self.sqlite)

    def key_sets(self, lowered: list[str]) -> Iterator[ColumnElement[bool]]:
        """Conditions selecting these lower-cased keys (see store.sql.key_sets)."""
        return key_sets(lowered, self.sqlite)

    def rows(self, session: Session, query: Any) -> list[Any]:
        """Every row of `query` (its parameters bound as usual) as the driver's plain tuples:
        SQLAlchemy's Row per row and its result processing cost a list of 14,000 items a
        fifth of its time. For columns that need no processing (text, numbers)."""
        result = session.connection().execute(query)
        try:
            with self.driver_errors():
                return list(result.cursor.fetchall())
        finally:
            result.close()

    def stream(
        self, session: Session, query: Any, size: int = 20_000, name: str = "tracker_read"
    ) -> Generator[Sequence[Any], None, None]:
        """A large read as lists of plain tuples straight from the driver (no per-row
        SQLAlchemy work); a server-side cursor on PostgreSQL (`name`: one per cursor open at
        once), so memory stays flat."""
        sql = str(
            query.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True})
        )
        connection = session.connection().connection
        cursor = connection.cursor() if self.sqlite else connection.cursor(name=name)
        try:
            with self.driver_errors():
                cursor.execute(sql)
                while rows := cursor.fetchmany(size):
                    yield rows
        finally:
            cursor.close()

    @contextmanager
    def driver_errors(self) -> Iterator[None]:
        """The driver's own errors, raised where SQLAlchemy does not see them (the driver's
        cursor fetching a text column that holds bytes that are not UTF-8, written by another
        program: exit 1 before), as the tracker's own, like any other read's."""
        driver_error = self.engine.dialect.loaded_dbapi.Error
        try:
            yield
        except driver_error as exc:
            raise self.error(DBAPIError.instance(None, None, exc, driver_error)) from None

    @property
    def default_actor(self) -> str:
        """Who a change is by when no actor is given: the OS user on SQLite, the database
        role (current_user) on PostgreSQL. It must pass the rule an explicit actor passes
        (fields.text): a UsageError naming where it came from, never a record no import takes."""
        if self._default_actor is None:
            if self.sqlite:
                try:
                    found = getpass.getuser()
                except (KeyError, OSError):
                    found = "unknown"
                # getpass reads these variables in this order, then the user database.
                where = next(
                    (f"${name}" for name in _USER_VARIABLES if os.environ.get(name) == found),
                    "the OS user name",
                )
            else:
                with self.session() as session:
                    found = str(session.execute(select(func.current_user())).scalar())
                where = "the PostgreSQL role (current_user)"
            try:
                self._default_actor = fields.text("actor", found, required=True) or found
            except UsageError as exc:
                raise UsageError(
                    f"the default actor from {where} is not usable: {exc}; "
                    "set it to your name, or give --actor"
                ) from None
        return self._default_actor
