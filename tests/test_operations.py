"""Typed operations: a batch file and the Python API ask for a write in the same words (Add,
Fire, Comment, Edit), checked the same way, and the batch carries them out by attribute."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tracker import Add, Comment, Edit, Fire, ItemNotFound, NotAllowed, Tracker, UsageError
from tracker.formats.batchfile import parse
from tracker.operations import OPERATIONS, Operation, checked, from_mapping, typed
from tracker.store.batch import Batch

NDJSON = """\
{"op": "add", "key": "EX-1", "title": "Exercise", "kind": "drill", "parties": ["rok", "JPN"]}
{"op": "fire", "key": "EX-1", "trigger": "stall", "reason": "budget", "at": "2026-01-02"}
{"op": "comment", "key": "ex-1", "reason": "talks go on", "source": "Yonhap"}
{"op": "edit", "key": "EX-1", "title": "Joint exercise"}
"""
YAML = """\
- {op: add, key: EX-1, title: Exercise, kind: drill, parties: [rok, JPN]}
- {op: fire, key: EX-1, trigger: stall, reason: budget, at: "2026-01-02"}
- {op: comment, key: ex-1, reason: talks go on, source: Yonhap}
- {op: edit, key: EX-1, title: Joint exercise}
"""
TYPED = [
    Add("EX-1", "Exercise", "drill", ("rok", "JPN")),
    Fire("EX-1", "stall", reason="budget", at="2026-01-02"),
    Comment("ex-1", "talks go on", source="Yonhap"),
    Edit("EX-1", title="Joint exercise"),
]


def test_a_batch_file_in_any_format_reads_as_the_typed_operations() -> None:
    as_json = "[" + ",\n".join(NDJSON.splitlines()) + "]"
    for text in (NDJSON, YAML, as_json):
        ops = parse(text)
        assert ops == TYPED
        assert [op.line for op in ops] == [1, 2, 3, 4]  # kept for errors, not compared
        assert typed(ops) is ops  # checked once, as they were read
    assert isinstance(parse(NDJSON)[0], Add) and parse(NDJSON)[0].parties == ("rok", "JPN")


def test_each_op_name_has_its_class_and_a_batch_method() -> None:
    assert list(OPERATIONS) == ["add", "fire", "comment", "edit", "approve", "withdraw"]
    for name, cls in OPERATIONS.items():
        assert cls.op == name
        assert callable(getattr(Batch, name)), f"writes.Batch carries out {name!r}"


@pytest.mark.parametrize("op", TYPED, ids=lambda op: op.op)
def test_operations_are_frozen_slotted_values(op: Operation) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.key = "OTHER"  # type: ignore[misc]
    assert not hasattr(op, "__dict__")
    assert hash(op) == hash(dataclasses.replace(op, line=9))


REFUSED: list[tuple[Any, str, str]] = [
    # (object, error naming a batch line 3, error of one API call)
    ([1], "line 3: an operation must be an object, not list", "an operation must be"),
    ({"op": "add", 1: "x"}, "line 3: a field name must be a string, not 1", "a field name"),
    (
        {"op": "drop", "key": "A"},
        "line 3: unknown op 'drop' (ops: add, fire, comment, edit, approve",
        "",
    ),
    ({"op": ["fire"], "key": "A"}, "line 3: unknown op ['fire']", "unknown op"),
    ({"key": "A"}, "line 3: unknown op None", "unknown op None"),
    ({"op": "fire", "key": "A", "trigger": "t", "x": 1, "a": 2}, "unknown field 'a'", ""),
    ({"op": "comment", "key": "A", "trigger": "t"}, "unknown field 'trigger' for op", ""),
    ({"op": "add", "key": "A", "title": "T"}, "line 3: op 'add' needs 'kind'", "add needs 'kind'"),
    ({"op": "comment", "key": "A", "reason": ""}, "op 'comment' needs 'reason'", "comment needs"),
    ({"op": "fire", "key": None, "trigger": "t"}, "line 3: op 'fire' needs 'key'", "fire needs"),
    ({"op": "fire", "key": "A", "trigger": 5}, "line 3: 'trigger' must be a string", ""),
    ({"op": "edit", "key": "A", "parties": "ROK"}, "line 3: 'parties' must be a list of", ""),
    ({"op": "edit", "key": "A", "parties": ["ROK", 1]}, "'parties' must be a list of strings", ""),
    ({"op": "fire", "key": "A", "trigger": "t", "at": 20260101}, "'at' must be a string", ""),
    # The first wrong value in the order given is the one named.
    ({"op": "edit", "key": "A", "title": 1, "parties": "X"}, "line 3: 'title' must be", ""),
]


@pytest.mark.parametrize(("obj", "in_a_file", "in_a_call"), REFUSED)
def test_a_raw_object_is_refused_with_the_message_of_its_fault(
    obj: Any, in_a_file: str, in_a_call: str
) -> None:
    with pytest.raises(UsageError) as caught:
        from_mapping(obj, 3)
    assert str(caught.value).startswith(in_a_file) or in_a_file in str(caught.value)
    with pytest.raises(UsageError) as quiet:
        from_mapping(obj, 3, name_lines=False)
    assert "line 3" not in str(quiet.value)
    assert str(quiet.value).startswith(in_a_call)


def test_values_of_another_type_where_they_are_allowed() -> None:
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    op = from_mapping({"op": "fire", "key": "A", "trigger": "t", "at": moment}, 1)
    assert isinstance(op, Fire) and op.at == moment
    assert from_mapping({"op": "comment", "key": "A", "reason": "r", "at": date(2026, 1, 2)}, 1)
    edit = from_mapping({"op": "edit", "key": "A", "parties": ["ROK"]}, 1)
    assert isinstance(edit, Edit) and edit.parties == ("ROK",)  # a tuple: the op is hashable


def test_an_operation_built_in_python_is_held_to_the_same_rules() -> None:
    with pytest.raises(UsageError, match=r"^fire needs 'trigger'$"):
        checked(Fire("A", ""), name_lines=False)
    with pytest.raises(UsageError, match=r"^line 2: 'title' must be a string$"):
        checked(Edit("A", title=5), line=2)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^line 7: op 'add' needs 'title'$"):
        typed([Comment("A", "ok"), Add("B", "", "drill", line=7)])


def test_only_the_registered_operations_are_carried_out(tracker: Tracker) -> None:
    tracker.add("K1", "One", "drill")

    @dataclasses.dataclass(frozen=True, slots=True)
    class Louder(Fire):
        pass

    for stranger in (Operation("K1"), Louder("K1", "resume")):
        with pytest.raises(UsageError, match=r"^line 1: (Operation|Louder) is not an operation "):
            tracker.apply([stranger])
    assert tracker.get("K1").state == "proposed"


def test_a_mapping_and_its_typed_operation_are_one(tracker: Tracker) -> None:
    as_dicts: list[Any] = [
        {"op": "add", "key": "K1", "title": "One", "kind": "drill", "parties": ["ROK"]},
        {"op": "fire", "key": "K1", "trigger": "resume", "actor": "kim"},
    ]
    assert typed(as_dicts) == [
        Add("K1", "One", "drill", ("ROK",)),
        Fire("K1", "resume", actor="kim"),
    ]
    result = tracker.apply([Add("K1", "One", "drill", ("ROK",)), as_dicts[1]])
    assert (result.added, result.fired, result.keys) == (1, 1, ("K1",))
    assert [e.actor for e in tracker.history("K1")][-1] == "kim"
    assert tracker.get("K1").state == "resumed"


def test_apply_names_a_typed_operation_by_its_position_or_its_line(tracker: Tracker) -> None:
    tracker.add("K1", "One", "drill")
    with pytest.raises(ItemNotFound, match=r"^line 2: no item 'NOPE'"):
        tracker.apply([Comment("K1", "fine"), Comment("NOPE", "lost")])
    with pytest.raises(NotAllowed, match=r"^line 40: K1: cannot "):
        tracker.apply([Fire("K1", "propose", line=40)])
    # One API call names no line.
    with pytest.raises(NotAllowed, match=r"^K1: cannot "):
        tracker.fire("K1", "propose")
    assert [e.trigger for e in tracker.history("K1")] == ["create"]  # nothing was written


def test_an_api_argument_of_the_wrong_type_is_a_usage_error(tracker: Tracker) -> None:
    tracker.add("K1", "One", "drill")
    with pytest.raises(UsageError, match=r"^'trigger' must be a string$"):
        tracker.fire("K1", 5)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^'parties' must be a list of strings$"):
        tracker.edit("K1", parties=[1])  # type: ignore[list-item]
    with pytest.raises(UsageError, match=r"^comment needs 'reason'$"):
        tracker.comment("K1", "")
    assert len(tracker.history("K1")) == 1
