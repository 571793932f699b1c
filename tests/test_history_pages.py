"""The history screen's service calls: prefix search and keyset paging (SQLite and PostgreSQL),
and the change mark that live refresh polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tracker import HistorySearch, Tracker
from tracker.errors import UsageError

START = datetime(2024, 1, 1, tzinfo=UTC)


def fill(tracker: Tracker, items: int = 12, fires: int = 9) -> None:
    """`items` items with `fires` comments each; several entries share a time (ties on
    occurred_at are broken by id) and keys hold LIKE wildcards."""
    ops: list[dict[str, Any]] = []
    for n in range(items):
        key = ("A_%d" if n % 3 == 0 else "B.%d" if n % 3 == 1 else "ab%d") % n
        ops.append(
            {
                "op": "add",
                "key": key,
                "title": f"item {n}",
                "kind": "drill",
                "at": START.isoformat(),
            }
        )
        for f in range(fires):
            at = START + timedelta(days=1 + f // 2)  # pairs of entries at the same moment
            actor = "ROK MND" if f % 2 else "Japan MOD"
            ops.append(
                {
                    "op": "comment",
                    "key": key,
                    "reason": f"note {f}",
                    "at": at.isoformat(),
                    "actor": actor,
                }
            )
    tracker.apply(ops)


def newest_first(tracker: Tracker) -> list[int]:
    return [e.id for e in tracker.history(newest_first=True)]


def test_keyset_pages_walk_the_whole_history_in_both_directions(tracker: Tracker) -> None:
    fill(tracker)
    everything = newest_first(tracker)
    search = HistorySearch()
    assert tracker.history_search_count(search) == len(everything) == 120

    forward: list[int] = []
    page = tracker.history_page(search, limit=7)
    while page:
        forward += [e.id for e in page]
        page = tracker.history_page(search, after=page[-1].position, limit=7)
    assert forward == everything

    backward: list[int] = []
    page = tracker.history_page(search, backwards=True, limit=7)  # the last page
    while page:
        backward = [e.id for e in page] + backward
        page = tracker.history_page(search, after=page[0].position, backwards=True, limit=7)
    assert backward == everything
    last = tracker.history_page(search, backwards=True, limit=3)
    assert [e.id for e in last] == everything[-3:]


def test_position_finds_any_row_to_page_from(tracker: Tracker) -> None:
    fill(tracker, items=4, fires=5)
    everything = tracker.history(newest_first=True)
    search = HistorySearch()
    for index in (0, 7, len(everything) - 1):
        assert tracker.history_position(search, index) == everything[index].position
        after = tracker.history_page(search, after=everything[index].position, limit=3)
        assert after == everything[index + 1 : index + 4]
    assert tracker.history_position(search, len(everything)) is None
    with pytest.raises(UsageError):
        tracker.history_position(search, -1)


def test_prefix_filters_are_case_insensitive_and_escape_wildcards(tracker: Tracker) -> None:
    fill(tracker, items=6, fires=2)
    keys = {e.item for e in tracker.history()}
    assert keys == {"A_0", "B.1", "ab2", "A_3", "B.4", "ab5"}

    def items_found(**prefixes: str) -> set[str]:
        return {e.item for e in tracker.history_page(HistorySearch(**prefixes), limit=1000)}

    assert items_found(item="a") == {"A_0", "ab2", "A_3", "ab5"}
    assert items_found(item="a_") == {"A_0", "A_3"}  # `_` is a character, not "any"
    assert items_found(item="b.") == {"B.1", "B.4"}
    assert items_found(item="%") == set()  # `%` too
    assert items_found(actor="%MND") == set()
    assert items_found(actor="\\") == set()
    assert items_found(item="AB") == {"ab2", "ab5"}
    assert items_found(item="zz") == set()
    rok = tracker.history_page(HistorySearch(actor="rok"), limit=1000)
    assert rok and {e.actor for e in rok} == {"ROK MND"}
    assert tracker.history_search_count(HistorySearch(actor="ROK M")) == len(rok) == 6
    assert {e.trigger for e in tracker.history_page(HistorySearch(trigger="CRE"), limit=99)} == {
        "create"
    }
    assert tracker.history_search_count(HistorySearch(item="a_", trigger="com")) == 4


def test_an_exact_key_finds_that_item_only_not_the_keys_it_begins(tracker: Tracker) -> None:
    for key in ("ACSA", "ACSA2", "acsa_x"):
        tracker.add(key, title=key, kind="drill", at=START)
        tracker.comment(key, f"note on {key}", at=START + timedelta(days=1))
    search = HistorySearch(key="acsa")  # case-insensitive, like every key lookup
    found = tracker.history_page(search, limit=100)
    assert {e.item for e in found} == {"ACSA"} and len(found) == 2
    assert tracker.history_search_count(search) == 2
    assert tracker.history_position(search, 1) == found[1].position
    assert tracker.history_page(search, after=found[0].position, limit=5) == found[1:]
    assert tracker.history_page(HistorySearch(key="ACS"), limit=100) == []
    assert {e.item for e in tracker.history_page(HistorySearch(item="ACSA"), limit=100)} == {
        "ACSA",
        "ACSA2",
        "acsa_x",
    }  # the prefix stays a prefix


def test_a_date_range_and_paging_with_filters(tracker: Tracker) -> None:
    fill(tracker, items=9, fires=9)
    search = HistorySearch(
        item="a", actor="japan", since=START + timedelta(days=2), until=START + timedelta(days=4)
    )
    expected = [
        e.id
        for e in tracker.history(newest_first=True)
        if e.item.lower().startswith("a")
        and e.actor == "Japan MOD"
        and search.since <= e.occurred_at <= search.until  # type: ignore[operator]
    ]
    assert expected and tracker.history_search_count(search) == len(expected)
    found: list[int] = []
    page = tracker.history_page(search, limit=2)
    while page:
        found += [e.id for e in page]
        page = tracker.history_page(search, after=page[-1].position, limit=2)
    assert found == expected


def test_the_cli_history_keeps_exact_filters(tracker: Tracker) -> None:
    fill(tracker, items=3, fires=2)
    assert tracker.history(actor="ROK") == []  # exact, unlike the screen's prefix
    assert len(tracker.history(actor="ROK MND")) == 3


def test_the_change_mark_moves_with_views_saved_replaced_or_deleted(tracker: Tracker) -> None:
    tracker.seed()
    before = tracker.last_change()
    assert tracker.last_change() == before  # reading changes nothing
    tracker.save_view("stalled", state="stalled")
    saved = tracker.last_change()
    assert saved != before
    tracker.save_view("stalled", state="proposed", replace=True)
    replaced = tracker.last_change()
    assert replaced != saved
    tracker.delete_view("stalled")
    assert tracker.last_change() != replaced  # the poller compares with the last mark seen
    unchanged = tracker.last_change()
    tracker.fire("ACSA", "resume", reason="talks restart")
    assert tracker.last_change() != unchanged
