"""The proof of "Bad input" (issue 9): hypothesis drives the real CLI entry point (in process,
SQLite) with arbitrary text and bytes in arguments, in batch and export files, and in workflow
files. Whatever it is given, the exit code is a documented one (0, 2-7: never 1, "a bug in the
tracker"), stderr never holds a traceback, an error is one `error:` line, and when the exit
is not 0 the database is exactly as it was (a full export compared before and after)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CLI
from tests.reliability.support import snapshot
from tracker import Tracker
from tracker.cli.app import cli as root

DOCUMENTED = {0, 2, 3, 4, 5, 6, 7}
FUZZ = settings(
    max_examples=int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _commands() -> dict[tuple[str, ...], click.Command]:
    """Every command of the CLI by its path (`view save`...), but the TUI."""
    found: dict[tuple[str, ...], click.Command] = {}

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        elif path != ("tui",):
            found[path] = command

    walk(root, ())
    return found


COMMANDS = _commands()

# Text a user or a script might pass: surrogates stand for undecodable argv bytes (Python
# decodes argv with surrogateescape), huge numbers, dates near the limits, control characters.
ARGV_BYTES = st.binary(max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape"))
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)
LIKELY = st.sampled_from(
    [
        "ACSA", "sarex", "DRILLS", "REFUEL", "NEW1", "resume", "stall", "suspend", "propose",
        "sign", "proposed", "stalled", "exercise", "agreement", "ROK", "JPN", "USA", "%", "_", "",
        " ", "-", "--", "now", "2026-02-30", "2026-01-30T09:00:00+09:00", "9999-12-31",
        "0001-01-01", "1e999", "-1", "0", "9" * 30, "9" * 5000, "json", "csv", "ndjson",
        "mermaid", "table", "state=stalled", "kind=", "x.svg", "x.png", "x.html", "default",
    ]
)  # fmt: skip
VALUES = LIKELY | ANY_TEXT | ARGV_BYTES

JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(
        ["add", "fire", "comment", "edit", "approve", "withdraw", "ACSA", "resume", "sign"]
    )
    | st.sampled_from(["ROK", "JPN", "2026-02-30"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["op", "key", "trigger", "title", "kind", "at", "parties", "party", "type"]
            )
            | st.text(max_size=5),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


def _serialised(value: Any, form: str) -> bytes:
    if form == "ndjson" and isinstance(value, list):
        return "".join(json.dumps(v) + "\n" for v in value).encode()
    if form == "yaml":
        import yaml

        return yaml.safe_dump(value, allow_unicode=True).encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


FILE_CONTENT = (
    st.binary(max_size=300)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.builds(_serialised, JSONISH, st.sampled_from(["json", "ndjson", "yaml"]))
)
TOML = st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")) | st.sampled_from(
    [
        b'name = "x"\ninitial = "a"\nstates = ["a", "b"]\n[[transitions]]\ntrigger = "go"\n'
        b'from = ["a"]\nto = "b"\n',
        b'name = "default"\ninitial = "a"\nstates = ["a"]\n[[transitions]]\ntrigger = "state"\n'
        b'from = ["a"]\nto = "a"\n',
        b"x = " + b"[" * 5000,
    ]
)


@st.composite
def invocation(draw: st.DrawFn) -> tuple[tuple[str, ...], list[str]]:
    """A command path and arguments: its own options (with values) mixed with values."""
    path = draw(st.sampled_from(sorted(COMMANDS)))
    options = [o for p in COMMANDS[path].params if isinstance(p, click.Option) for o in p.opts]
    args: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        if options and draw(st.booleans()):
            args.append(draw(st.sampled_from(options)))
        args.append(draw(VALUES | st.just("{file}")))
    return path, args


def _check(seeded: Tracker, run: Callable[[], Any], before: str | None = None) -> tuple[int, str]:
    before = snapshot(seeded.url) if before is None else before
    result = run()
    assert result.code in DOCUMENTED, (result.code, result.err)
    assert "Traceback" not in result.err, result.err
    if result.code != 0:
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
        assert snapshot(seeded.url) == before, "a failed command changed the database"
    return result.code, result.err


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Relative paths (export -o, timeline -o, anchor -o) and the anchor key land in tmp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TRACKER_WORKFLOWS", raising=False)
    return tmp_path


@SQLITE
@FUZZ
@given(call=invocation(), content=FILE_CONTENT, workflow=st.none() | TOML)
def test_any_arguments_get_a_documented_exit_and_change_nothing_on_error(
    seeded: Tracker,
    cli: CLI,
    sandbox: Path,
    call: tuple[tuple[str, ...], list[str]],
    content: bytes,
    workflow: bytes | None,
) -> None:
    path, args = call
    (sandbox / "input").write_bytes(content)
    top: list[str] = []
    if workflow is not None:
        (sandbox / "wf").mkdir(exist_ok=True)
        (sandbox / "wf" / "w.toml").write_bytes(workflow)
        top = ["--workflows", str(sandbox / "wf")]
    argv = [*top, *path, *(str(sandbox / "input") if a == "{file}" else a for a in args)]
    _check(seeded, lambda: cli(*argv, stdin=content))


@SQLITE
@FUZZ
@given(content=FILE_CONTENT, command=st.sampled_from(["apply", "import"]), flag=st.booleans())
def test_any_batch_or_export_file_gets_a_documented_exit(
    seeded: Tracker, cli: CLI, sandbox: Path, content: bytes, command: str, flag: bool
) -> None:
    (sandbox / "input").write_bytes(content)
    extra = ["--dry-run" if command == "apply" else "--merge"] if flag else []
    _check(seeded, lambda: cli(command, *extra, str(sandbox / "input")))
    _check(seeded, lambda: cli(command, *extra, "-", stdin=content))


def _mutated_export(lines: list[str], data: st.DataObject) -> bytes:
    """An export with one line replaced by arbitrary JSON, its fields changed, or cut."""
    out = list(lines)
    index = data.draw(st.integers(0, len(out) - 1))
    how = data.draw(st.sampled_from(["field", "line", "cut", "bytes"]))
    if how == "field":
        obj = json.loads(out[index])
        obj[data.draw(st.sampled_from([*obj, "extra"]))] = data.draw(JSONISH)
        out[index] = json.dumps(obj)
    elif how == "line":
        out[index] = json.dumps(data.draw(JSONISH))
    elif how == "cut":
        out[index] = out[index][: data.draw(st.integers(0, len(out[index])))]
    else:
        return ("\n".join(out) + "\n").encode() + data.draw(st.binary(max_size=50))
    return ("\n".join(out) + "\n").encode()


@pytest.fixture
def exported(seeded: Tracker) -> list[str]:
    return snapshot(seeded.url).splitlines()


@pytest.fixture
def targets() -> list[str]:
    """Import targets, kept across the examples of one test (fixtures are made once)."""
    return []


@SQLITE
@FUZZ
@given(data=st.data())
def test_any_mutated_export_gets_a_documented_exit(
    exported: list[str],
    cli: CLI,
    sandbox: Path,
    another_db: Callable[[], str],
    targets: list[str],
    data: st.DataObject,
) -> None:
    """Into an empty database (a new one whenever an import succeeded)."""
    content = _mutated_export(exported, data)
    if not targets or snapshot(targets[-1]).count("\n") > 1:  # the last import succeeded
        targets.append(another_db())
        with Tracker.open(targets[-1]):
            pass
    target = targets[-1]
    before = snapshot(target)
    result = cli("--db", target, "import", "-", stdin=content)
    assert result.code in DOCUMENTED, (result.code, result.err)
    assert "Traceback" not in result.err
    if result.code != 0:
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
        assert snapshot(target) == before
    else:
        assert cli("--db", target, "verify").code == 0


# -- consents (issue 12): approve, withdraw and pending, with any party map ------------------

CONSENT_COMMANDS = (("approve",), ("withdraw",), ("pending",))
PARTY_MAPS = st.sampled_from(
    [
        b'[actors]\nroot = ["ROK", "JPN"]\n',
        b'[actors]\nkim = ["ROK"]\ntanaka = ["JPN"]\n',
        b'[actors]\nkim = "ROK"\n',  # not a list
        b"[actors]\nkim = [1, 2]\n",
        b'[actors]\nkim = ["rok!"]\n',
        b"actors = 3\n",
        b"[actors\n",
        b"\xff\xfe",
        b"",
    ]
) | st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass"))
CONSENT_VALUES = (
    st.sampled_from(["ACSA", "SAREX", "sign", "resume", "stall", "approve", "withdraw", "comment"])
    | st.sampled_from(["ROK", "JPN", "USA", "rok", "R O K", "kim", "tanaka", "root", "x" * 17])
    | VALUES
)


@st.composite
def consent_invocation(draw: st.DrawFn) -> list[str]:
    """approve/withdraw KEY TRIGGER or pending, with their options and likely values."""
    path = draw(st.sampled_from(CONSENT_COMMANDS))
    options = [o for p in COMMANDS[path].params if isinstance(p, click.Option) for o in p.opts]
    args = [draw(CONSENT_VALUES) for _ in range(draw(st.integers(0, 2)))]
    for _ in range(draw(st.integers(0, 4))):
        args += [draw(st.sampled_from(options)), draw(CONSENT_VALUES)]
    return [*path, *args]


def test_the_fuzzed_commands_include_the_consent_commands() -> None:
    assert set(CONSENT_COMMANDS) <= set(COMMANDS)


@SQLITE
@FUZZ
@given(argv=consent_invocation(), party_map=st.none() | PARTY_MAPS)
def test_any_consent_arguments_and_party_map_get_a_documented_exit(
    seeded: Tracker,
    cli: CLI,
    sandbox: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    party_map: bytes | None,
) -> None:
    if seeded.get("ACSA").state == "stalled":  # sign is gated from resumed
        seeded.fire("ACSA", "resume")
    if party_map is None:
        monkeypatch.delenv("TRACKER_PARTIES", raising=False)
    else:
        (sandbox / "parties.toml").write_bytes(party_map)
        monkeypatch.setenv("TRACKER_PARTIES", str(sandbox / "parties.toml"))
    _check(seeded, lambda: cli(*argv))
