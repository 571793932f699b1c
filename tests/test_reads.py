"""A read is one transaction: an item's history, the spans of many items and everything the
item screen shows each open one transaction (counted on the engine's `begin` event), on SQLite
and PostgreSQL, and the item screen's page is one snapshot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from tracker import ItemNotFound, Tracker


@contextmanager
def transactions(tracker: Tracker) -> Iterator[Callable[[], int]]:
    """How many transactions the block began on the tracker's engine."""
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    event.listen(tracker.engine, "begin", count)
    try:
        yield lambda: len(begun)
    finally:
        event.remove(tracker.engine, "begin", count)


@pytest.fixture
def two_hundred(tracker: Tracker) -> list[str]:
    keys = [f"K{n:03d}" for n in range(200)]
    tracker.apply(
        [{"op": "add", "key": k, "title": f"item {k}", "kind": "drill"} for k in keys]
        + [{"op": "fire", "key": k, "trigger": "resume"} for k in keys[::2]]
    )
    return keys


def test_an_items_history_is_one_transaction(tracker: Tracker, two_hundred: list[str]) -> None:
    with transactions(tracker) as begun:
        found = tracker.history("K000", newest_first=True)
    assert [e.trigger for e in found] == ["resume", "create"]
    assert begun() == 1
    with transactions(tracker) as begun:
        assert tracker.history_count("K000", trigger="resume") == 1
    assert begun() == 1


def test_the_spans_of_200_items_are_one_transaction(
    tracker: Tracker, two_hundred: list[str]
) -> None:
    with transactions(tracker) as begun:
        spans = tracker.spans(two_hundred)
    assert begun() == 1
    assert len(spans) == 300 and {s.key for s in spans} == set(two_hundred)
    with transactions(tracker) as begun, pytest.raises(ItemNotFound, match="NOPE"):
        tracker.spans([*two_hundred[:5], "NOPE", "ALSO-NOT"])
    assert begun() == 1


def test_the_item_screens_page_is_one_transaction(tracker: Tracker, two_hundred: list[str]) -> None:
    with transactions(tracker) as begun:
        page = tracker.item_page("k000")
    assert begun() == 1
    assert page.item.key == "K000" and page.state == "resumed" and page.as_of is None
    assert page.allowed == page.item.allowed_triggers == ("stall", "suspend")
    assert [e.trigger for e in page.entries] == ["resume", "create"]
    assert [(s.trigger, s.state) for s in page.spans] == [
        ("create", "proposed"),
        ("resume", "resumed"),
    ]
    with transactions(tracker) as begun, pytest.raises(ItemNotFound):
        tracker.item_page("NOPE")
    assert begun() == 1


def test_the_item_page_as_of_a_moment_is_the_past_and_read_only(tracker: Tracker) -> None:
    tracker.add("PAST", "an item", "drill", at="2025-01-01")
    tracker.fire("PAST", "stall", reason="budget", at="2025-03-01")
    tracker.fire("PAST", "resume", at="2025-05-01")
    then = tracker.item_page("PAST", as_of=datetime(2025, 4, 1, tzinfo=UTC))
    assert then.state == "stalled" and then.allowed == ()
    assert [e.trigger for e in then.entries] == ["stall", "create"]
    assert [s.trigger for s in then.spans] == ["create", "stall"]
    assert tracker.item_page("PAST", as_of="2024-12-31").state is None
    now = tracker.item_page("PAST", limit=1)
    assert now.state == "resumed" and [e.trigger for e in now.entries] == ["resume"]


def test_reads_in_one_read_see_one_snapshot_and_a_write_is_its_own(tracker: Tracker) -> None:
    tracker.add("ONE", "an item", "drill")
    with transactions(tracker) as begun, tracker.db.read():
        assert tracker.get("ONE").state == "proposed"
        reads = begun()
        assert tracker.fire("ONE", "resume").item.state == "resumed"  # committed on its own
        writes = begun() - reads
        assert tracker.get("ONE").state == "proposed"  # still the read's snapshot
        assert [e.trigger for e in tracker.history("ONE")] == ["create"]
        assert begun() == reads + writes
    assert reads == 1
    assert tracker.get("ONE").state == "resumed"


@contextmanager
def statements(tracker: Tracker) -> Iterator[Callable[[], int]]:
    """How many SQL statements the block ran on the tracker's engine."""
    ran: list[str] = []

    def count(*args: object) -> None:
        ran.append(str(args[2]))

    event.listen(tracker.engine, "before_cursor_execute", count)
    try:
        yield lambda: len(ran)
    finally:
        event.remove(tracker.engine, "before_cursor_execute", count)


def test_get_many_reads_the_items_of_many_keys_at_once(
    tracker: Tracker, two_hundred: list[str]
) -> None:
    wanted = ["k150", "K001", "K150", *two_hundred[::-1]]
    with statements(tracker) as ran:
        found = tracker.get_many(wanted)
    assert ran() <= 2  # one read, however many keys (was one per key)
    assert [item.key for item in found] == [
        "K150",
        "K001",
        *(k for k in two_hundred[::-1] if k not in ("K150", "K001")),
    ]
    assert found == [tracker.get(item.key) for item in found]
    assert tracker.get_many([]) == []
    with pytest.raises(ItemNotFound, match="NOPE"):
        tracker.get_many(["K001", "NOPE"])
    with pytest.raises(ItemNotFound):
        tracker.get_many(["K001", "bad key\ud800"])


def test_waiting_on_me_is_a_few_queries_however_many_items_wait(tracker: Tracker) -> None:
    """At 100,000 items the view's first read ran a query per awaited item (2,406: 1.1 s of
    CPU); now the items come in one read, and the answer is the same."""
    from tracker.tui.gates import _waiting, waiting_items

    keys = [f"PACT{n:02d}" for n in range(40)]
    for key in keys:
        tracker.add(key, f"pact {key}", "agreement", ["ROK", "JPN"], at="2026-02-01")
    tracker.apply(
        [
            {"op": "approve", "key": k, "trigger": "sign", "party": "ROK", "source": "Yonhap"}
            for k in keys[::2]
        ]
        + [
            {"op": "approve", "key": k, "trigger": "sign", "party": "JPN", "source": "Asahi"}
            for k in keys[1::4]
        ]
    )
    expected = [tracker.get(p.key) for p in tracker.pending()]
    _waiting.pop(tracker, None)
    with statements(tracker) as ran:
        found = waiting_items(tracker, "title", descending=True)
    assert ran() <= 6, ran()  # the change mark, the consents, the items (and BEGINs)
    assert found == sorted(expected, key=lambda i: i.title.lower(), reverse=True)
    assert len(found) == 30
