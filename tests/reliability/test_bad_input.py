"""Bad input: a catalogue of what users and files get wrong. Each case gives one clear
`error:` line, its documented exit code (README), and leaves the database exactly as it was
(a full export compared before and after). Then hypothesis throws generated batches and
exports at `apply` and `import`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CLI
from tests.reliability.support import one_error_line, run_cli, snapshot
from tracker import Tracker

DOCUMENTED = {2, 3, 4, 5, 6, 7}


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    code: int
    says: str
    stdin: str | None = None
    files: tuple[tuple[str, str | bytes], ...] = ()


def add(key: str = "NEW", *extra: str) -> tuple[str, ...]:
    return ("add", key, "--title", "New item", "--kind", "exercise", *extra)


def ops(*objects: object) -> str:
    return "".join(json.dumps(o) + "\n" for o in objects)


GOOD_ADD = {"op": "add", "key": "NEW", "title": "New item", "kind": "exercise"}
BAD_WORKFLOW = "[[transitions]]\ntrigger = 'go'\nfrom = ['a']\nto = 'b'\n"

CASES = [
    # keys
    Case("key with a space", add("A B"), 2, "bad key"),
    Case("key with a non-ASCII letter", add("Ä"), 2, "bad key"),
    Case("key starting with a digit", add("1ABC"), 2, "bad key"),
    Case("key of 65 characters", add("K" * 65), 2, "bad key"),
    Case("empty key", add(""), 2, "needs 'key'"),
    Case("SQL in a key", ("fire", "ACSA'; DROP TABLE items; --", "resume"), 3, "no item"),
    Case("SQL in a sort column", ("list", "--sort", "key; DROP TABLE items"), 2, "cannot sort"),
    # unicode and control characters
    Case("terminal escape in a title", add("NEW", "--title", "a\x1b[2Jb"), 2, "control"),
    Case("OSC title sequence in a title", add("NEW", "--title", "\x1b]0;x\x07"), 2, "control"),
    Case("bidi override in a title", add("NEW", "--title", "abc\u202edef"), 2, "control"),
    Case("line separator in a title", add("NEW", "--title", "a\u2028b"), 2, "control"),
    Case("NUL in a reason", ("fire", "SAREX", "stall", "--reason", "a\x00b"), 2, "control"),
    Case("C1 CSI in a source", ("fire", "ACSA", "resume", "--source", "\x9b2J"), 2, "control"),
    Case("newline in an actor", ("fire", "ACSA", "resume", "--actor", "a\nb"), 2, "control"),
    Case("lone surrogate in a title", add("NEW", "--title", "\udcff"), 2, "not valid UTF-8"),
    Case("blank title", add("NEW", "--title", "   "), 2, "must not be empty"),
    Case("party with a space", add("NEW", "--party", "ROK JPN"), 2, "bad party"),
    Case("kind with accents", ("add", "NEW", "--title", "t", "--kind", "Ünï"), 2, "bad kind"),
    # huge fields
    Case("title of 501 characters", add("NEW", "--title", "x" * 501), 2, "too long"),
    Case("description of 20001", add("NEW", "--description", "x" * 20_001), 2, "too long"),
    Case(
        "3 MB description in a batch",
        ("apply", "-"),
        2,
        "too long",
        stdin=ops({**GOOD_ADD, "description": "x" * 3_000_000}),
    ),
    # dates and time zones
    Case("30 February", add("NEW", "--at", "2026-02-30"), 2, "bad date"),
    Case("offset beyond 24 hours", add("NEW", "--at", "2026-01-01T00:00+25:00"), 2, "bad date"),
    Case("named time zone", add("NEW", "--at", "2026-01-01T00:00 Asia/Seoul"), 2, "bad date"),
    Case("past the last time", add("NEW", "--at", "9999-12-31T23:59:59-23:59"), 2, "range"),
    Case("year 1", add("NEW", "--at", "0001-01-01"), 2, "before 1900"),
    Case("offset pushing 1900 into 1899", add("NEW", "--at", "1900-01-01T00:00+14:00"), 2, "1900"),
    Case("the future", add("NEW", "--at", "2126-01-01"), 2, "in the future"),
    Case("before the latest entry", ("comment", "ACSA", "x", "--at", "2000-01-01"), 4, "order"),
    Case("words for a date", ("history", "--since", "yesterday"), 2, "bad date"),
    Case("month 13", ("as-of", "2026-13-01"), 2, "bad date"),
    Case(
        "YAML date before 1900",
        ("apply", "-"),
        2,
        "1900",
        stdin="- {op: add, key: NEW, title: t, kind: exercise, at: 1800-01-01}\n",
    ),
    # unknown states and triggers; not allowed
    Case("unknown trigger", ("fire", "ACSA", "explode"), 3, "no trigger 'explode'"),
    Case("unknown item", ("fire", "NOPE", "resume"), 3, "no item"),
    Case("unknown workflow", ("workflow", "show", "nonsense"), 3, "nonsense"),
    Case("expected state that is not", ("fire", "ACSA", "resume", "--expect-state", "x"), 5, "x"),
    Case("trigger not allowed here", ("fire", "ACSA", "stall", "--reason", "r"), 4, "allowed"),
    Case("required reason missing", ("fire", "SAREX", "suspend"), 4, "requires reason"),
    # malformed apply files
    Case("unterminated JSON array", ("apply", "-"), 2, "bad JSON", stdin='[{"op": "add"'),
    Case("bad NDJSON line 2", ("apply", "-"), 2, "line 2", stdin=ops(GOOD_ADD) + "{oops\n"),
    Case("YAML mapping, not a list", ("apply", "-"), 2, "list", stdin="op: add\n"),
    Case("unknown op", ("apply", "-"), 2, "unknown op", stdin=ops({"op": "drop", "key": "A"})),
    Case("unknown field", ("apply", "-"), 2, "unknown field", stdin=ops({**GOOD_ADD, "x": 1})),
    Case(
        "missing title",
        ("apply", "-"),
        2,
        "needs 'title'",
        stdin=ops({"op": "add", "key": "A", "kind": "k"}),
    ),
    Case(
        "parties not a list",
        ("apply", "-"),
        2,
        "parties",
        stdin=ops({**GOOD_ADD, "parties": "ROK"}),
    ),
    Case("a number for a key", ("apply", "-"), 2, "string", stdin=ops({**GOOD_ADD, "key": 5})),
    Case("YAML python tag", ("apply", "-"), 2, "bad YAML", stdin="- !!python/object:os.system {}"),
    Case("YAML recursive alias", ("apply", "-"), 2, "bad YAML", stdin="- &a [*a]\n"),
    Case("NUL byte in a batch", ("apply", "-"), 2, "bad YAML", stdin="\x00\x01"),
    Case("JSON nested 100000 deep", ("apply", "-"), 2, "nested", stdin="[" * 100_000),
    Case(
        "a field given twice",
        ("apply", "-"),
        2,
        "twice",
        stdin='{"op": "add", "key": "NEW", "key": "OTHER", "title": "t", "kind": "k"}\n',
    ),
    Case(
        "a YAML field given twice",
        ("apply", "-"),
        2,
        "twice",
        stdin="- {op: add, key: NEW, key: OTHER, title: t, kind: k}\n",
    ),
    Case(
        "duplicate keys in a batch",
        ("apply", "-"),
        5,
        "already exists",
        stdin=ops(GOOD_ADD, {**GOOD_ADD, "key": "new"}),
    ),
    Case(
        "a batch adding an existing key",
        ("apply", "-"),
        5,
        "already exists",
        stdin=ops({**GOOD_ADD, "key": "acsa"}),
    ),
    Case(
        "a good op then a bad one",
        ("apply", "-"),
        4,
        "line 2",
        stdin=ops(GOOD_ADD, {"op": "fire", "key": "ACSA", "trigger": "stall", "reason": "r"}),
    ),
    Case("batch file missing", ("apply", "/nonexistent/batch.json"), 2, "cannot read"),
    Case(
        "batch file not UTF-8",
        ("apply", "{dir}/latin1.json"),
        2,
        "not UTF-8",
        files=(("latin1.json", b'[{"op":"add","key":"NEW","title":"\xe9","kind":"k"}]'),),
    ),
    # malformed workflow files
    Case(
        "workflow TOML syntax",
        ("--workflows", "{dir}", "list"),
        2,
        "bad.toml",
        files=(("bad.toml", "name = 'x\n"),),
    ),
    Case(
        "workflow without states",
        ("--workflows", "{dir}", "list"),
        2,
        "bad.toml",
        files=(("bad.toml", "name = 'bad'\ninitial = 'a'\n" + BAD_WORKFLOW),),
    ),
    Case(
        "workflow to an unknown state",
        ("--workflows", "{dir}", "list"),
        2,
        "bad.toml",
        files=(("bad.toml", "name = 'bad'\ninitial = 'a'\nstates = ['a']\n" + BAD_WORKFLOW),),
    ),
    Case(
        "workflow reusing 'create'",
        ("--workflows", "{dir}", "list"),
        2,
        "bad.toml",
        files=(
            (
                "bad.toml",
                "name = 'bad'\ninitial = 'a'\nstates = ['a', 'b']\n"
                + BAD_WORKFLOW.replace("'go'", "'create'"),
            ),
        ),
    ),
]


def export_lines(seeded: Tracker) -> list[str]:
    return snapshot(seeded.url).splitlines()


def edited(lines: list[str], kind: str, **changes: object) -> str:
    """The export with the first line of `kind` changed."""
    out = list(lines)
    for index, line in enumerate(out):
        obj = json.loads(line)
        if obj.get("type") == kind:
            obj.update(changes)
            out[index] = json.dumps(obj, ensure_ascii=False)
            break
    return "\n".join(out) + "\n"


IMPORT_CASES = [
    ("an entry rewritten (broken chain)", "entry", {"reason": "rewritten"}, 7, "import refused"),
    ("an entry's hash replaced", "entry", {"hash": "0" * 64}, 7, "import refused"),
    ("an escape in an item title", "item", {"title": "a\x1b[2Jb"}, 2, "control"),
    ("a number for a title", "item", {"title": 5}, 2, "title must be a string"),
    ("true for a version", "item", {"version": True}, 2, "version"),
    ("a state the workflow lacks", "item", {"state": "lost"}, 2, "not a state"),
    ("a short hash", "entry", {"hash": "abc"}, 2, "hash"),
    ("a header that is not ours", "header", {}, 2, "not a tracker export"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_clear_error_and_changes_nothing(
    seeded: Tracker, cli: CLI, tmp_path: Path, case: Case
) -> None:
    for name, content in case.files:
        target = tmp_path / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
    args = [a.replace("{dir}", str(tmp_path)) for a in case.args]
    before = snapshot(seeded.url)
    result = cli(*args, stdin=case.stdin)
    assert result.code == case.code, result.err
    assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
    assert case.says in result.err
    assert snapshot(seeded.url) == before


@pytest.mark.parametrize(
    ("kind", "changes", "code", "says"),
    [c[1:] for c in IMPORT_CASES],
    ids=[c[0] for c in IMPORT_CASES],
)
def test_bad_import_is_one_clear_error_and_changes_nothing(
    seeded: Tracker,
    cli: CLI,
    kind: str,
    changes: dict[str, object],
    code: int,
    says: str,
) -> None:
    lines = export_lines(seeded)
    if kind == "header":
        text = "\n".join(['{"format": "something-else", "version": 1}', *lines[1:]]) + "\n"
    else:
        text = edited(lines, kind, **changes)
    before = snapshot(seeded.url)
    result = cli("import", "--merge", "-", stdin=text)
    assert result.code == code, result.err
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert says in result.err
    assert snapshot(seeded.url) == before


def test_truncated_export_is_refused(seeded: Tracker, cli: CLI, tmp_path: Path) -> None:
    """An export cut short (a copy that did not finish) must not restore part of the data."""
    lines = export_lines(seeded)
    with Tracker.open(f"sqlite:///{tmp_path / 'restore.db'}") as empty:
        url = empty.url
    result = cli("--db", url, "import", "-", stdin="\n".join(lines[:-3]) + "\n")
    assert result.code == 2
    assert "truncated" in result.err
    assert snapshot(url).count("\n") == 1  # the header only: nothing imported


def test_valid_oddities_are_stored_and_shown_as_typed(seeded: Tracker, cli: CLI) -> None:
    """Rich markup, SQL-looking text, emoji and right-to-left script are valid titles."""
    titles = ["[bold red]x[/]", "x'); DROP TABLE items; --", "합동 훈련 🚢", "تدريب مشترك"]
    for number, title in enumerate(titles):
        assert cli(*add(f"ODD{number}", "--title", title)).code == 0
    listed = json.loads(cli("list", "--format", "json").out)
    assert {i["title"] for i in listed if i["key"].startswith("ODD")} == set(titles)
    assert cli("verify").code == 0


# -- fuzzing ----------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = st.sampled_from(["ACSA", "sarex", "DRILLS", "NEW1", "new1", "NEW2"]) | st.text(max_size=8)
WORDS = st.sampled_from(["resume", "stall", "suspend", "propose", "sign", "create", "x"])
DATES = st.sampled_from(["2026-02-01", "2026-01-30T09:00:00+09:00", "1999-01-01", "now", "soon"])
OPERATION = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "fire", "comment", "edit", "drop"]),
        "key": KEYS | JSON_VALUES,
    },
    optional={
        "title": st.text(max_size=30) | JSON_VALUES,
        "kind": st.sampled_from(["exercise", "agreement", "Bad Kind"]),
        "trigger": WORDS,
        "reason": st.text(max_size=30),
        "source": st.text(max_size=30),
        "at": DATES | st.text(max_size=12),
        "actor": st.text(max_size=10),
        "parties": st.lists(st.sampled_from(["ROK", "jpn", "U S"]), max_size=3) | JSON_VALUES,
        "expect_state": st.sampled_from(["stalled", "resumed", "proposed", "nowhere"]),
        "description": st.text(max_size=30),
        "surprise": JSON_VALUES,
    },
)


@st.composite
def batch_texts(draw: st.DrawFn) -> str:
    import yaml

    listed = draw(st.lists(OPERATION, max_size=5))
    shape = draw(st.sampled_from(["json", "ndjson", "yaml", "raw", "cut"]))
    if shape == "json":
        return json.dumps(listed)
    if shape == "ndjson":
        return ops(*listed)
    if shape == "yaml":
        return str(yaml.safe_dump(listed, allow_unicode=True))
    if shape == "cut":
        text = json.dumps(listed)
        return text[: draw(st.integers(0, len(text)))]
    return draw(st.text(max_size=200))


FUZZ = settings(
    max_examples=int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(text=batch_texts())
def test_fuzzed_apply_never_crashes_and_an_error_writes_nothing(
    seeded: Tracker, cli: CLI, text: str
) -> None:
    before = snapshot(seeded.url)
    result = cli("apply", "-", stdin=text)
    assert result.code in {0} | DOCUMENTED, result.err
    if result.code:
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
        assert snapshot(seeded.url) == before
    else:
        assert seeded.verify().ok


def _object(line: str) -> dict[str, object]:
    """The line's JSON object, or {} once an earlier mutation has cut it."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return obj if isinstance(obj, dict) else {}


@st.composite
def mutated_exports(draw: st.DrawFn, lines: list[str]) -> str:
    out = list(lines)
    for _ in range(draw(st.integers(1, 2))):
        index = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["set", "set", "drop", "copy", "cut", "swap"]))
        if action == "set" and _object(out[index]):
            obj = _object(out[index])
            name = draw(st.sampled_from([*obj, "extra"]))
            obj[name] = draw(JSON_VALUES)
            out[index] = json.dumps(obj)
        elif action == "drop" and len(out) > 1:
            del out[index]
        elif action == "copy":
            out.insert(index, out[index])
        elif action == "cut":
            out[index] = out[index][: draw(st.integers(0, len(out[index])))]
        else:
            other = draw(st.integers(0, len(out) - 1))
            out[index], out[other] = out[other], out[index]
    return "\n".join(out) + "\n"


def test_fuzzed_import_never_crashes_and_an_error_writes_nothing(
    seeded: Tracker, cli: CLI, another_db: Callable[[], str]
) -> None:
    lines = export_lines(seeded)
    target = [another_db()]

    @FUZZ
    @given(text=mutated_exports(lines))
    def attempt(text: str) -> None:
        result = cli("--db", target[0], "import", "-", stdin=text)
        assert result.code in {0} | DOCUMENTED, result.err
        if result.code:
            assert result.err.startswith("error: ") and result.err.count("\n") == 1
            assert snapshot(target[0]).count("\n") == 1  # still empty
        else:
            with Tracker.open(target[0]) as restored:
                assert restored.verify().ok
            target[0] = another_db()

    attempt()


@pytest.mark.parametrize(
    "args",
    [
        ["export", "-o", ""],
        ["anchor", "-o", ""],
        ["anchor", "--key", ""],
        ["timeline", "--output", " "],
        ["apply", ""],
        ["import", ""],
        ["verify", "--anchor", ""],
    ],
)
def test_an_empty_file_name_is_said_so(sqlite_url: str, args: list[str]) -> None:
    """An empty file name was taken as the current directory: `cannot write : Is a
    directory`, and `anchor --key ''` advised `chmod 600 .` on the working directory."""
    result = run_cli("--db", sqlite_url, *args)
    assert result.code == 2, result
    line = one_error_line(result.err)
    assert "the file name is empty" in line and "chmod" not in line, line
