"""Plain helpers of the reliability tests (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import psycopg

from tests.conftest import Result
from tracker import Tracker
from tracker.cli.app import run

ROLES_SQL = Path(__file__).parents[2] / "docs" / "roles.sql"
PG_SERVER = os.environ.get("TRACKER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def pg_connect(dbname: str, user: str | None = None) -> psycopg.Connection:
    """An autocommit connection to `dbname` (as the server URL's user, or `user`)."""
    who, hostport = PG_SERVER.split("://", 1)[1].split("@", 1)
    host, port = hostport.split(":")
    return psycopg.connect(
        host=host, port=int(port), user=user or who, dbname=dbname, autocommit=True
    )


def pg_url_as(url: str, role: str) -> str:
    """`url` (a pg_url fixture value) logging in as `role` instead."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


def snapshot(url: str) -> str:
    """Everything in the database as an export (items, history, hashes):
    comparing two snapshots tells whether anything at all was written."""
    out = io.StringIO()
    with Tracker.open(url) as opened:
        opened.export(out)
    return out.getvalue()


def schema_of(url: str) -> str:
    """The per-test schema a `pg_url` points at."""
    return unquote(url).split("search_path=", 1)[1].split("&", 1)[0]


@contextlib.contextmanager
def history_held(url: str) -> Iterator[Callable[[], int]]:
    """For the block, another transaction holds the history table of `url` (a pg_url) in
    SHARE mode: a write into history (INSERT or COPY) waits on it, reading and writing items
    do not. Yields a function that waits for the writer stopped there, one that has already
    written (holds a transaction id), and returns its backend's pid."""
    database = url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
    blocker = pg_connect(database)
    admin = pg_connect(database)
    try:
        blocker.execute(f'SET search_path TO "{schema_of(url)}"')
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE history IN SHARE MODE")

        def writer() -> int:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                row = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))"
                    " AND backend_xid IS NOT NULL"
                    " AND (query ILIKE 'INSERT INTO history%%' OR query ILIKE 'COPY history%%')",
                    (blocker.info.backend_pid,),
                ).fetchone()
                if row:
                    return int(row[0])
                time.sleep(0.05)
            raise AssertionError("no writer reached history")

        yield writer
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        admin.close()


def run_cli(*args: str) -> Result:
    """The CLI's entry point in this process (so a test can patch what it uses)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return Result(code, out.getvalue(), err.getvalue())


def one_error_line(stderr: str) -> str:
    """`stderr` is exactly one `error:` line (no traceback, no warning block)."""
    assert stderr.startswith("error: "), stderr
    assert stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    return stderr


def team_roles(pg_admin: psycopg.Connection, url: str, tag: str) -> dict[str, str]:
    """docs/roles.sql run on the schema `url` points at, every role it creates renamed with
    the suffix `_tag` (roles are cluster-wide: a test run must not meet another's). Returns
    {name in the script: name made}; drop them with `drop_roles`. A party role
    `tracker_party_rok` becomes `tracker_party_rok_<tag>`: the party `ROK_<TAG>`."""
    script = ROLES_SQL.read_text(encoding="utf-8")
    made = {
        name: f"{name}_{tag}" for name in re.findall(r"^CREATE ROLE (\w+)", script, re.MULTILINE)
    }
    for name, unique in made.items():
        script = re.sub(rf"\b{name}\b", unique, script)
    schema = schema_of(url)
    pg_admin.execute(f'SET search_path TO "{schema}"')
    pg_admin.execute(script.replace("SCHEMA public", f'SCHEMA "{schema}"'))
    return made


def drop_roles(pg_admin: psycopg.Connection, names: list[str]) -> None:
    """Drop roles a test made (members before their groups), and what they own."""
    for name in names:
        pg_admin.execute(f"DROP OWNED BY {name}")
        pg_admin.execute(f"DROP ROLE {name}")
