"""Every item field under the hash chain (issue 9, "Tamper evidence"; SPEC "Audit guarantees").

- One canonical form: `chain.canonical` (written out for speed) equals its definition
  (`chain.reference`, json.dumps) for any text, and verify's fast path takes exactly the rows
  the slow check takes: a reason respelled JSON-escaped is caught.
- `create` records every item field and `edit` the old and new values; an item field changed
  by SQL is named by `verify` (exit 7); an export with one field changed is refused by `import`.
- Databases from before (revision 0004) are sealed by migration 0005 and then fully covered.
- `import` enforces every rule a fire does; `edit --reason` has comment's limit.
- A split verify's child cannot be replaced by a `tracker/` package in the current directory.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import CLI
from tests.reliability.support import snapshot
from tracker import Tracker
from tracker.audit import SPLIT_VERIFY_FROM
from tracker.audit.replay import Replay
from tracker.chain import (
    canonical,
    entry_hash,
    fields_text,
    item_fields,
    item_fields_text,
    reference,
)
from tracker.store.engine import alembic_config, make_engine
from tracker.workflow import Workflows

DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER history_append_only_update",
        "DROP TRIGGER history_append_only_delete",
    ],
    "postgresql": ["DROP TRIGGER history_append_only ON history"],
}

# Text a JSON string encoder must escape, and text it must not touch.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\u2028", "\u2029"]),
        st.sampled_from(["\u0085", "\ufeff", "\U0001f6a2", "\U000e0041", "/", "'"]),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
)
MAYBE = st.none() | TRICKY
WORKFLOWS = Workflows.load()


def sql(url: str, *statements: str, params: dict[str, Any] | None = None) -> None:
    """Run statements as the database owner, around the tracker (append-only triggers dropped
    first where a statement touches history)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), params or {})
    finally:
        engine.dispose()


def drop_append_only(url: str) -> None:
    sql(url, *DROP_TRIGGERS["sqlite" if url.startswith("sqlite") else "postgresql"])


# -- one canonical form ---------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    key=TRICKY,
    trigger=TRICKY,
    from_state=MAYBE,
    to_state=TRICKY,
    times=st.tuples(TRICKY, TRICKY),
    actor=TRICKY,
    reason=MAYBE,
    source=MAYBE,
    version=st.integers(min_value=-(2**63), max_value=2**63),
    fields=st.none()
    | st.dictionaries(TRICKY, st.one_of(TRICKY, st.lists(TRICKY, max_size=3)), max_size=4),
)
def test_canonical_is_byte_identical_to_its_definition(
    key: str,
    trigger: str,
    from_state: str | None,
    to_state: str,
    times: tuple[str, str],
    actor: str,
    reason: str | None,
    source: str | None,
    version: int,
    fields: dict[str, Any] | None,
) -> None:
    text_ = None if fields is None else fields_text(fields)
    values = (
        "ab" * 32, key, version, trigger, from_state, to_state, *times, actor, reason, source,
        text_,
    )  # fmt: skip
    made = canonical(*values)
    assert made == reference(*values)
    assert json.loads(made)[1] == key and json.loads(made)[9] == reason


@settings(max_examples=150, deadline=None)
@given(
    values=st.tuples(TRICKY, TRICKY, TRICKY, TRICKY, st.lists(TRICKY, max_size=4), TRICKY, TRICKY)
)
def test_item_fields_text_is_byte_identical_to_its_definition(
    values: tuple[str, str, str, str, list[str], str, str],
) -> None:
    assert item_fields_text(*values) == fields_text(item_fields(*values))


def _replay_one(reason: str, actor: str, source: str | None, stored_reason: str) -> Replay:
    """A comment on an item (hashed with `reason`), checked by verify's fast path with the
    reason as stored (`stored_reason`)."""
    replay = Replay(WORKFLOWS)
    row = {
        "key": "K",
        "title": "t",
        "kind": "drill",
        "workflow": "default",
        "parties": [],
        "description": "",
        "created_at": "2026-01-01T00:00:00.000000Z",
    }
    created = fields_text(row)
    replay.expect(1, "K", "default", "proposed", 2, "", created)
    when = "2026-01-01T00:00:00.000000Z"
    create = ("create", None, "proposed", when, when, "a", None, None)
    first = entry_hash("", "K", 1, *create, created)
    comment = ("comment", "proposed", "proposed", when, when, actor)
    second = entry_hash(first, "K", 2, *comment, reason, source)
    replay.chains[1].head = second
    replay.check_rows(
        [
            (1, 1, 1, *create, first, created),
            (2, 1, 2, *comment, stored_reason, source, second, None),
        ]
    )
    return replay


@settings(max_examples=150, deadline=None)
@given(
    parts=st.tuples(TRICKY, st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x1f"]), TRICKY),
    actor=TRICKY,
    source=MAYBE,
)
def test_fast_path_takes_the_true_row_and_refuses_a_json_escaped_respelling(
    parts: tuple[str, str, str], actor: str, source: str | None
) -> None:
    reason = "".join(parts)
    assert _replay_one(reason, actor, source, reason).report().ok
    respelled = json.dumps(reason, ensure_ascii=False)[1:-1]  # `"` -> `\"`, newline -> `\n`
    report = _replay_one(reason, actor, source, respelled).report()
    assert [(p.entry_id, p.message) for p in report.problems] == [
        (2, "hash does not match the entry and the one before it")
    ]


def test_verify_catches_a_reason_respelled_json_escaped(db_url: str, cli: CLI) -> None:
    """The issue's finding: a reason with `"` and a newline, rewritten JSON-escaped, passed."""
    with Tracker.open(db_url) as tracker:
        tracker.seed()
        entry = tracker.comment("ACSA", 'Seoul says "no"\nfor now').entry
    drop_append_only(db_url)
    sql(
        db_url,
        "UPDATE history SET reason = :reason WHERE id = :id",
        params={"reason": 'Seoul says \\"no\\"\\nfor now', "id": entry.id},
    )
    result = cli("verify")
    assert result.code == 7, result.out
    assert [line for line in result.out.splitlines() if "ACSA" in line and str(entry.id) in line]
    with Tracker.open(db_url) as tracker:
        problems = tracker.verify().problems
    assert [(p.item, p.entry_id) for p in problems] == [("ACSA", entry.id)]


# -- every field under the chain --------------------------------------------------------------


def _field_tampering(url: str) -> dict[str, str]:
    pg = not url.startswith("sqlite")
    later = "created_at - interval '1 day'" if pg else "'2020-01-01T00:00:00.000000Z'"
    return {
        "title": "UPDATE items SET title = 'Joint drills (cancelled)' WHERE key = 'DRILLS'",
        "kind": "UPDATE items SET kind = 'agreement' WHERE key = 'DRILLS'",
        "workflow": "UPDATE items SET workflow = 'agreement' WHERE key = 'DRILLS'",
        "parties": "UPDATE items SET parties = 'ROK JPN USA' WHERE key = 'DRILLS'",
        "description": "UPDATE items SET description = 'nothing to see' WHERE key = 'DRILLS'",
        "created_at": f"UPDATE items SET created_at = {later} WHERE key = 'DRILLS'",
        "key": "UPDATE items SET key = 'DRILLZ', key_lower = 'drillz' WHERE key = 'DRILLS'",
    }


@pytest.mark.parametrize(
    "field", ["title", "kind", "workflow", "parties", "description", "created_at", "key"]
)
def test_verify_names_the_item_and_the_field_changed_by_sql(
    seeded: Tracker, db_url: str, cli: CLI, field: str
) -> None:
    seeded.edit("DRILLS", description="Annual drills\nsecond line", reason="detail")
    assert cli("verify").code == 0
    # No history row is touched: the append-only triggers stay.
    sql(db_url, _field_tampering(db_url)[field])
    result = cli("verify", "--format", "json")
    assert result.code == 7
    problems = json.loads(result.out)["problems"]
    named = [p for p in problems if p["entry"] is None and p["message"].startswith(f"{field}:")]
    assert len(named) == 1, problems
    assert named[0]["item"] in ("DRILLS", "DRILLZ")


def test_kind_changed_by_sql_is_named_and_fires_nothing_unnoticed(
    seeded: Tracker, db_url: str, cli: CLI
) -> None:
    """The issue's case: `kind = 'agreement'` by SQL (PostgreSQL too), then `sign` fired."""
    sql(db_url, "UPDATE items SET kind = 'agreement', workflow = 'agreement' WHERE key = 'SAREX'")
    cli("fire", "SAREX", "sign", "--source", "forged")
    result = cli("verify")
    assert result.code == 7
    lines = [line for line in result.out.splitlines() if "SAREX" in line]
    assert any("kind:" in line for line in lines) and any("workflow:" in line for line in lines)


def test_edit_records_old_and_new_values_and_replay_follows_them(
    seeded: Tracker, db_url: str, cli: CLI
) -> None:
    old = seeded.get("REFUEL").description
    assert cli("edit", "REFUEL", "--description", "New text\nwith two lines").code == 0
    assert cli("edit", "REFUEL", "--title", "Refuelling", "--party", "ROK").code == 0
    entries = seeded.history("REFUEL")
    assert json.loads(entries[-2].fields or "") == {
        "description": [old, "New text\nwith two lines"]
    }
    assert json.loads(entries[-1].fields or "")["parties"][1] == ["ROK"]
    assert entries[-1].reason == "changed parties, title"
    assert json.loads(entries[0].fields or "")["description"] == old  # the create
    assert cli("verify").code == 0
    # The export carries them; a second database rebuilt from it verifies.
    exported = snapshot(db_url)
    lines = [json.loads(line) for line in exported.splitlines()]
    assert [e["fields"] for e in lines if e.get("id") == entries[-2].id] == [
        {"description": [old, "New text\nwith two lines"]}
    ]
    sql(db_url, "UPDATE items SET description = :old WHERE key = 'REFUEL'", params={"old": old})
    result = cli("verify")
    assert result.code == 7 and "description:" in result.out


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("title", lambda v: v[:-1] + chr(ord(v[-1]) ^ 1)),
        ("kind", lambda v: "exercise" if v != "exercise" else "drill"),
        ("parties", lambda v: [*v[:-1], "JPM"]),
        ("description", lambda v: v + "."),
        ("workflow", lambda v: "default" if v != "default" else "agreement"),
        ("created_at", lambda v: v[:-2] + ("1Z" if v[-2] != "1" else "2Z")),
        # not chained but its last entry's recorded_at: written as given, verify then failed
        ("updated_at", lambda v: v[:-2] + ("1Z" if v[-2] != "1" else "2Z")),
    ],
)
def test_import_refuses_an_export_with_one_item_field_changed(
    seeded: Tracker, cli: CLI, another_db: Any, field: str, change: Any
) -> None:
    lines = snapshot(seeded.url).splitlines()
    for index, line in enumerate(lines):
        obj = json.loads(line)
        if obj.get("type") == "item" and obj["key"] == "SAREX":
            obj[field] = change(obj[field])
            lines[index] = json.dumps(obj, ensure_ascii=False)
    target = another_db()
    empty = snapshot(target)
    result = cli("--db", target, "import", "-", stdin="\n".join(lines) + "\n")
    assert result.code == 7, result.err
    assert "SAREX" in result.err and f"{field}:" in result.err
    assert snapshot(target) == empty


def test_import_refuses_a_changed_key(seeded: Tracker, cli: CLI, another_db: Any) -> None:
    exported = snapshot(seeded.url).replace('"SAREX"', '"SAREY"')
    target = another_db()
    empty = snapshot(target)
    result = cli("--db", target, "import", "-", stdin=exported)
    assert result.code == 7, result.err
    assert "SAREY" in result.err
    assert snapshot(target) == empty


# -- databases from before: migration 0005 seals them ---------------------------------------

OLD_TIME = "2025-11-{day:02d}T09:00:00.000000Z"


def _old_items() -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Two items and their history as revision 0004 wrote them (no fields in the chain)."""
    made = []
    for number, (key, kind) in enumerate([("OLDA", "drill"), ("OLDB", "agreement")], start=1):
        workflow = "agreement" if kind == "agreement" else "default"
        item = {
            "key": key, "title": f"Old item {number}", "kind": kind, "workflow": workflow,
            "parties": ["ROK", "JPN"], "description": "from before\nchained fields",
            "created_at": OLD_TIME.format(day=number),
        }  # fmt: skip
        steps = [
            ("create", None, "proposed", None),
            ("stall", "proposed", "stalled", "budget"),
            ("edit", "stalled", "stalled", "title: 'x' -> 'y'"),
        ]
        prev, entries = "", []
        for version, (trigger, before, after, reason) in enumerate(steps, start=1):
            when = OLD_TIME.format(day=number + version)
            digest = entry_hash(
                prev, key, version, trigger, before, after, when, when, "clerk", reason, None
            )
            entries.append(
                {
                    "version": version, "trigger": trigger, "from_state": before,
                    "to_state": after, "occurred_at": when, "recorded_at": when,
                    "actor": "clerk", "reason": reason, "source": None, "hash": digest,
                }
            )  # fmt: skip
            prev = digest
        made.append((item, entries))
    return made


@pytest.fixture
def old_database(db_url: str) -> Iterator[str]:
    """A database at revision 0004 holding `_old_items`, written as that revision did."""
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0004")
    finally:
        engine.dispose()
    for item, entries in _old_items():
        last = entries[-1]
        sql(
            db_url,
            "INSERT INTO items (key, key_lower, title, kind, workflow, parties, state,"
            " description, created_at, updated_at, changed_at, version, last_hash) VALUES"
            " (:key, :lower, :title, :kind, :workflow, :parties, :state, :description,"
            " :created_at, :at, :at, :version, :hash)",
            params={
                **item, "lower": item["key"].lower(), "parties": " ".join(item["parties"]),
                "state": last["to_state"], "at": last["occurred_at"], "version": last["version"],
                "hash": last["hash"],
            },
        )  # fmt: skip
        for entry in entries:
            sql(
                db_url,
                "INSERT INTO history (item_id, version, trigger, from_state, to_state,"
                " occurred_at, recorded_at, actor, reason, source, hash) VALUES ("
                " (SELECT id FROM items WHERE key = :key), :version, :trigger, :from_state,"
                " :to_state, :occurred_at, :recorded_at, :actor, :reason, :source, :hash)",
                params={"key": item["key"], **entry},
            )
    yield db_url


def test_migration_seals_items_from_before_and_covers_every_field(
    old_database: str, cli: CLI
) -> None:
    with Tracker.open(old_database) as tracker:  # migrates 0004 -> head
        report = tracker.verify()
        assert report.ok, report.problems
        history = tracker.history("OLDB")
    # The old entries and their hashes are as they were; one seal entry follows, dated at the
    # last entry, recording every field.
    olds = [e for item, es in _old_items() if item["key"] == "OLDB" for e in es]
    assert [e.hash for e in history[:3]] == [e["hash"] for e in olds]
    seal = history[-1]
    assert (seal.trigger, seal.version, seal.from_state, seal.to_state) == (
        "seal",
        4,
        "stalled",
        "stalled",
    )
    assert seal.occurred_at == history[-2].occurred_at
    assert json.loads(seal.fields or "")["title"] == "Old item 2"
    sql(old_database, "UPDATE items SET kind = 'drill' WHERE key = 'OLDB'")
    result = cli("verify")
    assert result.code == 7 and "kind:" in result.out and "OLDB" in result.out


def test_an_export_from_before_is_imported_and_sealed(cli: CLI, another_db: Any) -> None:
    """Format 1 (no fields): its chains are checked as they are, then each item is sealed."""
    old = _old_items()
    lines = [json.dumps({"format": "tracker-export", "version": 1, "items": 2, "entries": 6})]
    number = 0
    for item, entries in old:
        last = entries[-1]
        lines.append(
            json.dumps(
                {
                    "type": "item",
                    **item,
                    "state": last["to_state"],
                    "version": last["version"],
                    "updated_at": last["recorded_at"],
                }
            )
        )
    for item, entries in old:
        for entry in entries:
            number += 1
            shown = {k: v for k, v in entry.items() if k != "version"}
            lines.append(json.dumps({"type": "entry", "id": number, "item": item["key"], **shown}))
    target = another_db()
    result = cli("--db", target, "import", "-", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    with Tracker.open(target) as tracker:
        assert tracker.verify().ok
        assert [e.trigger for e in tracker.history("OLDA")] == ["create", "stall", "edit", "seal"]
    sql(target, "UPDATE items SET title = 'changed' WHERE key = 'OLDA'")
    assert cli("--db", target, "verify").code == 7


def test_postgresql_append_only_error_reads_well(pg_url: str) -> None:
    with Tracker.open(pg_url) as tracker:
        tracker.seed()
    for statement, word in [
        ("UPDATE history SET reason = 'x'", "updated"),
        ("DELETE FROM history", "deleted"),
        ("TRUNCATE history CASCADE", "truncated"),
    ]:
        with pytest.raises(DBAPIError, match=f"entries cannot be {word}"):
            sql(pg_url, statement)


# -- limits and import rules ------------------------------------------------------------------


def test_edit_reason_over_the_limit_is_refused_like_comment(seeded: Tracker, cli: CLI) -> None:
    before = snapshot(seeded.url)
    long = "x" * 5001
    for args in (["comment", "ACSA", long], ["edit", "ACSA", "--title", "New", "--reason", long]):
        result = cli(*args)
        assert result.code == 2, result.err
        assert result.err == "error: reason is too long (5001 characters, at most 5000)\n"
    assert snapshot(seeded.url) == before
    assert cli("edit", "ACSA", "--title", "New", "--reason", "x" * 5000).code == 0
    assert seeded.history("ACSA")[-1].reason == "x" * 5000


def _rehash(lines: list[str]) -> str:
    """An export with every hash recomputed (as a forger with the program would): only the
    rules, not the chain, can refuse it."""
    heads: dict[str, str] = {}
    versions: dict[str, int] = {}
    out: list[dict[str, Any]] = [json.loads(line) for line in lines]
    for obj in out:
        if obj.get("type") == "entry":
            key = obj["item"]
            versions[key] = versions.get(key, 0) + 1
            recorded = None if obj["fields"] is None else fields_text(obj["fields"])
            obj["hash"] = entry_hash(
                heads.get(key, ""), key, versions[key], obj["trigger"], obj["from_state"],
                obj["to_state"], obj["occurred_at"], obj["recorded_at"], obj["actor"],
                obj["reason"], obj["source"], recorded,
            )  # fmt: skip
            heads[key] = obj["hash"]
    return "\n".join(json.dumps(obj, ensure_ascii=False) for obj in out) + "\n"


@pytest.mark.parametrize(
    ("trigger", "change", "says"),
    [
        ("stall", {"occurred_at": "2999-01-01T00:00:00.000000Z"}, "in the future"),
        ("stall", {"reason": None}, "stall requires reason"),
        ("stall", {"reason": "   "}, "stall requires reason"),
        # Zero-width spaces are no reason for a fire; import's own check let them through.
        ("stall", {"reason": "\u200b\u200b"}, "stall requires reason"),
        ("sign", {"source": None}, "sign requires source"),
        # A consent carries what its trigger requires.
        ("approve", {"source": None}, "approve requires source"),
        ("comment", {"reason": None}, "comment requires reason"),
        ("edit", {"fields": {"title": ["ACSA talks", "a\x1b[2Jb"]}}, "control"),
    ],
)
def test_import_enforces_every_rule_a_fire_does(
    tracker: Tracker, cli: CLI, another_db: Any, trigger: str, change: dict[str, Any], says: str
) -> None:
    tracker.add("ACSA", "ACSA talks", "agreement", ["ROK", "JPN"], at="2025-01-01")
    tracker.fire("ACSA", "stall", reason="budget", at="2025-02-01")
    tracker.comment("ACSA", "waiting", at="2025-03-01")
    tracker.fire("ACSA", "resume", at="2025-04-01")
    tracker.edit("ACSA", description="now with text")
    tracker.approve("ACSA", "sign", party="ROK", source="MOD release")
    tracker.approve("ACSA", "sign", party="JPN", source="MOFA release")
    lines = snapshot(tracker.url).splitlines()
    assert cli("--db", another_db(), "import", "-", stdin=_rehash(lines)).code == 0
    for index, line in enumerate(lines):
        obj = json.loads(line)
        if obj.get("trigger") == trigger:
            if trigger == "approve" and obj["fields"]["party"] != "JPN":
                continue
            if trigger == "edit":  # a title change beside the description's
                change = {"fields": {**obj["fields"], **change["fields"]}}
            obj.update(change)
            lines[index] = json.dumps(obj, ensure_ascii=False)
    target = another_db()
    empty = snapshot(target)
    result = cli("--db", target, "import", "-", stdin=_rehash(lines))
    assert result.code == 2, result.err
    assert result.err.startswith("error: line ") and result.err.count("\n") == 1
    assert says in result.err
    assert snapshot(target) == empty


# -- the split verify's child -----------------------------------------------------------------

FAKE_SPLIT = """
import pickle, sys, os
from tracker.records import VerifyReport
open(os.environ["FAKE_MARK"], "w").write("imported")
def child():
    pickle.load(sys.stdin.buffer)
    pickle.dump((VerifyReport(0, 0, ()), []), sys.stdout.buffer)
"""
FAKE_RECORDS = """
from dataclasses import dataclass
@dataclass(frozen=True)
class VerifyReport:
    items: int
    entries: int
    problems: tuple
"""


@pytest.fixture
def spread_out(seeded: Tracker, another_db: Any, cli: CLI) -> str:
    """The seeded history imported with its last entries' ids moved far up, so their span
    reaches SPLIT_VERIFY_FROM and `verify` runs in two processes."""
    lines = snapshot(seeded.url).splitlines()
    entries = [i for i, line in enumerate(lines) if json.loads(line).get("type") == "entry"]
    for shift, index in enumerate(entries[-4:]):
        obj = json.loads(lines[index])
        obj["id"] = SPLIT_VERIFY_FROM + 10 + shift
        lines[index] = json.dumps(obj, ensure_ascii=False)
    target = another_db()
    assert cli("--db", target, "import", "-", stdin="\n".join(lines) + "\n").code == 0
    return target


def test_split_verify_ignores_a_tracker_package_in_the_current_directory(
    spread_out: str, tracker_exe: str, tmp_path: Path
) -> None:
    planted = tmp_path / "cwd" / "tracker"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text("")
    (planted / "audit").mkdir()
    (planted / "audit" / "__init__.py").write_text("")
    (planted / "audit" / "split.py").write_text(FAKE_SPLIT)
    (planted / "records.py").write_text(FAKE_RECORDS)
    mark = tmp_path / "imported"
    drop_append_only(spread_out)
    sql(spread_out, f"UPDATE history SET reason = 'forged' WHERE id = {SPLIT_VERIFY_FROM + 12}")

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tracker_exe, "--db", spread_out, "verify"],
            capture_output=True,
            text=True,
            cwd=planted.parent,
            env={**os.environ, "FAKE_MARK": str(mark)},
            timeout=120,
            check=False,
        )

    result = verify()
    assert not mark.exists(), "the planted package was imported"
    assert result.returncode == 7, result.stderr
    assert str(SPLIT_VERIFY_FROM + 12) in result.stdout and "hash does not match" in result.stdout


def test_split_verify_compares_fields_as_one_pass_does(spread_out: str) -> None:
    """Fields changed by edits in the child's half are followed by the parent."""
    with Tracker.open(spread_out) as tracker:
        tracker.edit("ACSA", title="Renamed", reason="r")
        sql(spread_out, "UPDATE items SET parties = 'USA' WHERE key = 'ACSA'")
        one = tracker.verify(split_from=10**9)
        two = tracker.verify()
    assert one == two and not one.ok
    assert [p.message.split(":")[0] for p in one.problems] == ["parties"]
