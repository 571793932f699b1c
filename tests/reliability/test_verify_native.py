"""verify's clean pass in C (tracker/audit/native.py, tracker/audit/csrc/) says "clean" only
where the exact replay finds no problem, on SQLite files written the way an attacker would
write them, and says it on what the tracker itself writes, whatever the text.

The rows are those of test_verify_clean.py (three items, hashed as the tracker writes them),
stored in a real database file with the append-only triggers dropped, then tampered with:
any column of an entry or an item set to any value (text a JSON encoder escapes, `,null`,
None, numbers, bytes), rehashed or not, or rehashed the naive way. The exact verdict is the
exact replay's on the rows as SQLite gives them back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.reliability.test_chain_fields import DROP_TRIGGERS
from tests.reliability.test_verify_clean import (
    TAMPERS,
    WORKFLOWS,
    build,
    exact,
    naive,
    rehash,
    spy_passes,
    tamper,
)
from tracker import Tracker
from tracker.audit import chains, fast, native
from tracker.audit.fast import Clean
from tracker.chain import canonical, fields_text

ITEMS = (
    "id, key, workflow, state, version, last_hash, title, kind, parties, description, "
    "created_at, key_lower, changed_at, updated_at"
)
ENTRIES = (
    'id, item_id, version, "trigger", from_state, to_state, occurred_at, recorded_at, actor, '
    "reason, source, hash, fields"
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tracker]:
    """One database file whose rows each example replaces (append-only triggers dropped)."""
    path = tmp_path_factory.mktemp("native") / "scratch.db"
    tracker = Tracker.open(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        for statement in DROP_TRIGGERS["sqlite"]:
            conn.execute(statement)
    yield tracker
    tracker.close()


def store(tracker: Tracker, item_rows: list[list[Any]], entry_rows: list[list[Any]]) -> bool:
    """Replace the database's rows with these; False where SQLite refuses them (a NULL in a
    NOT NULL column, a key twice, a non-integer id)."""
    path = tracker.url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("DELETE FROM item_parties")
            conn.execute("DELETE FROM history")
            conn.execute("DELETE FROM items")
            conn.executemany(
                f"INSERT INTO items ({ITEMS}) VALUES ({', '.join('?' * 14)})", item_rows
            )
            conn.executemany(
                f"INSERT INTO history ({ENTRIES}) VALUES ({', '.join('?' * 13)})", entry_rows
            )
        return True
    except (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError):
        return False
    except UnicodeEncodeError:
        return False
    finally:
        conn.close()


def stored(tracker: Tracker) -> tuple[list[list[Any]], list[list[Any]]]:
    """The rows as verify's queries read them back (SQLite's affinities applied)."""
    path = tracker.url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    conn.text_factory = lambda raw: raw.decode("utf-8")
    try:
        item_rows = [
            list(r) for r in conn.execute(native._sql(tracker.db, chains.item_rows(tracker.db)))
        ]
        entry_rows = [
            list(r) for r in conn.execute(native._sql(tracker.db, chains.entries(tracker.db)))
        ]
    finally:
        conn.close()
    return item_rows, entry_rows


def scan(tracker: Tracker) -> Clean | None:
    with tracker.db.snapshot() as session:
        return native.clean_pass(tracker.db, WORKFLOWS, session, lambda _: None)


def test_the_extension_is_built() -> None:
    """The install builds it (pyproject's ext-modules) where a compiler and the headers are,
    as on every machine the suite runs on: without it verify is right but slower."""
    assert native.extension() is not None


def test_untouched_chains_are_clean_with_the_exact_counts(scratch: Tracker) -> None:
    assert store(scratch, *build())
    assert scan(scratch) == Clean(3, 7, False)


@settings(max_examples=300, deadline=None)
@given(**TAMPERS)
def test_clean_only_where_the_exact_replay_finds_nothing(
    scratch: Tracker, target: str, index: int, column: int, value: Any, form: str
) -> None:
    item_rows, entry_rows = build()
    tamper(item_rows, entry_rows, target, index, column, value, form)
    # The items table keeps its columns in another order than the pass reads them.
    assume(store(scratch, item_rows, entry_rows))
    try:
        report, differ = exact(*stored(scratch))
    except (TypeError, ValueError, AttributeError, UnicodeDecodeError):
        report = None  # the exact replay cannot even read it: the pass must not call it clean
    found = scan(scratch)
    if found is not None:
        assert report is not None and report.ok, report
        assert (found.items, found.entries) == (report.items, report.entries)
        assert found.derived_differ or not differ


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(title=TEXT, description=TEXT, kind=TEXT, parties=st.lists(TEXT, max_size=3))
def test_any_text_in_an_items_fields_is_clean(
    scratch: Tracker, title: str, description: str, kind: str, parties: list[str]
) -> None:
    """The C quoting of an item's fields (chain.item_fields_text) is the JSON encoder's."""
    # A space separates parties in the row; a lone "" reads back as no party.
    assume(all(" " not in party for party in parties) and parties != [""])
    item_rows, entry_rows = build()
    item = item_rows[2]  # C-3: its create only
    item[6], item[7], item[8], item[9] = title, kind, " ".join(parties), description
    create = next(r for r in entry_rows if r[1] == item[0] and r[2] == 1)
    create[12] = fields_text(
        {
            "key": item[1],
            "title": title,
            "kind": kind,
            "workflow": item[2],
            "parties": parties,
            "description": description,
            "created_at": item[10],
        }
    )
    rehash(entry_rows, item_rows, item[0], canonical)
    assume(store(scratch, item_rows, entry_rows))
    report, _ = exact(*stored(scratch))
    assert report.ok
    assert scan(scratch) == Clean(3, 7, False)


def test_a_value_respelled_and_hashed_the_naive_way_is_a_doubt(scratch: Tracker) -> None:
    item_rows, entry_rows = build()
    comment = next(r for r in entry_rows if r[3] == "comment")
    comment[8] = 'said "no"'
    rehash(entry_rows, item_rows, comment[1], naive)
    assert store(scratch, item_rows, entry_rows)
    assert scan(scratch) is None


def test_it_agrees_with_the_python_pass_on_the_seed(
    seeded: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits, consents, seals: what the C pass leaves to the exact replay's rules."""
    if not seeded.url.startswith("sqlite"):
        with seeded.db.snapshot() as session, pytest.raises(native.Unavailable):
            native.clean_pass(seeded.db, seeded.workflows, session, lambda _: None)
        return
    seeded.edit("ACSA", title="ACSA renewed", reason="renamed")
    seeded.fire("SAREX", "stall", reason="budget", source="Yonhap")
    passes = spy_passes(monkeypatch)
    done: list[int] = []
    report = seeded.verify(progress=done.append)
    assert len(passes) == 1 and isinstance(passes[0], Clean)
    assert report.ok and done[-1] == report.entries
    monkeypatch.setattr(native, "extension", lambda: None)
    assert seeded.verify() == report
    assert passes[1] == passes[0]  # the Python pass, now: the same counts


def test_a_write_between_the_two_snapshots_leaves_it_to_the_python_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C pass reads in a transaction of its own: if an entry was written after this
    transaction began, its answer is not about what this one reads."""
    url = f"sqlite:///{tmp_path / 'racing.db'}"
    with Tracker.open(url) as tracker, Tracker.open(url) as writer:
        tracker.add("RACE", "A race", "drill")
        real = native.extension()
        assert real is not None

        class Racing:
            @staticmethod
            def scan(*args: Any) -> Any:
                writer.comment("RACE", "written in between")
                return real.scan(*args)

        monkeypatch.setattr(native, "extension", lambda: Racing)
        with tracker.db.snapshot() as session, pytest.raises(native.Unavailable):
            native.clean_pass(tracker.db, tracker.workflows, session, lambda _: None)
        passes = spy_passes(monkeypatch)
        report = tracker.verify()
        # The Python pass answered, in verify's snapshot: the create and the first comment,
        # not the comment written while the C pass began.
        assert report.ok and report.entries == 2
        assert passes == [Clean(1, 2, False)]


def test_a_database_in_memory_is_left_to_the_python_pass() -> None:
    with Tracker.open("sqlite:///:memory:") as tracker:
        tracker.add("MEM", "In memory", "drill")
        with tracker.db.snapshot() as session, pytest.raises(native.Unavailable):
            native.clean_pass(tracker.db, tracker.workflows, session, lambda _: None)
        assert tracker.verify().ok


def test_the_python_pass_and_the_c_pass_both_doubt_a_broken_chain(scratch: Tracker) -> None:
    item_rows, entry_rows = build()
    entry_rows[4][8] = "mallory"  # an actor changed, no rehash
    assert store(scratch, item_rows, entry_rows)
    assert scan(scratch) is None
    items, entries = stored(scratch)
    by_item = sorted(entries, key=lambda r: (r[1], r[2]))
    assert fast.clean_pass([items], [by_item], WORKFLOWS, lambda _: None) is None


def test_item_ids_at_the_ends_of_64_bits_are_found(scratch: Tracker) -> None:
    """The lookup of an entry's item first guesses its place from the first id: an id SQL set
    to -2^63 made that guess a signed overflow (undefined behaviour, found by UBSan on
    `UPDATE items SET id = -9223372036854775808`); it is computed unsigned now."""
    item_rows, entry_rows = build()
    ends = dict(zip(sorted({r[0] for r in item_rows}), [-(2**63), 0, 2**63 - 1], strict=True))
    for row in item_rows:
        row[0] = ends[row[0]]
    for row in entry_rows:
        row[1] = ends[row[1]]
    assert store(scratch, item_rows, entry_rows)
    assert scan(scratch) == Clean(3, 7, False)
