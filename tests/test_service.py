"""The service API, as a Python script uses it: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tracker import (
    Conflict,
    ItemNotFound,
    NotAllowed,
    Tracker,
    TriggerNotFound,
    UsageError,
    VerificationFailed,
)
from tracker.audit import fast as fast_pass
from tracker.audit import native as native_pass
from tracker.audit import split as two_processes
from tracker.formats.batchfile import parse
from tracker.records import VerifyReport


def dump(tracker: Tracker) -> str:
    out = io.StringIO()
    tracker.export(out)
    return out.getvalue()


def add_three(tracker: Tracker) -> None:
    tracker.add("ACSA", "Cross-servicing", "agreement", ["ROK", "JPN"], at="2026-01-01")
    tracker.add("DRILLS", "Joint drills", "drill", ["rok", "usa"], at="2026-01-02")
    tracker.add("sarex", "Search and rescue", "exercise", ["JPN"], at="2026-01-03")


# -- add and get ----------------------------------------------------------------------------


def test_add_then_get_case_insensitive(tracker: Tracker) -> None:
    with pytest.raises(UsageError, match="party ROK is given twice"):  # not merged
        tracker.add("GSOMIA", "Intelligence pact", "agreement", ["rok", "JPN", "ROK"])
    item = tracker.add(
        "GSOMIA",
        "Intelligence pact",
        "Agreement",
        ["rok", "JPN"],
        "Shares intelligence",
        at="2016-11-23",
        source="Yonhap",
    )
    assert (item.key, item.kind, item.parties) == ("GSOMIA", "agreement", ("ROK", "JPN"))
    assert item.state == "proposed" and item.version == 1
    assert item.created_at == datetime(2016, 11, 23, tzinfo=UTC)
    got = tracker.get("gsomia")
    assert got.key == "GSOMIA"
    assert got.description == "Shares intelligence"
    [create] = tracker.history("GSOMIA")
    assert (create.trigger, create.from_state, create.to_state) == ("create", None, "proposed")
    assert create.source == "Yonhap"
    assert len(create.hash) == 64


def test_get_unknown_item(tracker: Tracker) -> None:
    with pytest.raises(ItemNotFound, match="no item 'NOPE'") as caught:
        tracker.get("NOPE")
    assert caught.value.exit_code == 3


def test_add_existing_key_any_case_is_a_conflict(tracker: Tracker) -> None:
    tracker.add("ACSA", "t", "agreement")
    with pytest.raises(Conflict, match="already exists"):
        tracker.add("acsa", "t", "agreement")
    assert len(tracker.list()) == 1


@pytest.mark.parametrize(
    ("key", "title", "kind", "parties"),
    [
        ("1BAD", "t", "drill", []),
        ("OK", "  ", "drill", []),
        ("OK", "t", "no spaces", []),
        ("OK", "t", "drill", ["R O K"]),
        ("OK", "bell\x07", "drill", []),
    ],
)
def test_add_bad_input_is_a_usage_error_and_writes_nothing(
    tracker: Tracker, key: str, title: str, kind: str, parties: list[str]
) -> None:
    with pytest.raises(UsageError):
        tracker.add(key, title, kind, parties)
    assert tracker.list() == []
    assert tracker.history() == []


# -- list ---------------------------------------------------------------------------------


def test_list_filters(tracker: Tracker) -> None:
    add_three(tracker)
    tracker.fire("DRILLS", "suspend", reason="tension")
    assert [i.key for i in tracker.list()] == ["ACSA", "DRILLS", "sarex"]
    assert [i.key for i in tracker.list(state="suspended")] == ["DRILLS"]
    assert [i.key for i in tracker.list(kind="EXERCISE")] == ["sarex"]
    assert [i.key for i in tracker.list(party="jpn")] == ["ACSA", "sarex"]
    assert [i.key for i in tracker.list(party="US")] == []
    assert [i.key for i in tracker.list(text="RESC")] == ["sarex"]
    assert [i.key for i in tracker.list(party="JPN", state="proposed", kind="agreement")] == [
        "ACSA"
    ]
    assert tracker.count() == {"proposed": 2, "suspended": 1}


def test_list_sorting_and_paging(tracker: Tracker) -> None:
    add_three(tracker)
    assert [i.key for i in tracker.list(order_by="title")] == ["ACSA", "DRILLS", "sarex"]
    assert [i.key for i in tracker.list(order_by="created_at", descending=True)] == [
        "sarex",
        "DRILLS",
        "ACSA",
    ]
    assert [i.key for i in tracker.list(limit=2)] == ["ACSA", "DRILLS"]
    assert [i.key for i in tracker.list(limit=2, offset=2)] == ["sarex"]
    with pytest.raises(UsageError, match="cannot sort by 'bogus'"):
        tracker.list(order_by="bogus")


def test_negative_limit_or_offset_is_a_usage_error_on_every_database(tracker: Tracker) -> None:
    add_three(tracker)
    for page in ({"limit": -1}, {"offset": -1}):
        with pytest.raises(UsageError, match="must not be negative"):
            tracker.list(**page)  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="must not be negative"):
            tracker.history(**page)  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="must not be negative"):
            tracker.list(as_of="now", **page)  # type: ignore[arg-type]


# -- fire -----------------------------------------------------------------------------------


def test_fire_moves_the_state_and_appends_an_entry(tracker: Tracker) -> None:
    add_three(tracker)
    result = tracker.fire(
        "acsa", "stall", reason="cautious", source="Asahi", actor="ROK MND", at="2026-01-30"
    )
    assert result.item.state == "stalled" and result.item.version == 2
    assert set(result.item.allowed_triggers) == {"propose", "suspend", "resume"}
    entry = result.entry
    assert (entry.item, entry.trigger, entry.from_state, entry.to_state) == (
        "ACSA",
        "stall",
        "proposed",
        "stalled",
    )
    assert (entry.actor, entry.reason, entry.source) == ("ROK MND", "cautious", "Asahi")
    assert entry.occurred_at == datetime(2026, 1, 30, tzinfo=UTC)
    assert entry.id > 0
    assert tracker.history("ACSA")[-1] == entry
    assert tracker.get("ACSA").state == "stalled"


@pytest.mark.parametrize("trigger", ["stall", "suspend"])
def test_reason_is_required(tracker: Tracker, trigger: str) -> None:
    add_three(tracker)
    before = dump(tracker)
    with pytest.raises(NotAllowed, match="requires reason") as caught:
        tracker.fire("ACSA", trigger)
    assert caught.value.exit_code == 4
    with pytest.raises(NotAllowed):
        tracker.fire("ACSA", trigger, reason="   ")
    assert dump(tracker) == before


def test_not_allowed_fire_names_allowed_triggers_and_writes_nothing(tracker: Tracker) -> None:
    add_three(tracker)
    tracker.fire("ACSA", "resume")
    before = dump(tracker)
    with pytest.raises(NotAllowed) as caught:
        tracker.fire("ACSA", "resume")
    assert "allowed: stall, suspend" in str(caught.value)
    assert "ACSA" in str(caught.value)
    with pytest.raises(TriggerNotFound):
        tracker.fire("DRILLS", "sign")  # only the agreement workflow has it
    with pytest.raises(ItemNotFound):
        tracker.fire("NOPE", "resume")
    assert dump(tracker) == before


def test_expect_state_conflict(tracker: Tracker) -> None:
    add_three(tracker)
    before = dump(tracker)
    with pytest.raises(Conflict, match="ACSA is proposed, not stalled") as caught:
        tracker.fire("ACSA", "resume", expect_state="stalled")
    assert caught.value.exit_code == 5
    assert dump(tracker) == before
    assert tracker.fire("ACSA", "resume", expect_state="Proposed").item.state == "resumed"


def test_dry_run_reports_and_writes_nothing(tracker: Tracker) -> None:
    add_three(tracker)
    before = dump(tracker)
    result = tracker.fire("ACSA", "resume", dry_run=True)
    assert result.dry_run
    assert result.item.state == "resumed"
    assert result.entry.id == 0
    assert dump(tracker) == before
    assert tracker.get("ACSA").state == "proposed"
    with pytest.raises(NotAllowed):
        tracker.fire("ACSA", "propose", dry_run=True)


def test_at_before_the_latest_entry_is_refused(tracker: Tracker) -> None:
    add_three(tracker)
    tracker.fire("ACSA", "resume", at="2026-02-01")
    before = dump(tracker)
    with pytest.raises(NotAllowed, match="before ACSA's latest entry"):
        tracker.fire("ACSA", "stall", reason="r", at="2026-01-31T23:59:59Z")
    assert dump(tracker) == before
    # the same instant is fine: history stays in order
    tracker.fire("ACSA", "stall", reason="r", at="2026-02-01T00:00:00+00:00")


def test_at_in_the_future_and_bad_dates_are_usage_errors(tracker: Tracker) -> None:
    add_three(tracker)
    before = dump(tracker)
    with pytest.raises(UsageError, match="in the future"):
        tracker.fire("ACSA", "resume", at="2999-01-01")
    with pytest.raises(UsageError, match="bad date"):
        tracker.fire("ACSA", "resume", at="last tuesday")
    with pytest.raises(UsageError, match="in the future"):
        tracker.add("LATER", "t", "drill", at="2999-01-01")
    assert dump(tracker) == before


def test_at_with_an_offset_is_stored_in_utc(tracker: Tracker) -> None:
    add_three(tracker)
    entry = tracker.fire("ACSA", "resume", at="2026-01-30T09:00:00+09:00").entry
    assert entry.occurred_at == datetime(2026, 1, 30, tzinfo=UTC)
    assert tracker.history("ACSA")[-1].occurred_at == datetime(2026, 1, 30, tzinfo=UTC)


def test_fire_many_is_all_or_nothing(tracker: Tracker) -> None:
    add_three(tracker)
    tracker.fire("sarex", "resume")
    before = dump(tracker)
    with pytest.raises(NotAllowed, match="sarex"):
        tracker.fire_many(["ACSA", "DRILLS", "SAREX"], "resume")
    assert dump(tracker) == before
    with pytest.raises(ItemNotFound):
        tracker.fire_many(["ACSA", "GHOST"], "resume")
    assert dump(tracker) == before
    results = tracker.fire_many(["ACSA", "DRILLS"], "resume", reason="summit")
    assert [(r.item.key, r.item.state) for r in results] == [
        ("ACSA", "resumed"),
        ("DRILLS", "resumed"),
    ]
    assert all(r.entry.id > 0 for r in results)
    assert tracker.verify().ok


# -- comment and edit -------------------------------------------------------------------------


def test_comment_keeps_the_state(tracker: Tracker) -> None:
    add_three(tracker)
    result = tracker.comment("acsa", "Seoul asks for time", source="Yonhap")
    entry = result.entry
    assert (entry.trigger, entry.from_state, entry.to_state) == ("comment", "proposed", "proposed")
    assert entry.reason == "Seoul asks for time"
    assert result.item.version == 2 and result.item.state == "proposed"
    with pytest.raises(UsageError):
        tracker.comment("ACSA", "  ")
    assert tracker.verify().ok


def test_edit_records_what_changed(tracker: Tracker) -> None:
    add_three(tracker)
    result = tracker.edit("ACSA", title="ACSA talks", parties=["ROK", "JPN", "USA"], reason="US")
    assert result.item.title == "ACSA talks"
    assert result.item.parties == ("ROK", "JPN", "USA")
    assert result.entry.trigger == "edit"
    assert result.entry.reason == "US"
    assert json.loads(result.entry.fields or "") == {
        "title": ["Cross-servicing", "ACSA talks"],
        "parties": [["ROK", "JPN"], ["ROK", "JPN", "USA"]],
    }
    assert tracker.get("ACSA").title == "ACSA talks"
    with pytest.raises(UsageError, match="nothing to change"):
        tracker.edit("ACSA", title="ACSA talks")
    assert tracker.verify().ok


# -- history and as-of -----------------------------------------------------------------------


def test_history_filters_and_order(tracker: Tracker) -> None:
    add_three(tracker)
    tracker.fire("DRILLS", "suspend", reason="radar", at="2026-01-10", actor="ROK")
    tracker.fire("ACSA", "stall", reason="cautious", at="2026-01-05", actor="JPN")
    tracker.fire("DRILLS", "resume", at="2026-01-20", actor="ROK")
    everything = tracker.history()
    assert [(e.item, e.trigger) for e in everything] == [
        ("ACSA", "create"),
        ("DRILLS", "create"),
        ("sarex", "create"),
        ("ACSA", "stall"),
        ("DRILLS", "suspend"),
        ("DRILLS", "resume"),
    ]
    assert [e.trigger for e in tracker.history("drills")] == ["create", "suspend", "resume"]
    assert [e.trigger for e in tracker.history("drills", newest_first=True)] == [
        "resume",
        "suspend",
        "create",
    ]
    assert [e.item for e in tracker.history(actor="ROK")] == ["DRILLS", "DRILLS"]
    assert [e.item for e in tracker.history(trigger="STALL")] == ["ACSA"]
    window = tracker.history(since="2026-01-03", until="2026-01-10")
    assert [(e.item, e.trigger) for e in window] == [
        ("sarex", "create"),
        ("ACSA", "stall"),
        ("DRILLS", "suspend"),
    ]
    assert len(tracker.history(limit=2, offset=1)) == 2
    with pytest.raises(ItemNotFound):
        tracker.history("NOPE")
    with pytest.raises(UsageError, match="bad date"):
        tracker.history(since="yesterday-ish")


def test_as_of_uses_effective_dates(tracker: Tracker) -> None:
    add_three(tracker)
    tracker.fire("DRILLS", "suspend", reason="radar", at="2026-01-10")
    tracker.fire("DRILLS", "resume", at="2026-01-20")

    def states(when: str) -> dict[str, str | None]:
        return {s.key: s.state for s in tracker.as_of(when)}

    assert states("2025-12-31") == {}
    assert states("2026-01-02") == {"ACSA": "proposed", "DRILLS": "proposed"}
    assert states("2026-01-10") == {"ACSA": "proposed", "DRILLS": "suspended", "sarex": "proposed"}
    assert states("2026-01-19T23:59:59Z")["DRILLS"] == "suspended"
    assert states("now")["DRILLS"] == "resumed"
    with pytest.raises(UsageError):
        tracker.as_of("soon")


# -- apply --------------------------------------------------------------------------------------


BATCH = """\
[
  {"op": "add", "key": "A1", "title": "One", "kind": "drill", "parties": ["ROK"]},
  {"op": "add", "key": "A2", "title": "Two", "kind": "agreement"},
  {"op": "fire", "key": "A1", "trigger": "resume"},
  {"op": "fire", "key": "a2", "trigger": "stall", "reason": "waiting"},
  {"op": "comment", "key": "A2", "reason": "note"}
]
"""


def test_apply_a_batch(tracker: Tracker) -> None:
    result = tracker.apply(parse(BATCH))
    assert (result.added, result.fired, result.commented, result.dry_run) == (2, 2, 1, False)
    assert set(result.keys) == {"A1", "A2"}
    assert {i.key: i.state for i in tracker.list()} == {"A1": "resumed", "A2": "stalled"}
    assert tracker.get("A2").version == 3
    assert tracker.verify().ok


def test_apply_dry_run_writes_nothing(tracker: Tracker) -> None:
    result = tracker.apply(parse(BATCH), dry_run=True)
    assert (result.added, result.fired, result.dry_run) == (2, 2, True)
    assert tracker.list() == []
    assert tracker.history() == []


@pytest.mark.parametrize(
    ("bad_line", "error", "words"),
    [
        ('  {"op": "fire", "key": "A1", "trigger": "stall"},', NotAllowed, "requires reason"),
        ('  {"op": "fire", "key": "A9", "trigger": "resume"},', ItemNotFound, "no item 'A9'"),
        ('  {"op": "fire", "key": "A1", "trigger": "resume", "why": 1},', UsageError, "'why'"),
        ('  {"op": "add", "key": "a1", "title": "x", "kind": "drill"},', Conflict, "exists"),
        ('  {"op": "frobnicate", "key": "A1"},', UsageError, "unknown op"),
    ],
)
def test_apply_is_all_or_nothing_and_names_the_line(
    tracker: Tracker, bad_line: str, error: type[Exception], words: str
) -> None:
    tracker.add("EXISTING", "t", "drill")
    before = dump(tracker)
    lines = BATCH.splitlines()
    lines.insert(4, bad_line)  # the failing operation is on line 5
    with pytest.raises(error) as caught:
        tracker.apply(parse("\n".join(lines)))
    assert str(caught.value).startswith("line 5: ")
    assert words in str(caught.value)
    assert dump(tracker) == before


def test_apply_yaml_and_ndjson_name_lines_too(tracker: Tracker) -> None:
    yaml_batch = (
        "- op: add\n  key: Y1\n  title: t\n  kind: drill\n- op: fire\n  key: Y1\n  trigger: stall\n"
    )
    with pytest.raises(NotAllowed, match=r"^line 5: "):
        tracker.apply(parse(yaml_batch))
    ndjson = '{"op":"add","key":"N1","title":"t","kind":"drill"}\n\n{"op":"fire","key":"N1"}\n'
    with pytest.raises(UsageError, match=r"^line 3: .*needs 'trigger'"):
        tracker.apply(parse(ndjson))
    assert tracker.list() == []


def test_apply_nothing_is_a_no_op(tracker: Tracker) -> None:
    for empty in ("", "[]", "# just a comment\n"):
        result = tracker.apply(parse(empty))
        assert (result.added, result.fired) == (0, 0)
    assert tracker.list() == []


# -- export, import, verify -------------------------------------------------------------------


def test_export_import_round_trip_is_byte_identical(
    seeded: Tracker, another_db: Callable[[], str]
) -> None:
    seeded.fire("ACSA", "resume", reason="summit", source="Nikkei")
    seeded.comment("DRILLS", "Ünïcödé note, 日本語")
    seeded.edit("SAREX", description="multi\nline")
    exported = dump(seeded)
    header = json.loads(exported.splitlines()[0])
    assert header == {"format": "tracker-export", "version": 2, "items": 4, "entries": 13}
    with Tracker.open(another_db()) as target:
        assert target.import_(exported.splitlines()) == (4, 13)
        assert dump(target) == exported
        assert target.verify().ok
        assert target.history("ACSA") == seeded.history("ACSA")
        # ids keep growing after an import: the next entry does not clash
        target.fire("DRILLS", "resume")
        assert target.verify().ok


def test_import_refuses_a_non_empty_target_unless_merge(
    seeded: Tracker, another_db: Callable[[], str]
) -> None:
    exported = dump(seeded)
    with Tracker.open(another_db()) as target:
        target.add("OTHER", "Other", "drill")
        before = dump(target)
        with pytest.raises(Conflict, match="already has 1 item;") as caught:
            target.import_(exported.splitlines())
        assert caught.value.exit_code == 5
        assert dump(target) == before
        assert target.import_(exported.splitlines(), merge=True) == (4, 10)
        assert len(target.list()) == 5
        assert target.verify().ok
        with pytest.raises(Conflict, match="already in the database"):
            target.import_(exported.splitlines(), merge=True)


def _tamper(exported: str, line_type: str, field: str, value: object) -> list[str]:
    return _tamper_at(exported, line_type, field, value)[0]


def _tamper_at(exported: str, line_type: str, field: str, value: object) -> tuple[list[str], int]:
    """The export with the first line of `line_type` changed, and that line's number."""
    lines = exported.splitlines()
    for index, line in enumerate(lines):
        obj = json.loads(line)
        if obj.get("type") == line_type:
            obj[field] = value
            lines[index] = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            return lines, index + 1
    raise AssertionError("no such line")


def test_import_with_a_tampered_entry_is_refused_and_writes_nothing(
    seeded: Tracker, another_db: Callable[[], str]
) -> None:
    exported = dump(seeded)
    with Tracker.open(another_db()) as target:
        for field, value in [("reason", "rewritten"), ("hash", "0" * 64), ("to_state", "resumed")]:
            with pytest.raises(VerificationFailed, match="import refused") as caught:
                target.import_(_tamper(exported, "entry", field, value))
            assert caught.value.exit_code == 7
            assert target.list() == []
            assert target.history() == []


@pytest.mark.parametrize(
    ("line_type", "field", "value"),
    [
        ("item", "title", 7),
        ("item", "parties", [1]),
        ("item", "kind", None),
        ("item", "description", None),
        ("item", "version", True),
        ("item", "key", 5),
        ("entry", "trigger", 5),
        ("entry", "actor", None),
        ("entry", "reason", ["x"]),
        ("entry", "item", 5),
        ("entry", "id", "1"),
    ],
)
def test_import_checks_field_types_and_names_the_line(
    seeded: Tracker, another_db: Callable[[], str], line_type: str, field: str, value: object
) -> None:
    lines, bad = _tamper_at(dump(seeded), line_type, field, value)
    with Tracker.open(another_db()) as target:
        with pytest.raises(UsageError) as caught:
            target.import_(lines)
        assert caught.value.exit_code == 2
        assert str(caught.value).startswith(f"line {bad}: ")
        assert field in str(caught.value)
        assert target.list() == []


def test_import_of_something_else_is_a_usage_error(tracker: Tracker) -> None:
    for junk in ([], ["not json"], ['{"hello": 1}'], ['["a list"]']):
        with pytest.raises(UsageError):
            tracker.import_(junk)
    assert tracker.list() == []


def _drop_append_only_triggers(tracker: Tracker) -> None:
    with tracker.engine.begin() as conn:
        if tracker.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER history_append_only_update"))
            conn.execute(text("DROP TRIGGER history_append_only_delete"))
        else:
            conn.execute(text("DROP TRIGGER history_append_only ON history"))


def test_verify_finds_a_rewritten_entry_and_an_item_out_of_step(seeded: Tracker) -> None:
    report = seeded.verify()
    assert report.ok and (report.items, report.entries) == (4, 10)
    entry = seeded.history("DRILLS")[-1]
    _drop_append_only_triggers(seeded)
    with seeded.engine.begin() as conn:
        conn.execute(
            text("UPDATE history SET reason = 'nothing happened' WHERE id = :id"), {"id": entry.id}
        )
        conn.execute(text("UPDATE items SET state = 'resumed' WHERE key = 'ACSA'"))
    report = seeded.verify()
    assert not report.ok
    found = {(p.item, p.entry_id) for p in report.problems}
    assert ("DRILLS", entry.id) in found
    assert ("ACSA", None) in found
    messages = " ".join(p.message for p in report.problems)
    assert "hash does not match" in messages
    assert "item is resumed but its history leads to stalled" in messages


def test_verify_finds_a_deleted_entry(seeded: Tracker) -> None:
    _first, second, *_ = seeded.history("SAREX")
    _drop_append_only_triggers(seeded)
    with seeded.engine.begin() as conn:
        conn.execute(text("DELETE FROM history WHERE id = :id"), {"id": second.id})
    report = seeded.verify()
    assert {p.item for p in report.problems} == {"SAREX"}
    assert any("version 3 follows 1" in p.message for p in report.problems)


@pytest.mark.parametrize(
    "statements",
    [
        [],
        ["UPDATE history SET to_state = 'resumed' WHERE id = 5"],  # the last entry before the split
        ["DELETE FROM history WHERE id = 5"],
        [
            "UPDATE history SET version = 7 WHERE id = 4",
            "UPDATE history SET actor = 'x' WHERE id = 8",
        ],
        [
            "UPDATE history SET reason = 'rewritten' WHERE id IN (2, 6, 9)",
            "UPDATE history SET from_state = 'stalled' WHERE id = 8",
            "UPDATE items SET state = 'resumed', version = 9 WHERE key = 'ACSA'",
            "DELETE FROM history WHERE id = 3",
        ],
    ],
)
def test_verify_split_over_two_processes_finds_what_one_pass_finds(
    seeded: Tracker, monkeypatch: pytest.MonkeyPatch, statements: list[str]
) -> None:
    # Ten entries: this process checks ids 1-5, a child process 6-10 and the items' end state.
    _drop_append_only_triggers(seeded)
    with seeded.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    one_pass = seeded.verify()
    # The exact replay from here on (a clean database is otherwise proved by the clean pass,
    # which never splits): one pass and two processes find the same.
    monkeypatch.setattr(native_pass, "clean_pass", lambda *args: None)
    monkeypatch.setattr(fast_pass, "clean_pass", lambda *args: None)
    assert seeded.verify(split_from=10**9) == one_pass
    splits: list[int] = []
    split = two_processes.verify_split

    def spy(*args: Any) -> VerifyReport:
        splits.extend(arg.boundary for arg in args if hasattr(arg, "boundary"))
        return split(*args)

    monkeypatch.setattr(two_processes, "verify_split", spy)
    done: list[int] = []
    assert seeded.verify(progress=done.append, split_from=10) == one_pass
    assert splits == [5] and done[-1] == one_pass.entries
    assert one_pass.ok == (not statements)
    assert seeded.verify(split_from=11) == one_pass and splits == [5]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE history SET reason = 'rewritten'",
        "UPDATE history SET to_state = 'resumed' WHERE trigger = 'create'",
        "DELETE FROM history",
        "DELETE FROM history WHERE id = (SELECT MAX(id) FROM history)",
    ],
)
def test_history_is_append_only_in_the_database(seeded: Tracker, statement: str) -> None:
    before = dump(seeded)
    with pytest.raises(DBAPIError, match="append-only"), seeded.engine.begin() as conn:
        conn.execute(text(statement))
    assert dump(seeded) == before
    assert seeded.verify().ok


def test_history_truncate_is_refused_on_postgresql(seeded: Tracker) -> None:
    if seeded.engine.dialect.name != "postgresql":
        return  # SQLite has no TRUNCATE; DELETE is covered above
    with pytest.raises(DBAPIError, match="append-only"), seeded.engine.begin() as conn:
        conn.execute(text("TRUNCATE history CASCADE"))
    assert len(seeded.history()) == 10


def test_position_is_where_list_puts_the_item_in_every_sort(seeded: Tracker) -> None:
    seeded.add("ZULU", "Zulu agreement", kind="agreement", parties=["JPN"])
    for order_by in ("key", "title", "kind", "parties", "state", "changed_at"):
        for descending in (False, True):
            listed = [i.key for i in seeded.list(order_by=order_by, descending=descending)]
            found = [seeded.position(k, order_by=order_by, descending=descending) for k in listed]
            assert found == list(range(len(listed))), (order_by, descending)
    # Among the filter's matches only; None when the filter leaves the item out.
    assert seeded.position("ZULU", kind="agreement", order_by="title") == 1
    assert seeded.position("ZULU", state="stalled") is None
    with pytest.raises(ItemNotFound):
        seeded.position("NOPE")


def test_kinds_are_the_kinds_in_use_sorted(seeded: Tracker) -> None:
    assert seeded.kinds() == ["agreement", "drill", "exercise", "support"]
    seeded.add("ZULU", "A workshop", kind="Workshop")
    assert seeded.kinds()[-1] == "workshop"


def test_the_seed_names_its_outlets_and_records_no_consent(seeded: Tracker) -> None:
    """Each seed entry's source is the outlet it rests on, never a file of this repository;
    the article reports no party consenting to anything (seeds/article.yaml says why)."""
    entries = seeded.history()
    wire = "Wire report of the Yokosuka meeting"
    assert {entry.source for entry in entries} == {
        wire,
        f"{wire} (background)",
        f"{wire}, after Japanese media",
        "Asahi Shimbun, as cited by the wire report",
    }
    assert not any(entry.trigger in ("approve", "withdraw") for entry in entries)
    assert seeded.pending() == []
