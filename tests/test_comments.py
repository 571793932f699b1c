"""Comments: a note in an item's history that leaves its state as it is, chained and verified
like every other entry, shown by `history` and filtered with `--trigger comment`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CLI
from tracker import ItemNotFound, Tracker, UsageError


def test_a_comment_is_a_history_entry_that_keeps_the_state(seeded: Tracker) -> None:
    before = seeded.get("ACSA")
    result = seeded.comment("acsa", "Seoul asks for more time", source="Yonhap", actor="desk")
    after = seeded.get("ACSA")
    assert (after.state, after.version) == (before.state, before.version + 1)
    last = seeded.history("ACSA")[-1]
    assert (last.trigger, last.from_state, last.to_state) == ("comment", "stalled", "stalled")
    assert (last.reason, last.source, last.actor) == ("Seoul asks for more time", "Yonhap", "desk")
    assert last.hash == result.entry.hash
    assert seeded.verify().ok


def test_an_empty_comment_or_unknown_item_changes_nothing(seeded: Tracker) -> None:
    with pytest.raises(UsageError):
        seeded.comment("ACSA", "   ")
    with pytest.raises(ItemNotFound):
        seeded.comment("NOPE", "hello")
    assert len(seeded.history()) == 10


def test_cli_comment_shows_in_history_and_filters_by_trigger(seeded: Tracker, cli: CLI) -> None:
    done = cli("comment", "SAREX", "First exercise planned for spring", "--source", "Nikkei")
    assert (done.code, done.out.strip()) == (0, "commented on SAREX")
    cli("fire", "SAREX", "stall", "--reason", "weather")
    entries = json.loads(cli("history", "SAREX", "--format", "json").out)
    assert [e["trigger"] for e in entries][-2:] == ["comment", "stall"]
    comments = json.loads(cli("history", "--trigger", "comment", "--format", "json").out)
    assert [(e["item"], e["reason"]) for e in comments] == [
        ("SAREX", "First exercise planned for spring")
    ]
    as_csv = cli("history", "SAREX", "--format", "csv")
    assert "comment,resumed,resumed" in as_csv.out
    assert "First exercise planned for spring" in as_csv.out
    assert cli("verify").code == 0


def test_cli_comment_errors(seeded: Tracker, cli: CLI) -> None:
    missing = cli("comment", "NOPE", "hello")
    assert missing.code == 3 and missing.err.startswith("error: ")
    assert cli("comment", "ACSA", "").code == 2
