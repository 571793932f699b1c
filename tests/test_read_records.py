"""The fast reads build the same values as the records' own constructors: an item read by
`list`, `get`, `list(as_of=...)`, an export or a batch's result equals the Item made field by
field from its row by SQLAlchemy's own types, whatever the row holds (other scripts, empty
parties and description, times to the microsecond, at the ends of what is accepted, given in
another offset); `as_of` agrees with each item's history replayed. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tracker import Tracker
from tracker.records import Item, ItemState
from tracker.store import queries
from tracker.store.models import items

HOSTILE = [
    # key, title, kind, parties, description, at
    ("Aerger-1", "Ärger über die Übung: ß, ǅ, İ", "drill", ["ROK", "JPN"], "", "1900-01-01"),
    ("tokyo.2", "日本語のタイトル 🚢 line", "exercise", [], "説明 段落", "2000-06-15T12:00+02:00"),
    ("RTL-3", "עברית وعربي", "agreement", ["USA"], "'quotes' \"and\" \\back\\", None),
    ("Z-4", "x" * 500, "drill", ["AUS", "ROK", "JPN"], "y" * 2000, "1999-12-31T23:59:59.999999Z"),
    ("MICRO-5", "µs", "drill", ["GBR"], "%_ like", "2024-02-29T23:59:59.999999+05:30"),
]


@pytest.fixture
def hostile(tracker: Tracker) -> list[str]:
    for key, title, kind, parties, description, at in HOSTILE:
        tracker.add(key, title, kind, parties, description, at=at)
    tracker.fire("tokyo.2", "stall", reason="why not", at="2001-01-01T00:00:00.000001Z")
    return [row[0] for row in HOSTILE]


def expected_items(tracker: Tracker) -> list[Item]:
    """Every item, by key, built by Item's own constructor from a row that SQLAlchemy's
    types read (the path `list` took before its fast one)."""
    with tracker.db.session() as session:
        rows = session.execute(select(items).order_by(items.c.key_lower, items.c.id)).all()
    built = []
    for row in rows:
        workflow = tracker.workflows.by_name.get(row.workflow)
        built.append(
            Item(
                key=row.key,
                title=row.title,
                kind=row.kind,
                parties=tuple(row.parties.split()),
                state=row.state,
                version=row.version,
                description=row.description,
                created_at=row.created_at,
                updated_at=row.updated_at,
                workflow=row.workflow,
                allowed_triggers=workflow.allowed(row.state) if workflow else (),
                changed_at=row.changed_at,
            )
        )
    return built


def same_record(got: object, want: object) -> None:
    """Equal, and field by field of the same types (an aware UTC time, a tuple)."""
    assert got == want
    assert type(got) is type(want)
    for field in fields(want):  # type: ignore[arg-type]
        mine, theirs = getattr(got, field.name), getattr(want, field.name)
        assert type(mine) is type(theirs), field.name
        if isinstance(theirs, datetime):
            assert mine.utcoffset() == timedelta(0) and mine.isoformat() == theirs.isoformat()


def test_list_and_get_build_the_items_their_rows_hold(tracker: Tracker, hostile: list[str]) -> None:
    want = expected_items(tracker)
    assert len(want) == len(HOSTILE)
    got = tracker.list()
    for mine, theirs in zip(got, want, strict=True):
        same_record(mine, theirs)
        same_record(tracker.get(theirs.key.lower()), theirs)
        assert hash(mine) == hash(theirs)
    assert {i.key for i in tracker.list(party="ROK")} == {"Aerger-1", "Z-4"}
    assert tracker.list(text="ärger") == [want[0]]
    micro = tracker.get("MICRO-5")
    assert micro.created_at == datetime(2024, 2, 29, 18, 29, 59, 999999, tzinfo=UTC)
    assert tracker.get("Z-4").created_at.year == 1999


def test_an_item_in_an_unknown_workflow_allows_no_trigger(tracker: Tracker) -> None:
    tracker.add("ODD", "odd", "drill")
    with tracker.db.session(write=True) as session:
        session.execute(items.update().values(workflow="gone"))
    (odd,) = tracker.list()
    assert odd.workflow == "gone" and odd.allowed_triggers == ()


def test_items_from_sets_every_field_of_item(tracker: Tracker) -> None:
    """items_from fills Item's slots one by one: every field, in Item's order, is set."""
    assert [f.name for f in fields(Item)] == [
        *queries.ITEM_COLUMNS[:10],
        "allowed_triggers",
        "changed_at",
    ]
    when = "2025-01-02T03:04:05.000006Z"
    row = ("K", "t", "drill", "ROK  JPN", "stalled", 3, "", when, when, "default", when)
    (made,) = queries.items_from([row], tracker.workflows)
    moment = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert made == Item(
        "K", "t", "drill", ("ROK", "JPN"), "stalled", 3, "", moment, moment, "default",
        tracker.workflows.get("default").allowed("stalled"), moment,
    )  # fmt: skip
    (past,) = queries.items_from([row], None)
    assert past.allowed_triggers == () and past.state == "stalled"


def test_as_of_lists_agree_with_the_replayed_history(tracker: Tracker, hostile: list[str]) -> None:
    tracker.fire("Aerger-1", "resume", at="2000-01-01")
    tracker.fire("Aerger-1", "stall", reason="r", at="2010-01-01T00:00:00.5Z")
    for text in ("1900-01-01", "1999-12-31T23:59:59.999999Z", "2010-01-01T00:00:00.5Z", "2031"):
        moment = datetime.fromisoformat(text) if len(text) > 4 else datetime.now(UTC)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        expected = []
        for item in expected_items(tracker):
            past = [e for e in tracker.history(item.key) if e.occurred_at <= moment]
            if past:
                last = past[-1]
                then = ItemState(
                    item.key, item.title, item.kind, last.to_state, len(past), last.occurred_at
                )
                expected.append(then)
        states = tracker.as_of(moment)
        for got, want in zip(states, expected, strict=True):
            same_record(got, want)
        listed = tracker.list(as_of=moment)
        assert [(i.key, i.state, i.version, i.changed_at, i.updated_at) for i in listed] == [
            (s.key, s.state, s.version, s.occurred_at, s.occurred_at) for s in expected
        ]
        assert all(i.allowed_triggers == () for i in listed)
        for order in ("state", "title", "changed_at"):
            again = tracker.list(as_of=moment, order_by=order)
            assert sorted(again, key=lambda i: i.key) == sorted(listed, key=lambda i: i.key)


def test_export_and_a_batchs_results_build_the_same_items(
    tracker: Tracker, hostile: list[str]
) -> None:
    out = io.StringIO()
    tracker.export(out)
    exported = [json.loads(line) for line in out.getvalue().splitlines()[1:]]
    by_key = {i.key: i for i in expected_items(tracker)}
    for record in exported:
        if record["type"] != "item":
            continue
        item = by_key[record["key"]]
        want = {k: v for k, v in item.to_json().items() if k != "allowed_triggers"}
        assert {k: v for k, v in record.items() if k not in ("type", "workflow")} == want
        assert record["workflow"] == item.workflow
    fired = tracker.fire("MICRO-5", "resume")
    same_record(fired.item, {i.key: i for i in expected_items(tracker)}["MICRO-5"])
