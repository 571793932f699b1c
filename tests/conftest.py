"""Fixtures: fresh databases (SQLite files; PostgreSQL schemas in a database made for this
run and dropped after it), a Tracker on each, and the CLI's real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tracker import Tracker
from tracker.cli.app import run

PG_SERVER = os.environ.get("TRACKER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_ADMIN_DB = "test"


def _pg_connect(dbname: str):  # type: ignore[no-untyped-def]
    import psycopg

    host_part = PG_SERVER.split("://", 1)[1]
    user, hostport = host_part.split("@", 1)
    host, port = hostport.split(":")
    return psycopg.connect(
        host=host, port=int(port), user=user, dbname=dbname, autocommit=True, connect_timeout=5
    )


@pytest.fixture(scope="session", autouse=True)
def no_user_party_map(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests never read the user's own party map (parties.toml in the config directory):
    an empty config directory, TRACKER_PARTIES unset; a test that wants a map sets one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        patch.delenv("TRACKER_PARTIES", raising=False)
        yield


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this test run (per xdist worker), dropped at the end.
    Unreachable server: the tests fail when CI=true, and skip (saying why) elsewhere."""
    name = f"tracker_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = _pg_connect(PG_ADMIN_DB)
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_SERVER} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_SERVER} is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _pg_connect(PG_ADMIN_DB) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A URL to a fresh, empty schema of the run's PostgreSQL database."""
    schema = f"s_{uuid.uuid4().hex[:12]}"
    with _pg_connect(pg_database) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_SERVER}/{pg_database}?options=-csearch_path%3D{schema}"


@pytest.fixture
def another_db(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Make more fresh, empty databases of the same kind as `db_url` (e.g. an import target)."""
    made = iter(range(1_000_000))

    def make() -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'other{next(made)}.db'}"
        pg_database = request.getfixturevalue("pg_database")
        schema = f"s_{uuid.uuid4().hex[:12]}"
        with _pg_connect(pg_database) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return f"{PG_SERVER}/{pg_database}?options=-csearch_path%3D{schema}"

    return make


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def tracker(db_url: str) -> Iterator[Tracker]:
    with Tracker.open(db_url) as opened:
        yield opened


@pytest.fixture
def seeded(tracker: Tracker) -> Tracker:
    tracker.seed()
    return tracker


@dataclass
class Result:
    code: int
    out: str
    err: str


CLI = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    """Run `tracker --db URL ARGS...` through the console entry point, in this process."""

    def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
        if stdin is not None:
            import io

            raw = stdin.encode("utf-8", "surrogatepass") if isinstance(stdin, str) else stdin
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), "utf-8"))
        capsys.readouterr()
        code = run(["--db", db_url, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def tracker_exe() -> str:
    """The installed `tracker` console script."""
    exe = Path(sys.executable).with_name("tracker")
    assert exe.exists(), f"no console script at {exe}: install the project first"
    return str(exe)


def in_time(call: Callable[[], object], seconds: float = 10) -> BaseException | None:
    """What `call` raised (None if nothing), failing the test if it has not returned within
    `seconds` (a read that blocks, e.g. on a FIFO): it runs in a daemon thread."""
    import threading

    raised: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            raised.append(exc)
        else:
            raised.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: it hangs"
    return raised[0]


def run_exe(
    exe: str, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real console script as a separate process."""
    return subprocess.run(
        [exe, *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
