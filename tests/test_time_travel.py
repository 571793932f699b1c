"""Time travel at speed must still tell the truth: counts and sorted pages as of a moment agree
with `as_of` (the plain per-item replay), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from tracker import Tracker

START = datetime(2024, 1, 1, tzinfo=UTC)


def fill(tracker: Tracker) -> None:
    ops: list[dict[str, object]] = []
    for n in range(12):
        key = f"T{n:02d}"
        at = START + timedelta(days=n)
        ops.append(
            {"op": "add", "key": key, "title": f"t {n}", "kind": "drill", "at": at.isoformat()}
        )
        for step, trigger in enumerate(("stall", "resume", "suspend", "resume")[: n % 5]):
            at += timedelta(days=3 + step)
            ops.append(
                {"op": "fire", "key": key, "trigger": trigger, "at": at.isoformat(), "reason": "r"}
            )
    tracker.apply(ops)


def test_counts_and_state_sorted_pages_as_of_agree_with_as_of(tracker: Tracker) -> None:
    fill(tracker)
    for days in (-1, 0, 2, 5, 9, 14, 20, 400):
        moment = START + timedelta(days=days, hours=12)
        then = tracker.as_of(moment)
        assert tracker.count(as_of=moment) == dict(Counter(s.state for s in then))
        assert tracker.count(as_of=moment, state="stalled") == {
            k: v for k, v in Counter(s.state for s in then).items() if k == "stalled"
        }
        by_state = tracker.list(as_of=moment, order_by="state")
        assert [i.state for i in by_state] == sorted(s.state for s in then)
        assert {(i.key, i.state) for i in by_state} == {(s.key, s.state) for s in then}
        newest = tracker.list(as_of=moment, order_by="changed_at", descending=True, limit=3)
        expected = sorted(then, key=lambda s: s.occurred_at, reverse=True)[:3]
        assert [i.changed_at for i in newest] == [s.occurred_at for s in expected]
        by_title = tracker.list(as_of=moment, order_by="title", descending=True)
        titles = {i.key: i.title for i in tracker.list()}
        assert [(i.key, i.state) for i in by_title] == [
            (s.key, s.state) for s in sorted(then, key=lambda s: titles[s.key], reverse=True)
        ]
        page = tracker.list(as_of=moment, order_by="key", limit=3, offset=2)
        assert [(i.key, i.state, i.version) for i in page] == [
            (s.key, s.state, s.version) for s in then[2:5]
        ]
        stalled = tracker.list(as_of=moment, order_by="state", state="stalled")
        assert {i.key for i in stalled} == {s.key for s in then if s.state == "stalled"}
