"""The seeded database: four items in the states the article gives, and a history that verifies."""

from __future__ import annotations

from tracker import Tracker


def test_seed_states_match_the_article(seeded: Tracker) -> None:
    states = {item.key: item.state for item in seeded.list()}
    assert states == {
        "ACSA": "stalled",
        "SAREX": "resumed",
        "REFUEL": "resumed",
        "DRILLS": "suspended",
    }
    assert seeded.verify().ok


def test_seed_is_idempotent(seeded: Tracker) -> None:
    assert seeded.seed() == 0
    assert len(seeded.history()) == 10
