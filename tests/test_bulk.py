"""Bulk transitions: which items a trigger may fire on, and `fire --where` selecting items
through the same filters as `list`, fired as one all-or-nothing batch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CLI
from tracker import Conflict, ItemNotFound, NotAllowed, Refusal, Tracker, TriggerNotFound
from tracker.store import apply as applying
from tracker.store import bulk_pg
from tracker.store.batch import Batch
from tracker.workflow import Workflows


def test_check_fire_splits_keys_into_allowed_and_refused(seeded: Tracker) -> None:
    check = seeded.check_fire(["acsa", "SAREX", "DRILLS", "REFUEL"], "resume")
    assert check.allowed == ("ACSA", "DRILLS")
    assert check.refused == (
        Refusal("SAREX", "resumed", ("stall", "suspend")),
        Refusal("REFUEL", "resumed", ("stall", "suspend")),
    )
    assert seeded.check_fire(["SAREX"], "suspend").requires == ("reason",)
    assert len(seeded.history()) == 10  # nothing written


def test_check_fire_names_unknown_items_and_triggers(seeded: Tracker) -> None:
    with pytest.raises(ItemNotFound):
        seeded.check_fire(["ACSA", "NOPE"], "resume")
    with pytest.raises(TriggerNotFound):
        seeded.check_fire(["ACSA"], "explode")


def test_keys_selects_like_list(seeded: Tracker) -> None:
    assert seeded.keys(state="resumed") == ["REFUEL", "SAREX"]
    assert seeded.keys(party="JPN", text="drill") == ["DRILLS"]
    assert seeded.keys(kind="nothing") == []


def test_fire_where_fires_every_match_in_one_batch(seeded: Tracker) -> None:
    result = seeded.fire_where("stall", state="resumed", reason="budget freeze", source="MND")
    assert (result.fired, sorted(result.keys)) == (2, ["REFUEL", "SAREX"])
    assert seeded.keys(state="stalled") == ["ACSA", "REFUEL", "SAREX"]
    stalls = seeded.history(trigger="stall", since="2026-02-01")
    assert {(e.item, e.reason, e.source) for e in stalls} == {
        ("REFUEL", "budget freeze", "MND"),
        ("SAREX", "budget freeze", "MND"),
    }
    assert seeded.verify().ok


def test_fire_where_refuses_all_when_some_cannot_fire(seeded: Tracker) -> None:
    with pytest.raises(NotAllowed) as refused:
        seeded.fire_where("resume", party="ROK")
    assert "REFUEL (resumed)" in str(refused.value)
    assert "SAREX (resumed)" in str(refused.value)
    assert seeded.keys(state="resumed") == ["REFUEL", "SAREX"]  # nothing fired
    assert len(seeded.history()) == 10


def test_fire_where_missing_reason_writes_nothing(seeded: Tracker) -> None:
    with pytest.raises(NotAllowed):
        seeded.fire_where("suspend", state="resumed")
    assert len(seeded.history()) == 10


def test_fire_where_with_no_match_fires_nothing(seeded: Tracker) -> None:
    result = seeded.fire_where("resume", kind="nothing")
    assert (result.fired, result.keys) == (0, ())


def test_fire_where_dry_run_writes_nothing(seeded: Tracker) -> None:
    result = seeded.fire_where("resume", state="suspended", dry_run=True)
    assert (result.fired, result.keys, result.dry_run) == (1, ("DRILLS",), True)
    assert seeded.get("DRILLS").state == "suspended"


def test_bulk_on_many_items_is_one_batch(tracker: Tracker) -> None:
    tracker.apply(
        [
            {"op": "add", "key": f"EX{n:04d}", "title": f"Drill {n}", "kind": "drill"}
            for n in range(1500)
        ]
        + [{"op": "add", "key": "OTHER", "title": "Other", "kind": "support"}]
    )
    keys = tracker.keys(kind="drill", state="proposed")
    assert len(keys) == 1500
    check = tracker.check_fire(keys, "resume")
    assert (len(check.allowed), check.refused) == (1500, ())
    result = tracker.fire_where("resume", kind="drill")
    assert result.fired == 1500
    assert tracker.count(kind="drill") == {"resumed": 1500}
    assert tracker.get("OTHER").state == "proposed"
    assert tracker.verify().ok


def test_cli_fire_where(seeded: Tracker, cli: CLI) -> None:
    done = cli("fire", "stall", "--where", "state=resumed,party=jpn", "--reason", "budget")
    assert done.code == 0
    assert done.out.strip() == "fired stall on 2 items: REFUEL, SAREX"
    assert seeded.keys(state="stalled") == ["ACSA", "REFUEL", "SAREX"]


def test_cli_fire_where_json_and_dry_run(seeded: Tracker, cli: CLI) -> None:
    done = cli("fire", "resume", "--where", "kind=drill", "--dry-run", "--format", "json")
    assert done.code == 0
    assert json.loads(done.out) | {"keys": ["DRILLS"]} == {
        "added": 0,
        "fired": 1,
        "commented": 0,
        "edited": 0,
        "approved": 0,
        "withdrawn": 0,
        "dry_run": True,
        "keys": ["DRILLS"],
    }
    assert seeded.get("DRILLS").state == "suspended"


def test_cli_fire_where_text_may_hold_commas(seeded: Tracker, cli: CLI) -> None:
    seeded.add("PKO", "Peacekeeping, logistics", "support")
    done = cli("fire", "resume", "--where", "text=keeping, log,state=proposed")
    assert (done.code, done.out.strip()) == (0, "fired resume on 1 item: PKO")


@pytest.mark.parametrize(
    "args, code",
    [
        (["fire", "resume", "--where", "colour=red"], 2),
        (["fire", "resume", "--where", "nonsense"], 2),
        (["fire", "resume", "--where", "state=stalled,state=resumed"], 2),
        (["fire", "ACSA", "resume", "--where", "state=stalled"], 2),
        (["fire", "resume", "--where", "state=stalled", "--expect-state", "stalled"], 2),
        (["fire", "resume", "--where", "party=ROK"], 4),
        (["fire", "explode", "--where", "party=ROK"], 3),
    ],
)
def test_cli_fire_where_errors_change_nothing(
    seeded: Tracker, cli: CLI, args: list[str], code: int
) -> None:
    failed = cli(*args)
    assert failed.code == code
    assert failed.err.startswith("error: ") and failed.err.count("\n") == 1
    assert len(seeded.history()) == 10


def test_cli_fire_where_no_match(seeded: Tracker, cli: CLI) -> None:
    done = cli("fire", "resume", "--where", "kind=nothing")
    assert (done.code, done.out.strip()) == (0, "no items match; nothing fired")


def test_fire_where_is_a_conflict_when_an_item_moves_meanwhile(
    seeded: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = applying.check

    def another_writer_in_between(workflows: Workflows, trigger: str, targets: Any) -> Any:
        checked = check(workflows, trigger, targets)
        seeded.fire("SAREX", "suspend", reason="another writer, meanwhile")
        return checked

    monkeypatch.setattr(applying, "check", another_writer_in_between)
    with pytest.raises(Conflict):
        seeded.fire_where("stall", state="resumed", reason="budget freeze")
    assert seeded.get("REFUEL").state == "resumed"  # nothing of the batch was written
    assert seeded.get("SAREX").state == "suspended"


def test_check_fire_all_says_what_each_trigger_would_move(seeded: Tracker) -> None:
    keys = ["ACSA", "DRILLS", "REFUEL", "SAREX"]
    checks = seeded.check_fire_all(keys)
    assert [c.trigger for c in checks] == ["propose", "stall", "suspend", "resume", "sign"]
    assert checks == [seeded.check_fire(keys, check.trigger) for check in checks]
    assert {c.trigger: len(c.allowed) for c in checks}["suspend"] == 3  # not DRILLS


def _items(tracker: Tracker, count: int) -> list[str]:
    keys = [f"CAS{n:04d}" for n in range(count)]
    tracker.apply([{"op": "add", "key": key, "title": key, "kind": "drill"} for key in keys])
    return keys


@pytest.mark.parametrize("count", [1, bulk_pg.UPDATE_FROM])
def test_an_item_changed_since_the_batch_read_it_is_a_conflict_and_nothing_is_written(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """The compare-and-set on each item's version, on both of PostgreSQL's update paths (one
    UPDATE per item; from UPDATE_FROM items, COPY into a temporary table and UPDATE ... FROM):
    one item whose stored version is not the one read refuses the whole batch."""
    keys = _items(tracker, count)
    keep = Batch.keep

    def one_read_stale(self: Batch, rows: Any) -> None:
        keep(self, rows)
        self.live[keys[-1].lower()].read_version += 1

    monkeypatch.setattr(Batch, "keep", one_read_stale)
    with pytest.raises(Conflict, match="concurrent writer"):
        tracker.fire_many(keys, "resume")
    monkeypatch.undo()
    assert tracker.count(kind="drill") == {"proposed": count}
    assert tracker.history_count() == count  # the creates only
    assert tracker.fire_many(keys, "resume")[-1].item.version == 2  # and the batch can go on
    assert tracker.verify().ok


@pytest.mark.parametrize("count", [1, 150])
def test_adding_a_key_another_writer_added_meanwhile_is_a_conflict(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """The batch did not see the item when it loaded (another writer added it after): the
    insert (COPY on PostgreSQL) hits the unique key, a Conflict, and nothing is written."""
    _items(tracker, 1)
    monkeypatch.setattr(Batch, "load", lambda self, keys: None)
    adds = [
        {"op": "add", "key": f"CAS{n:04d}", "title": "again", "kind": "drill"} for n in range(count)
    ]
    with pytest.raises(Conflict):
        tracker.apply(adds[::-1])
    monkeypatch.undo()
    assert tracker.keys() == ["CAS0000"]
    assert tracker.history_count() == 1


def _big(tracker: Tracker) -> list[str]:
    keys = [f"BIG{n:04d}" for n in range(Batch.REPORT_LIMIT + 1)]
    tracker.apply(
        [
            {
                "op": "add",
                "key": key,
                "title": f"Title of {key}",
                "kind": "drill",
                "parties": ["ROK", "JPN"],
                "description": f"What {key} is",
                "at": "2024-01-01",
            }
            for key in keys
        ]
    )
    return keys


def test_a_big_batch_of_fires_and_comments_keeps_every_other_field(tracker: Tracker) -> None:
    """Past REPORT_LIMIT operations of fires and comments only, a batch loads and writes back
    only what they read and change: titles, parties, descriptions, kinds, creation times
    stay as they were, and the chains verify."""
    keys = _big(tracker)
    before = {item.key: item for item in tracker.list()}
    ops: list[dict[str, Any]] = [{"op": "fire", "key": key, "trigger": "resume"} for key in keys]
    ops.append({"op": "comment", "key": keys[0], "reason": "noted"})
    assert tracker.apply(ops).fired == len(keys)
    after = {item.key: item for item in tracker.list()}
    assert after.keys() == before.keys()
    for key, item in after.items():
        was = before[key]
        assert (item.title, item.parties, item.description, item.kind, item.created_at) == (
            was.title,
            was.parties,
            was.description,
            was.kind,
            was.created_at,
        )
        assert (item.state, item.version) == ("resumed", 3 if key == keys[0] else 2)
        assert item.updated_at > was.updated_at
    assert [e.trigger for e in tracker.history(keys[0])] == ["create", "resume", "comment"]
    assert tracker.verify().ok


def test_a_big_batch_with_an_edit_writes_the_edit(tracker: Tracker) -> None:
    keys = _big(tracker)
    ops: list[dict[str, Any]] = [{"op": "fire", "key": key, "trigger": "resume"} for key in keys]
    ops.append({"op": "edit", "key": keys[-1], "title": "New title", "parties": ["USA"]})
    tracker.apply(ops)
    edited = tracker.get(keys[-1])
    assert (edited.title, edited.parties, edited.state) == ("New title", ("USA",), "resumed")
    assert tracker.get(keys[0]).title == f"Title of {keys[0]}"
    assert tracker.verify().ok


def test_a_big_batch_of_gated_fires_still_needs_every_party(tracker: Tracker) -> None:
    """A big batch of fires reads only some columns of its items, the parties among them: a
    gated trigger (the agreement's `sign`) still needs the consent of every party."""
    keys = [f"AGR{n:04d}" for n in range(Batch.REPORT_LIMIT + 1)]
    tracker.apply(
        [
            {"op": "add", "key": key, "title": key, "kind": "agreement", "parties": ["ROK", "JPN"]}
            for key in keys
        ]
    )
    ops = [{"op": "fire", "key": key, "trigger": "sign", "source": "text"} for key in keys]
    with pytest.raises(NotAllowed, match=r"sign needs the consent of JPN, ROK"):
        tracker.apply(ops)
    assert tracker.count(kind="agreement") == {"proposed": len(keys)}
