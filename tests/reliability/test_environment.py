"""The database URL and the environment (issue 9): an empty URL, a bare path, an in-memory or
unsupported database, a malformed setting. Each is one `error:` line and exit 2, or (a path)
exactly the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_exe
from tests.reliability.support import one_error_line, run_cli
from tracker import Tracker, UsageError


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, and an empty data directory for the default database."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TRACKER_DB", raising=False)
    return work


def files_under(*roots: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for root in roots
        if root.exists()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///",
        "sqlite://",
        "",
        "  ",
        "sqlite:///:memory:",
        "sqlite:///file:x?mode=memory&uri=true",
        "sqlite:///:memory:?mode=memory",
    ],
)
def test_no_file_or_memory_is_refused(here: Path, url: str) -> None:
    """An unset variable in `--db "sqlite:///$FILE"` used an in-memory database: `add` said
    added and the next command found nothing."""
    result = run_cli("--db", url, "add", "X", "--title", "t", "--kind", "drill")
    assert result.code == 2, result
    one_error_line(result.err)
    assert result.out == ""
    assert files_under(here, here.parent / "data") == set()


def test_tracker_db_unset_or_empty_means_the_default_file(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DB", "")
    assert run_cli("add", "X", "--title", "t", "--kind", "drill").code == 0
    assert files_under(here.parent / "data") == {"tracker/tracker.db"}
    assert run_cli("show", "X").code == 0


def test_the_python_api_refuses_a_url_without_a_file(here: Path) -> None:
    with pytest.raises(UsageError, match="names no file"):
        Tracker.open("sqlite://")


@pytest.mark.parametrize("name", ["dir/my?file.db", "a%41b.db", "x#y.db", "s p+a.db", "é€.db"])
def test_a_bare_path_is_exactly_that_file(here: Path, name: str) -> None:
    """`--db "dir/my?file.db"` wrote `dir/my`, `a%41b.db` wrote `aAb.db`."""
    assert run_cli("--db", name, "add", "X", "--title", "t", "--kind", "drill").code == 0
    shown = run_cli("--db", name, "show", "X")
    assert shown.code == 0 and "X" in shown.out
    made = files_under(here) - {f"{name}-wal", f"{name}-shm"}
    assert made == {name}


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@localhost/tracker",
        "oracle://user@localhost/tracker",
        "postgresql+asyncpg://user@localhost/tracker",
        "postgresql+psycopg2://user@localhost/tracker",
        "sqlite+aiosqlite:///x.db",
        "nosuchdb://x",
    ],
)
def test_unsupported_drivers_are_usage_errors(here: Path, url: str) -> None:
    result = run_cli("--db", url, "list")
    assert result.code == 2
    assert "unsupported database URL" in one_error_line(result.err)


def test_a_url_argument_the_driver_ignores_is_one_error_line(here: Path, tracker_exe: str) -> None:
    """`?mode=...` without uri=true printed SQLAlchemy's warning block on stderr (a real
    process: pytest would swallow the warning in this one)."""
    result = run_exe(tracker_exe, "--db", "sqlite:///x.db?mode=ro", "list")
    assert result.returncode == 2
    assert "'mode'" in one_error_line(result.stderr)
    assert "Warning" not in result.stderr
    assert files_under(here) == set()


@pytest.mark.parametrize("value", ["abc", "-1", "1e3", "10.5", "0x10", "9" * 5000, "2147483648"])
@pytest.mark.parametrize(
    ("variable", "postgresql"),
    [("TRACKER_BUSY_TIMEOUT_MS", False), ("TRACKER_CONNECT_TIMEOUT", True)],
)
def test_a_setting_that_is_not_a_whole_number_is_a_usage_error(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    postgresql: bool,
    value: str,
) -> None:
    url = str(request.getfixturevalue("pg_url")) if postgresql else str(tmp_path / "t.db")
    monkeypatch.setenv(variable, value)
    result = run_cli("--db", url, "list")
    assert result.code == 2, result
    assert variable in one_error_line(result.err)
    monkeypatch.setenv(variable, " 300 ")
    assert run_cli("--db", url, "list").code == 0


@pytest.mark.parametrize("value", ["ab\x01c", "a\x1bb", "x\u202ey", "\u2028", "  "])
def test_a_default_actor_the_text_rule_refuses_is_a_usage_error(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A control character in LOGNAME was written (verify passed) and the export then did
    not import: the default actor passes the rule an explicit --actor passes."""
    monkeypatch.setenv("LOGNAME", value)
    result = run_cli("--db", sqlite_url, "add", "A", "--title", "t", "--kind", "drill")
    assert result.code == 2
    assert "$LOGNAME" in one_error_line(result.err)
    assert run_cli("--db", sqlite_url, "list", "--format", "json").out.strip() == "[]"
    named = run_cli(
        "--db", sqlite_url, "add", "A", "--title", "t", "--kind", "drill", "--actor", "ana"
    )
    assert named.code == 0, named.err


def test_the_default_actor_is_the_os_user(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "kim")
    assert run_cli("--db", sqlite_url, "add", "A", "--title", "t", "--kind", "drill").code == 0
    with Tracker.open(sqlite_url) as opened:
        assert [entry.actor for entry in opened.history("A")] == ["kim"]


@pytest.mark.parametrize(
    "url",
    [
        # uri=true with a plain file name: sqlite3 takes "x.db?mode=ro" as a file NAME, so the
        # add went to a new file "x.db?mode=ro", mode ignored, and said "added"
        "sqlite:///x.db?uri=true&mode=ro",
        "sqlite:///x.db?mode=ro&uri=true&cache=shared",
    ],
)
def test_uri_arguments_on_a_plain_file_name_are_refused(here: Path, url: str) -> None:
    result = run_cli("--db", url, "add", "Z", "--title", "z", "--kind", "drill")
    assert result.code == 2
    assert "file:" in one_error_line(result.err)
    assert files_under(here) == set()


@pytest.mark.parametrize(
    "url", ["postgresql://postgres@[::1/x", "postgresql://u@host:notaport/x", "sqlite://x:y/z"]
)
def test_a_url_that_does_not_parse_is_a_usage_error(here: Path, url: str) -> None:
    result = run_cli("--db", url, "list")
    assert result.code == 2
    assert "database URL" in one_error_line(result.err)
    assert files_under(here) == set()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///x.db?timeout=abc",
        "sqlite:///x.db?detect_types=abc",
        "sqlite:///x.db?check_same_thread=maybe",
        "sqlite:///x.db?cached_statements=x",
        "sqlite:///x.db?uri=maybe",
    ],
)
def test_a_url_argument_the_driver_cannot_read_is_a_usage_error(here: Path, url: str) -> None:
    """A value SQLAlchemy's pysqlite dialect converts (float, int, bool) and cannot was exit 1,
    `error: unexpected ValueError: could not convert string to float: 'abc'`."""
    result = run_cli("--db", url, "add", "Z", "--title", "z", "--kind", "drill")
    assert result.code == 2, result
    assert "database URL" in one_error_line(result.err)
    assert files_under(here) == set()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TRACKER_DB", "bad-\udcff.db", "TRACKER_DB"),
        ("TRACKER_DB", "sqlite:///bad-\udcff.db", "TRACKER_DB"),
        ("XDG_DATA_HOME", "data-\udcff", "TRACKER_DB"),
    ],
)
def test_a_database_path_that_is_not_utf8_is_a_usage_error(
    here: Path, tracker_exe: str, variable: str, value: str, says: str
) -> None:
    """Bytes that are not UTF-8 in TRACKER_DB (or the data directory the default file is in)
    were exit 1, `unexpected UnicodeEncodeError: ... surrogates not allowed`."""
    env = {"TRACKER_DB": ""} if variable != "TRACKER_DB" else {}
    result = run_exe(
        tracker_exe,
        "add",
        "X",
        "--title",
        "t",
        "--kind",
        "drill",
        env={**env, variable: str(here / value) if variable == "XDG_DATA_HOME" else value},
    )
    assert result.returncode == 2, result
    line = one_error_line(result.stderr)
    assert "not valid UTF-8" in line and says in line and "\\xff" in line, line
    assert files_under(here) == set()


@pytest.mark.parametrize("end", ["-wal", "-shm", "-journal"])
def test_a_databases_journal_file_is_refused_as_a_database(here: Path, end: str) -> None:
    """`--db tracker.db-wal` (a slip of tab completion) made a new database by that name; the
    next open of tracker.db took that file for its write-ahead log, found it invalid and
    deleted it, and every item added to it with it."""
    assert run_cli("--db", "tracker.db", "init").code == 0
    before = files_under(here)
    result = run_cli("--db", f"tracker.db{end}", "add", "X", "--title", "t", "--kind", "drill")
    assert result.code == 2, result
    line = one_error_line(result.err)
    assert "tracker.db" in line and "journal" in line, line
    assert files_under(here) == before
    alone = run_cli("--db", f"notes{end}", "add", "X", "--title", "t", "--kind", "drill")
    assert alone.code == 0, alone  # no database beside it: an ordinary name


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://kim:s3cr3t@[::1/x",
        "postgresql://kim:s3cr3t@db.example:notaport/x",
        "sqlite://kim:s3cr3t@/",
        "postgresql://kim:s3cr3t@127.0.0.1:1/x",
    ],
)
def test_a_password_in_a_bad_url_is_never_shown(here: Path, url: str) -> None:
    """A URL that did not parse was quoted whole in the error, password and all (stderr goes
    to CI logs); one that parsed had it masked."""
    result = run_cli("--db", url, "list")
    assert result.code in (2, 6), result
    line = one_error_line(result.err)
    assert "s3cr3t" not in line and "kim:***@" in line, line
