"""Concurrency torture (the driver and its checks are in torture.py): 8 processes firing at
the same 3 items, 500 fires each through the service API and 25 each through the console
script (200 process starts: the suite's time; 8 x 50 and 8 x 500 runs are in
docs/reliability.md), on SQLite and PostgreSQL. bench/cli_torture.py runs the CLI at 8 x 500."""

from __future__ import annotations

import json

import pytest

from tests.reliability import torture

WORKERS = 8


@pytest.mark.xdist_group("torture")
@pytest.mark.parametrize(("mode", "fires"), [("api", 500), ("cli", 25)])
def test_concurrent_fires_are_each_recorded_once_in_an_unbent_chain(
    db_url: str, mode: str, fires: int
) -> None:
    figures = torture.run(db_url, WORKERS, fires, mode)
    print(json.dumps(figures))  # the figures docs/reliability.md quotes (pytest -s)
    assert figures["attempts"] == WORKERS * fires
    assert figures["succeeded"] >= 1
    assert figures["verify_ok"]
    assert figures["history_entries_checked"] == figures["succeeded"] + len(torture.KEYS)
