"""Saved views: named filters kept in the database, shared by every user of it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CLI
from tracker import Conflict, NotFound, Tracker, UsageError


def test_a_saved_view_lists_what_its_filters_select(seeded: Tracker) -> None:
    seeded.save_view("waiting", state="resumed", party="jpn")
    assert [item.key for item in seeded.list(view="waiting")] == ["REFUEL", "SAREX"]


def test_explicit_filters_override_the_views(seeded: Tracker) -> None:
    seeded.save_view("waiting", state="resumed", kind="support")
    assert [item.key for item in seeded.list(view="waiting")] == ["REFUEL"]
    assert [item.key for item in seeded.list(view="waiting", kind="exercise")] == ["SAREX"]


def test_a_view_with_an_as_of_date_lists_the_states_then(seeded: Tracker) -> None:
    seeded.save_view("december", as_of="2025-12-01")
    then = {item.key: item.state for item in seeded.list(view="december")}
    # ACSA was created later; REFUEL was suspended then, resumed now.
    assert then == {"DRILLS": "suspended", "REFUEL": "suspended", "SAREX": "stalled"}
    assert all(item.allowed_triggers == () for item in seeded.list(view="december"))
    suspended = seeded.list(view="december", state="suspended")
    assert [item.key for item in suspended] == ["DRILLS", "REFUEL"]


def test_views_are_listed_in_creation_order_and_shared_through_the_database(
    seeded: Tracker, db_url: str
) -> None:
    seeded.save_view("Stuck", state="stalled", text="agree")
    seeded.save_view("all")
    with Tracker.open(db_url) as other_user:
        names = [view.name for view in other_user.views()]
        stuck = other_user.view("STUCK")
    assert names == ["stuck", "all"]  # the order they were made: numbers in the TUI stay put
    assert (stuck.state, stuck.text, stuck.kind) == ("stalled", "agree", None)
    assert stuck.to_json()["name"] == "stuck"


def test_a_taken_name_is_a_conflict_unless_replaced(seeded: Tracker) -> None:
    seeded.save_view("mine", state="stalled")
    with pytest.raises(Conflict):
        seeded.save_view("MINE", state="resumed")
    assert seeded.view("mine").state == "stalled"
    seeded.save_view("later")
    seeded.save_view("mine", state="resumed", replace=True)
    assert seeded.view("mine").state == "resumed"
    assert [view.name for view in seeded.views()] == ["mine", "later"]  # replaced in place


def test_deleting_a_view_removes_it(seeded: Tracker) -> None:
    seeded.save_view("gone", kind="drill")
    seeded.delete_view("gone")
    assert seeded.views() == []
    with pytest.raises(NotFound):
        seeded.delete_view("gone")
    with pytest.raises(NotFound):
        seeded.list(view="gone")


@pytest.mark.parametrize(
    "name, filters",
    [
        ("two words", {}),
        ("", {}),
        ("x" * 33, {}),
        ("ok", {"state": "nonsense"}),
        ("ok", {"kind": "Not a kind!"}),
        ("ok", {"party": "two words"}),
        ("ok", {"as_of": "yesterday-ish"}),
        ("ok", {"text": "bell\x07"}),
    ],
)
def test_bad_names_and_filters_are_refused(
    tracker: Tracker, name: str, filters: dict[str, str]
) -> None:
    with pytest.raises(UsageError):
        tracker.save_view(name, **filters)
    assert tracker.views() == []


def test_cli_save_list_use_and_delete(seeded: Tracker, cli: CLI) -> None:
    saved = cli("view", "save", "stuck", "--state", "stalled")
    assert (saved.code, saved.out.strip()) == (0, "saved view stuck")
    listed = cli("view", "list", "--format", "json")
    assert listed.code == 0
    assert [(v["name"], v["state"]) for v in json.loads(listed.out)] == [("stuck", "stalled")]
    used = cli("list", "--view", "stuck", "--format", "json")
    assert [item["key"] for item in json.loads(used.out)] == ["ACSA"]
    overridden = cli("list", "--view", "stuck", "--state", "suspended", "--format", "json")
    assert [item["key"] for item in json.loads(overridden.out)] == ["DRILLS"]
    deleted = cli("view", "delete", "stuck")
    assert (deleted.code, deleted.out.strip()) == (0, "deleted view stuck")
    assert json.loads(cli("view", "list", "--format", "json").out) == []


def test_cli_exit_codes(seeded: Tracker, cli: CLI) -> None:
    assert cli("view", "save", "mine", "--kind", "drill").code == 0
    taken = cli("view", "save", "mine", "--kind", "support")
    assert taken.code == 5 and taken.err.startswith("error: ")
    assert cli("view", "save", "mine", "--kind", "support", "--replace").code == 0
    missing = cli("list", "--view", "nope")
    assert missing.code == 3 and "no view 'nope'" in missing.err
    assert cli("view", "delete", "nope").code == 3
    assert cli("view", "save", "bad name").code == 2


def test_cli_list_as_of_and_a_view_with_as_of(seeded: Tracker, cli: CLI) -> None:
    assert cli("view", "save", "december", "--as-of", "2025-12-01").code == 0
    via_view = json.loads(cli("list", "--view", "december", "--format", "json").out)
    direct = json.loads(cli("list", "--as-of", "2025-12-01", "--format", "json").out)
    assert via_view == direct
    assert {item["key"]: item["state"] for item in direct}["REFUEL"] == "suspended"


def test_a_taken_name_names_the_cli_flag_only_on_the_cli(seeded: Tracker, cli: CLI) -> None:
    seeded.save_view("mine", state="stalled")
    with pytest.raises(Conflict) as refused:
        seeded.save_view("mine")
    assert "--" not in str(refused.value)  # the service speaks no front end's language
    result = cli("view", "save", "mine")
    assert result.code == 5 and "replace it with --replace" in result.err
