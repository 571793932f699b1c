"""Batch and export files that are malformed, huge or endless (issue 9, "Bad input"): each is
one `error:` line, exit 2, nothing written, and read with bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.reliability.support import snapshot
from tracker import Tracker
from tracker.formats import batchfile as batch

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

BIG_NUMBER = "9" * 5000  # past Python's 4,300-digit limit for int(str)
FIRE = '{"op": "fire", "key": "ACSA", "trigger": "resume"'

BAD_BATCHES = [
    ("op is a list", '[{"op": ["add"], "key": "A"}]', "unknown op"),
    ("op is an object", '{"op": {"add": 1}, "key": "A"}\n', "unknown op"),
    ("YAML op is a list", "- {op: [add], key: A}\n", "unknown op"),
    ("YAML number as a field name", "- {op: fire, key: ACSA, 1: a}\n", "field name"),
    ("YAML null as a field name", "- {op: fire, key: ACSA, null: a}\n", "field name"),
    ("YAML names of two types", "- {op: fire, 2026-01-01: a, b: 1}\n", "field name"),
    ("YAML list as a field name", "- {op: fire, ? [a] : 1}\n", "bad YAML"),
    ("YAML 30 February", "- {op: fire, key: ACSA, trigger: resume, at: 2026-02-30}\n", "bad date"),
    (
        "YAML hour 25",
        "- {op: fire, key: ACSA, trigger: resume, at: 2026-03-01 25:00:00}\n",
        "bad date",
    ),
    (
        "YAML offset +99:00",
        "- {op: fire, key: ACSA, trigger: resume, at: 2026-03-01T10:00:00+99:00}\n",
        "bad date",
    ),
    ("YAML month 13", "- {op: fire, key: ACSA, trigger: resume, at: 2026-13-01}\n", "bad date"),
    (
        "YAML explicit timestamp tag",
        "- {op: fire, key: ACSA, trigger: resume, at: !!timestamp 2026-02-30}\n",
        "bad date",
    ),
    # PyYAML cuts a fraction to six digits: the time was recorded as .123456, silently.
    (
        "YAML time finer than a microsecond",
        "- {op: fire, key: ACSA, trigger: resume, at: 2026-01-31T10:00:00.1234567+09:00}\n",
        "microsecond",
    ),
    # `[op,]` is not JSON (jq refuses it); it was read as a batch of one.
    ("JSON array, trailing comma", f"[{FIRE}}},]", "bad JSON"),
    ("JSON array, trailing comma, spaces", f"[{FIRE}}} ,\n ]", "bad JSON"),
    ("JSON array, only a comma", "[,]", "bad JSON"),
    ("JSON array, 5000-digit number", f'[{FIRE}, "at": {BIG_NUMBER}}}]', "4300 digits"),
    ("NDJSON, 5000-digit number", f'{FIRE}, "at": {BIG_NUMBER}}}\n', "4300 digits"),
    ("YAML, 5000-digit number", f"- {{op: fire, key: {BIG_NUMBER}}}\n", "4300 digits"),
    ("NDJSON line over 1 MiB", f'{FIRE}, "reason": "{"x" * (1 << 20)}"}}\n', "too long"),
    ("NDJSON line 2 not UTF-8", f"{FIRE}}}\n".encode() + b'{"op": "\xff"}\n', "line 2: not UTF-8"),
    ("YAML not UTF-8 on line 3", b"- {op: fire,\n   key: ACSA,\n   trigger: \xc3}\n", "line 3"),
]


@SQLITE
@pytest.mark.parametrize(
    ("content", "says"), [c[1:] for c in BAD_BATCHES], ids=[c[0] for c in BAD_BATCHES]
)
def test_bad_batch_is_exit_2_and_changes_nothing(
    seeded: Tracker, cli: CLI, tmp_path: Path, content: str | bytes, says: str
) -> None:
    path = tmp_path / "batch"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = snapshot(seeded.url)
    for source, stdin in ((str(path), None), ("-", content)):
        result = cli("apply", source, stdin=stdin)
        assert result.code == 2, result.err
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
        assert says in result.err, result.err
    assert snapshot(seeded.url) == before


@SQLITE
def test_import_of_a_huge_number_or_line_is_exit_2(seeded: Tracker, cli: CLI) -> None:
    header = '{"format": "tracker-export", "version": 1, "items": 1, "entries": 1}\n'
    for tail, says in (
        (f'{{"type": "item", "version": {BIG_NUMBER}}}\n', "4300 digits"),
        ('{"type": "item", "title": "' + "x" * (2 << 20) + '"}\n', "line 2: too long"),
        (b"\xfe\xff\n", "line 2: not UTF-8"),
    ):
        stdin = header.encode() + (tail if isinstance(tail, bytes) else tail.encode())
        before = snapshot(seeded.url)
        result = cli("import", "--merge", "-", stdin=stdin)
        assert result.code == 2, result.err
        assert says in result.err and result.err.count("\n") == 1, result.err
        assert snapshot(seeded.url) == before


def test_a_one_line_json_array_is_read_in_linear_time() -> None:
    """60,000 operations on one line took 9 min 38 s: each operation counted the newlines
    from the start of the text. Now about 0.3 s (no timing assert: before, this test ran for
    minutes)."""
    ops = [{"op": "add", "key": f"K{n}", "title": f"Item {n}", "kind": "k"} for n in range(60_000)]
    text = json.dumps(ops)
    read = batch.parse(text)
    assert len(read) == 60_000 and {op.line for op in read} == {1}
    assert read[-1].key == "K59999"


def test_line_numbers_of_a_json_array_still_count_every_line() -> None:
    text = '[\n{"op": "add", "key": "A", "title": "t", "kind": "k"},\n\n  {"op": "drop"}\n]'
    good = text.replace('"drop"', '"comment", "key": "A", "reason": "r"')
    assert [op.line for op in batch.parse(good)] == [2, 4]
    with pytest.raises(batch.UsageError, match="line 4: unknown op"):
        batch.parse(text)


@SQLITE
def test_a_document_over_the_limit_is_refused_before_parsing(
    seeded: Tracker, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_DOCUMENT", 1000)
    small = json.dumps([{"op": "comment", "key": "ACSA", "reason": "r"}])
    assert cli("apply", "--dry-run", "-", stdin=small).code == 0
    for big in ("[" + " " * 1000 + "]", "- " + "x" * 1000, " " * 1001):
        result = cli("apply", "-", stdin=big)
        assert result.code == 2 and "larger than" in result.err, result.err
    monkeypatch.setattr(batch, "MAX_YAML", 500)
    yaml_ops = "- {op: comment, key: ACSA, reason: r}\n"
    assert cli("apply", "--dry-run", "-", stdin=yaml_ops * 10).code == 0
    result = cli("apply", "-", stdin=yaml_ops * 20)
    assert result.code == 2 and "a YAML batch may be at most" in result.err, result.err
    assert cli("apply", "--dry-run", "-", stdin="[" + " " * 600 + small[1:]).code == 0


PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, timeout=120)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(done.returncode, peak, done.stderr.decode(errors="replace").strip(), sep="\\t")
"""


def _run_measured(*args: str, env: dict[str, str]) -> tuple[int, int, str]:
    """Run a command in a fresh interpreter that reports its exit code and peak RSS (MiB)."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=180,
        check=True,
    ).stdout
    code, peak, err = out.rstrip("\n").split("\t", 2)
    return int(code), int(peak), err


@SQLITE
@pytest.mark.parametrize("command", ["apply", "import"])
def test_endless_and_random_input_is_refused_with_bounded_memory(
    tracker_exe: str, db_url: str, tmp_path: Path, command: str
) -> None:
    """`apply /dev/zero` ran out of memory and `import` of random bytes grew to 24 GB. Now a
    line stops at 1 MiB and a document at 32 MiB: exit 2 and a small peak RSS."""
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(4 << 20))
    with Tracker.open(db_url) as opened:
        opened.seed()
    before = snapshot(db_url)
    for source in ("/dev/zero", str(noise)):
        code, peak_mib, err = _run_measured(
            tracker_exe, command, source, env={"TRACKER_DB": db_url}
        )
        assert code == 2, err
        assert err.startswith("error: ") and "\n" not in err, err
        assert peak_mib < 250, f"{command} {source}: peak RSS {peak_mib} MiB"
    assert snapshot(db_url) == before


@SQLITE
def test_line_numbers_count_leading_blank_lines(seeded: Tracker, cli: CLI) -> None:
    comment = '{"op": "comment", "key": "ACSA", "reason": "r"}'
    for stdin, says in (
        ("\n\n  [" + comment + ',\n{"op": "drop"}]', "line 4: unknown op"),
        ("\n" * 70_000 + comment + '\n{"op": "drop"}\n', "line 70002: unknown op"),
        (" " * 100_000 + "\n- {op: drop}\n", "line 2: unknown op"),
    ):
        result = cli("apply", "-", stdin=stdin)
        assert result.code == 2 and says in result.err, result.err


BOM = b"\xef\xbb\xbf"


@SQLITE
@pytest.mark.parametrize(
    "batch",
    [
        b'{"op": "comment", "key": "ACSA", "reason": "r"}\n',
        b'[{"op": "comment", "key": "ACSA", "reason": "r"}]',
        b"- {op: comment, key: ACSA, reason: r}\n",
    ],
    ids=["NDJSON", "JSON array", "YAML"],
)
def test_a_batch_that_starts_with_a_utf8_bom_is_read_as_without_it(
    seeded: Tracker, cli: CLI, batch: bytes
) -> None:
    """Windows editors start UTF-8 files with a BOM (RFC 8259 lets a reader ignore it). An
    NDJSON batch with one was `line 1: a batch must be a list of operations` (read as YAML),
    and a JSON array with one was read by the YAML reader."""
    result = cli("apply", "-", stdin=BOM + batch)
    assert result.code == 0, result.err
    assert [e.trigger for e in seeded.history("ACSA")][-1] == "comment"


@SQLITE
def test_an_export_that_starts_with_a_utf8_bom_imports(
    seeded: Tracker, cli: CLI, another_db: Callable[[], str]
) -> None:
    """It was `line 1: bad JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)`."""
    exported = cli("export").out.encode()
    target = another_db()
    result = cli("--db", target, "import", "-", stdin=BOM + exported)
    assert result.code == 0, result.err
    with Tracker.open(target) as restored:
        assert len(restored.history()) == len(seeded.history())
