"""verify's clean pass (tracker/audit/fast.py) says "clean" only where the exact replay finds
no problem, and then gives the very report the exact verify gives.

- On chains built in memory and tampered at random (any column of an entry or an item, any
  value: text a JSON encoder escapes, `,null`, None, numbers, bytes), rehashed or not, and
  rehashed the naive way (strings quoted as they are, what the pass writes when it finds
  nothing to escape): whenever the pass says clean, the exact replay found no problem, with
  the same counts and the same verdict on the derived columns.
- On real databases (SQLite and PostgreSQL): the report is the exact verify's, clean or not,
  and a row rewritten with a hash over its naive spelling is still named.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from tests.reliability.test_chain_fields import DROP_TRIGGERS, TRICKY
from tracker import Tracker
from tracker.audit import fast, native
from tracker.audit.replay import Replay
from tracker.chain import canonical, fields_text, item_fields_text
from tracker.dates import iso
from tracker.workflow import Workflows

WORKFLOWS = Workflows.load()
T = "2026-01-0{}T09:00:00.000000Z"
# (trigger, from, to, reason, source, fields) after each item's create.
STEPS: dict[str, list[tuple[str, str, str, str | None, str | None, Any]]] = {
    "A-1": [
        ("resume", "proposed", "resumed", None, "Yonhap"),
        ("comment", "resumed", "resumed", "talks", None),
        ("edit", "resumed", "resumed", "typo", None),
    ],
    "B-2": [("stall", "proposed", "stalled", "budget", "Nikkei")],
    "C-3": [],
}


def naive(*values: Any) -> str:
    """The canonical form with every string quoted as it is (no escaping): what an attacker
    would hash to fool a check that skipped the scan."""
    *head, fields = values
    parts = ["null" if v is None else str(v) if isinstance(v, int) else f'"{v}"' for v in head]
    return "[" + ",".join(parts) + ("]" if fields is None else f",{fields}]")


def order(value: Any) -> tuple[int, Any]:
    """Where SQLite sorts a value: NULL, numbers, text, blobs."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, value) if isinstance(value, str) else (3, value)


def digest(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8", "surrogatepass")).hexdigest()


def build() -> tuple[list[list[Any]], list[list[Any]]]:
    """Items rows (as the pass reads them) and entry rows, hashed as the tracker writes them."""
    item_rows: list[list[Any]] = []
    entry_rows: list[list[Any]] = []
    next_id = iter(range(1, 100))
    for ref, (key, steps) in enumerate(STEPS.items(), start=1):
        title = f"Title of {key}"
        created = fields_text(
            {
                "key": key,
                "title": title,
                "kind": "drill",
                "workflow": "default",
                "parties": ["ROK", "USA"],
                "description": "",
                "created_at": T.format(1),
            }
        )
        prev, state = "", "proposed"
        chain = [("create", None, "proposed", None, None, created)]
        for trigger, from_state, to_state, reason, source in steps:
            recorded = (
                json.dumps({"title": [title, title + "!"]}, separators=(",", ":"))
                if trigger == "edit"
                else None
            )
            chain.append((trigger, from_state, to_state, reason, source, recorded))
        for version, (trigger, from_state, to_state, reason, source, recorded) in enumerate(
            chain, start=1
        ):
            when = T.format(version)
            values = (prev, key, version, trigger, from_state, to_state, when, when, "kim")
            hashed = digest(canonical(*values, reason, source, recorded))
            entry_rows.append([next(next_id), ref, *values[2:], reason, source, hashed, recorded])
            prev, state = hashed, to_state
        final_title = title + "!" if any(s[0] == "edit" for s in steps) else title
        item_rows.append(
            [ref, key, "default", state, len(chain), prev, final_title, "drill", "ROK USA", "",
             T.format(1), key.lower(), T.format(len(chain)), T.format(len(chain))]
        )  # fmt: skip
    # ids interleave the items, as real use does
    for position, row in enumerate(sorted(entry_rows, key=lambda r: (r[2], r[1])), start=1):
        row[0] = position
    return item_rows, entry_rows


def exact(item_rows: list[list[Any]], entry_rows: list[list[Any]]) -> tuple[Any, bool]:
    """The exact replay's report and whether a derived column differs (the exact verify's
    own check: the item against its entry at the item's version)."""
    replay = Replay(WORKFLOWS)
    for (ref, key, workflow, state, version, head, title, kind, parties, description, created,
         *_) in item_rows:  # fmt: skip
        parts = parties.split(" ") if parties else []
        row = item_fields_text(key, title, kind, workflow, parts, description, created)
        replay.expect(ref, key, workflow, state, version, head, row)
    replay.check_rows([tuple(r) for r in sorted(entry_rows, key=lambda r: order(r[0]))])
    report = replay.report()
    at = {(r[1], r[2]): r for r in entry_rows}
    differ = False
    for item in item_rows:
        ref, key, version, lowered, changed, updated = (item[i] for i in (0, 1, 4, 11, 12, 13))
        entry = at.get((ref, version))
        if entry is not None and (lowered, changed, updated) != (key.lower(), entry[6], entry[7]):
            differ = True
    return report, differ


def clean(item_rows: list[list[Any]], entry_rows: list[list[Any]]) -> fast.Clean | None:
    by_item = sorted(entry_rows, key=lambda r: (order(r[1]), order(r[2])))

    def batches(rows: list[list[Any]], size: int) -> Iterator[list[tuple[Any, ...]]]:
        for start in range(0, len(rows), size):
            yield [tuple(r) for r in rows[start : start + size]]

    return fast.clean_pass(batches(item_rows, 2), batches(by_item, 3), WORKFLOWS, lambda _: None)


def rehash(entry_rows: list[list[Any]], item_rows: list[list[Any]], ref: Any, form: Any) -> None:
    """Rewrite every hash of item `ref`'s chain (and its head) over `form` of the entries."""
    prev = ""
    key = next((r[1] for r in item_rows if r[0] == ref), "")
    for row in sorted((r for r in entry_rows if r[1] == ref), key=lambda r: order(r[0])):
        try:
            row[11] = digest(form(prev, key, *row[2:11], row[12]))
        except (TypeError, ValueError):
            return
        prev = row[11]
    for item in item_rows:
        if item[0] == ref:
            item[5] = prev


def test_untouched_chains_are_clean_with_the_exact_counts() -> None:
    item_rows, entry_rows = build()
    report, differ = exact(item_rows, entry_rows)
    assert report.ok and not differ
    assert clean(item_rows, entry_rows) == fast.Clean(3, len(entry_rows), False)


VALUES = st.one_of(
    TRICKY,
    st.sampled_from([",null", 'x",null,"y', "\\", '"', "\n", "proposed", "resumed", "kim"]),
    st.none(),
    st.integers(-2, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.binary(max_size=4),
    st.sampled_from([T.format(0), T.format(9), "2026", "ROK", "ROK  USA", "A-1", "a-1"]),
)


# A tamper: which row (an entry or an item, by index), which column, what value, and whether
# the chain is then rehashed (the exact canonical form, the naive one, or not at all).
TAMPERS = {
    "target": st.sampled_from(["entry", "item"]),
    "index": st.integers(0, 20),
    "column": st.integers(0, 13),
    "value": VALUES,
    "form": st.sampled_from(["none", "exact", "naive"]),
}


def tamper(
    item_rows: list[list[Any]], entry_rows: list[list[Any]], target: str, index: int,
    column: int, value: Any, form: str,
) -> None:  # fmt: skip
    """Apply one of TAMPERS to the rows in place."""
    rows = entry_rows if target == "entry" else item_rows
    row = rows[index % len(rows)]
    if column % len(row) == 0 and not isinstance(value, int):
        value = index  # ids are integer primary keys
    row[column % len(row)] = value
    ref = row[1] if target == "entry" else row[0]
    if form != "none":
        rehash(entry_rows, item_rows, ref, canonical if form == "exact" else naive)


@settings(max_examples=400, deadline=None)
@given(**TAMPERS)
def test_clean_only_where_the_exact_replay_finds_nothing(
    target: str, index: int, column: int, value: Any, form: str
) -> None:
    item_rows, entry_rows = build()
    tamper(item_rows, entry_rows, target, index, column, value, form)
    try:
        report, differ = exact(item_rows, entry_rows)
    except (TypeError, ValueError, AttributeError):
        report = None  # the exact replay cannot even read it: the pass must not call it clean
    try:
        found = clean(item_rows, entry_rows)
    except (TypeError, ValueError, AttributeError):
        found = None  # as the exact replay fails on a value of a type no writer stores
    if found is not None:
        assert report is not None and report.ok, report
        assert (found.items, found.entries, found.derived_differ) == (
            report.items,
            report.entries,
            differ,
        )


def test_a_value_respelled_and_hashed_the_naive_way_is_a_doubt() -> None:
    """The attack the scan stops: a reason holding a `"`, hashed as the pass would write it
    if it skipped the scan."""
    item_rows, entry_rows = build()
    comment = next(r for r in entry_rows if r[3] == "comment")
    comment[8] = 'said "no"'
    rehash(entry_rows, item_rows, comment[1], naive)
    assert not exact(item_rows, entry_rows)[0].ok
    assert clean(item_rows, entry_rows) is None


# -- on real databases ------------------------------------------------------------------------


def _exact_verify(tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(native, "clean_pass", lambda *args: None)
        patched.setattr(fast, "clean_pass", lambda *args: None)
        return tracker.verify()


def spy_passes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the clean pass verify takes answers (the C one on a SQLite file, else the Python
    one), as a list filled as verify runs."""
    passes: list[Any] = []
    for module in (native, fast):
        real = module.clean_pass

        def spy(*args: Any, real: Any = real) -> Any:
            passes.append(real(*args))
            return passes[-1]

        monkeypatch.setattr(module, "clean_pass", spy)
    return passes


def test_verify_gives_the_exact_report_on_a_clean_database(
    seeded: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded.edit("ACSA", title="ACSA renewed", reason="renamed")
    seeded.comment("SAREX", 'a "quoted" note\nover two lines')
    passes = spy_passes(monkeypatch)
    report = seeded.verify()
    # A comment whose text needs escaping is a doubt: the exact replay takes over.
    assert passes == [None]
    assert report == _exact_verify(seeded, monkeypatch)
    assert report.ok


def test_verify_takes_the_clean_pass_and_reports_like_the_exact_one(
    seeded: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded.edit("ACSA", title="ACSA renewed", reason="renamed")
    seeded.fire("SAREX", "stall", reason="budget", source="Yonhap")
    passes = spy_passes(monkeypatch)
    report = seeded.verify()
    assert len(passes) == 1 and passes[0] is not None
    assert report == _exact_verify(seeded, monkeypatch)
    assert report.ok


def test_an_entry_rehashed_over_its_naive_spelling_is_named(seeded: Tracker, db_url: str) -> None:
    """The attack of the in-memory test above, on a database: the reason respelled
    JSON-escaped, and its hash (and the item's head) rewritten over the naive spelling."""
    before, entry = seeded.history("ACSA")[-1], seeded.comment("ACSA", 'Seoul says "no"').entry
    respelled = 'Seoul says \\"no\\"'
    forged = digest(
        naive(
            before.hash, "ACSA", entry.version, "comment", entry.from_state, entry.to_state,
            iso(entry.occurred_at), iso(entry.recorded_at), entry.actor, respelled, None, None,
        )
    )  # fmt: skip
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            for statement in DROP_TRIGGERS[engine.dialect.name]:
                conn.execute(text(statement))
            conn.execute(
                text("UPDATE history SET reason = :r, hash = :h WHERE id = :id"),
                {"r": respelled, "h": forged, "id": entry.id},
            )
            conn.execute(text("UPDATE items SET last_hash = :h WHERE key = 'ACSA'"), {"h": forged})
    finally:
        engine.dispose()
    report = seeded.verify()
    assert [(p.item, p.entry_id, p.message) for p in report.problems] == [
        ("ACSA", entry.id, "hash does not match the entry and the one before it")
    ]
