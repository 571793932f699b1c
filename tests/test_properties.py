"""Property test: Tracker and a plain in-memory model, driven side by side by hypothesis,
agree on every item's state, history, as-of answer and pending consents, and `verify` always
holds."""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tracker import Conflict, ItemNotFound, NotAllowed, Tracker, TrackerError, TriggerNotFound

# The model's own copy of the workflows (SPEC's table, and `agreement` with `signed`).
DEFAULT = {
    "propose": ({"stalled", "suspended"}, "proposed"),
    "stall": ({"proposed", "resumed"}, "stalled"),
    "suspend": ({"proposed", "stalled", "resumed"}, "suspended"),
    "resume": ({"proposed", "stalled", "suspended"}, "resumed"),
}
AGREEMENT = {
    **DEFAULT,
    "suspend": ({"proposed", "stalled", "resumed", "signed"}, "suspended"),
    "sign": ({"proposed", "resumed"}, "signed"),
}
WORKFLOW_OF_KIND = {"drill": DEFAULT, "agreement": AGREEMENT}
REQUIRES = {"stall": "reason", "suspend": "reason", "sign": "source"}
# Triggers that need the consent of every party of the item (SPEC "Approvals").
GATED = {"sign"}
START = datetime(2020, 1, 1, tzinfo=UTC)

KEYS = st.sampled_from(["ACSA", "acsa", "Drills", "SAREX", "x.1"])
TRIGGERS = st.sampled_from(["propose", "stall", "suspend", "resume", "sign", "explode"])
PARTIES = st.sampled_from([("ROK",), ("JPN", "ROK")])


@dataclass
class ModelItem:
    key: str
    kind: str
    state: str = "proposed"
    entries: list[tuple[str, str | None, str, datetime]] = field(default_factory=list)
    parties: tuple[str, ...] = ("ROK",)
    # The consents in effect: (trigger, party), since the last state change.
    consents: set[tuple[str, str]] = field(default_factory=set)

    def change(self, trigger: str, target: str, at: datetime) -> None:
        """A state change: recorded, and every consent in effect ends."""
        self.entries.append((trigger, self.state, target, at))
        self.state = target
        self.consents.clear()


class TrackerVersusModel(RuleBasedStateMachine):
    make_url: Callable[[], str]

    def __init__(self) -> None:
        super().__init__()
        self.tracker = Tracker.open(self.make_url())
        self.items: dict[str, ModelItem] = {}
        self.clock = START

    def teardown(self) -> None:
        self.tracker.close()

    def tick(self, minutes: int) -> datetime:
        self.clock += timedelta(minutes=minutes)
        return self.clock

    @initialize(kinds=st.lists(st.sampled_from(["drill", "agreement"]), min_size=1, max_size=3))
    def some_items(self, kinds: list[str]) -> None:
        for number, kind in enumerate(kinds):
            self.add(f"ITEM{number}", kind, 60, ("JPN", "ROK"))

    @rule(
        key=KEYS,
        kind=st.sampled_from(["drill", "agreement"]),
        minutes=st.integers(0, 5000),
        parties=PARTIES,
    )
    def add(self, key: str, kind: str, minutes: int, parties: tuple[str, ...]) -> None:
        at = self.tick(minutes)
        if key.lower() in self.items:
            with pytest.raises(Conflict):
                self.tracker.add(key, f"title of {key}", kind, parties, at=at)
            return
        item = self.tracker.add(key, f"title of {key}", kind, parties, at=at)
        assert (item.key, item.state, item.version) == (key, "proposed", 1)
        self.items[key.lower()] = ModelItem(
            key, kind, entries=[("create", None, "proposed", at)], parties=parties
        )

    def some_key(self, data: st.DataObject) -> str:
        """Mostly items that exist (in any case), sometimes one that does not."""
        known = sorted(m.key for m in self.items.values())
        return data.draw(st.sampled_from([*known, *(k.swapcase() for k in known), "GHOST"]))

    @rule(
        data=st.data(),
        trigger=TRIGGERS,
        reason=st.sampled_from(["because", "because", "because", None, ""]),
        source=st.sampled_from(["Nikkei", "Nikkei", None]),
        minutes=st.integers(0, 5000),
        backdate=st.sampled_from([False] * 6 + [True]),
    )
    def fire(
        self,
        data: st.DataObject,
        trigger: str,
        reason: str | None,
        source: str | None,
        minutes: int,
        backdate: bool,
    ) -> None:
        key = self.some_key(data)
        at = self.tick(minutes)
        model = self.items.get(key.lower())
        if backdate and model is not None:
            at = model.entries[-1][3] - timedelta(seconds=1)
        expected = self.expected_fire(model, trigger, reason, source, backdate)

        def attempt() -> None:
            self.tracker.fire(key, trigger, reason=reason, source=source, at=at)

        if isinstance(expected, type):
            with pytest.raises(expected):
                attempt()
            return
        assert model is not None
        result = self.tracker.fire(key, trigger, reason=reason, source=source, at=at)
        assert (result.entry.from_state, result.entry.to_state) == (model.state, expected)
        model.change(trigger, expected, at)

    def expected_fire(
        self,
        model: ModelItem | None,
        trigger: str,
        reason: str | None,
        source: str | None,
        backdate: bool,
    ) -> str | type[TrackerError]:
        """The model's answer: the target state, or the error the service must raise."""
        if model is None:
            return ItemNotFound
        workflow = WORKFLOW_OF_KIND[model.kind]
        if trigger not in workflow:
            return TriggerNotFound
        sources, target = workflow[trigger]
        if model.state not in sources:
            return NotAllowed
        needed = REQUIRES.get(trigger)
        if needed and not {"reason": reason, "source": source}[needed]:
            return NotAllowed
        if backdate:
            return NotAllowed
        if trigger in GATED and any((trigger, p) not in model.consents for p in model.parties):
            return NotAllowed  # who is missing
        return target

    @rule(
        data=st.data(),
        trigger=st.sampled_from(["sign", "sign", "resume", "explode"]),
        party=st.sampled_from(["ROK", "JPN", "jpn", "USA"]),
        source=st.sampled_from(["Asahi", "Asahi", None]),
        minutes=st.integers(0, 5000),
    )
    def approve(
        self, data: st.DataObject, trigger: str, party: str, source: str | None, minutes: int
    ) -> None:
        key = self.some_key(data)
        at = self.tick(minutes)
        model = self.items.get(key.lower())
        code = party.upper()
        expected: str | type[TrackerError] | None = None
        if model is None:
            expected = ItemNotFound
        elif trigger not in WORKFLOW_OF_KIND[model.kind]:
            expected = TriggerNotFound
        else:
            sources, target = WORKFLOW_OF_KIND[model.kind][trigger]
            if (
                model.state not in sources
                or trigger not in GATED
                or code not in model.parties
                or (trigger, code) in model.consents
                or (REQUIRES.get(trigger) == "source" and not source)
            ):
                expected = NotAllowed
            else:
                expected = target
        if isinstance(expected, type):
            with pytest.raises(expected):
                self.tracker.approve(key, trigger, party=party, source=source, at=at)
            return
        assert model is not None and expected is not None
        result = self.tracker.approve(key, trigger, party=party, source=source, at=at)
        model.entries.append(("approve", model.state, model.state, at))
        model.consents.add((trigger, code))
        if all((trigger, p) in model.consents for p in model.parties):
            assert result.entry.trigger == trigger
            model.change(trigger, expected, at)
        else:
            assert result.entry.trigger == "approve"
        assert result.item.state == model.state

    @rule(
        data=st.data(),
        trigger=st.sampled_from(["sign", "resume", "explode"]),
        party=st.sampled_from(["ROK", "JPN", "USA"]),
        minutes=st.integers(0, 5000),
    )
    def withdraw(self, data: st.DataObject, trigger: str, party: str, minutes: int) -> None:
        key = self.some_key(data)
        at = self.tick(minutes)
        model = self.items.get(key.lower())
        if model is None or trigger not in WORKFLOW_OF_KIND[model.kind]:
            with pytest.raises(ItemNotFound if model is None else TriggerNotFound):
                self.tracker.withdraw(key, trigger, party=party, at=at)
            return
        if (trigger, party) not in model.consents:
            with pytest.raises(NotAllowed):
                self.tracker.withdraw(key, trigger, party=party, at=at)
            return
        result = self.tracker.withdraw(key, trigger, party=party, at=at)
        assert result.entry.trigger == "withdraw" and result.item.state == model.state
        model.entries.append(("withdraw", model.state, model.state, at))
        model.consents.discard((trigger, party))

    @precondition(lambda self: bool(self.items))
    @rule(data=st.data(), minutes=st.integers(0, 100))
    def comment(self, data: st.DataObject, minutes: int) -> None:
        model = data.draw(st.sampled_from(sorted(self.items.values(), key=lambda m: m.key)))
        at = self.tick(minutes)
        result = self.tracker.comment(model.key.swapcase(), "a note", at=at)
        assert result.entry.to_state == result.entry.from_state == model.state
        model.entries.append(("comment", model.state, model.state, at))

    @rule(minutes=st.integers(-60, 60 * 24 * 30))
    def as_of(self, minutes: int) -> None:
        moment = START + timedelta(minutes=minutes) if minutes >= 0 else self.clock
        expected = {}
        for model in self.items.values():
            past = [entry for entry in model.entries if entry[3] <= moment]
            if past:
                expected[model.key] = (past[-1][2], len(past))
        got = {s.key: (s.state, s.version) for s in self.tracker.as_of(moment)}
        assert got == expected

    @rule()
    def export_import_round_trip(self) -> None:
        out = io.StringIO()
        self.tracker.export(out)
        with Tracker.open(self.make_url()) as copy:
            assert copy.import_(out.getvalue().splitlines()) == (
                len(self.items),
                sum(len(m.entries) for m in self.items.values()),
            )
            again = io.StringIO()
            copy.export(again)
            assert again.getvalue() == out.getvalue()
            assert copy.verify().ok

    @invariant()
    def agrees_with_the_model(self) -> None:
        listed = {item.key: (item.state, item.version) for item in self.tracker.list()}
        assert listed == {m.key: (m.state, len(m.entries)) for m in self.items.values()}

    @invariant()
    def pending_agrees_with_the_model(self) -> None:
        got = {
            (p.key, p.trigger): (tuple(sorted(c.party for c in p.consents)), p.awaited)
            for p in self.tracker.pending()
        }
        expected = {}
        for model in self.items.values():
            for trigger in sorted({t for t, _ in model.consents}):
                agreed = tuple(sorted(p for t, p in model.consents if t == trigger))
                awaited = tuple(p for p in model.parties if (trigger, p) not in model.consents)
                expected[(model.key, trigger)] = (agreed, awaited)
        assert got == expected

    @invariant()
    def history_replays(self) -> None:
        for model in self.items.values():
            entries = self.tracker.history(model.key)
            assert [(e.trigger, e.from_state, e.to_state, e.occurred_at) for e in entries] == (
                model.entries
            )
        report = self.tracker.verify()
        assert report.ok, report.problems


def _run(make_url: Callable[[], str], examples: int, steps: int) -> None:
    machine = type("Machine", (TrackerVersusModel,), {"make_url": staticmethod(make_url)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_tracker_agrees_with_a_model_on_sqlite(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))

    def make_url() -> str:
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"

    _run(make_url, examples=30, steps=20)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_tracker_agrees_with_a_model_on_postgresql(
    db_url: str, another_db: Callable[[], str]
) -> None:
    _run(another_db, examples=8, steps=12)
