"""One filter (SPEC "Filters"): one syntax for the TUI's filter box, saved views and
`fire --where`, one meaning in the service on every backend, and one rule for a date range."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CLI
from tracker import Filter, Tracker, UsageError

# -- the syntax (no database) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("", Filter()),
        ("   ", Filter()),
        (
            "state:Stalled kind:Agreement party:jpn some text",
            Filter(state="stalled", kind="agreement", party="JPN", text="some text"),
        ),
        ("party:JPN refuel", Filter(party="JPN", text="refuel")),
        # `fire --where`'s spelling: FIELD=VALUE, terms after a comma.
        ("state=resumed,party=jpn", Filter(state="resumed", party="JPN")),
        ("state=resumed, kind=drill", Filter(state="resumed", kind="drill")),
        # A comma not followed by a term belongs to the words.
        ("text=keeping, log,state=proposed", Filter(state="proposed", text="keeping, log")),
        # `text:` terms and bare words are all words of the text, in order.
        ("a text:b c", Filter(text="a b c")),
        # A word holding a colon is searched for with `text:`.
        ("text:re:acsa", Filter(text="re:acsa")),
        ("STATE:stalled", Filter(state="stalled")),
        ("ROK-JPN", Filter(text="ROK-JPN")),
    ],
)
def test_the_filter_words_parse_to_a_filter(typed: str, expected: Filter) -> None:
    assert Filter.parse(typed) == expected


@pytest.mark.parametrize(
    "typed, says",
    [
        ("state:", "the state filter is empty"),
        ("kind= ", "the kind filter is empty"),
        ("state=resumed,kind=", "the kind filter is empty"),
        ("text:", "the text filter is empty"),
        ("colour:red", "no filter 'colour'"),
        ("stat:stalled", "no filter 'stat'"),
        ("state:stalled state:resumed", "gives state twice"),
        ("party:J.P.N", "bad party"),
        ("kind:two,words", "bad kind"),
    ],
)
def test_a_filter_the_words_cannot_mean_is_a_usage_error(typed: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        Filter.parse(typed)


def test_a_bulk_selection_must_start_with_a_field() -> None:
    with pytest.raises(UsageError, match="start with FIELD:VALUE"):
        Filter.parse("nonsense", field_first=True)
    assert Filter.parse("kind:drill joint", field_first=True) == Filter(kind="drill", text="joint")


@pytest.mark.parametrize(
    "chosen",
    [
        Filter(),
        Filter(state="stalled", kind="drill", party="ROK", text="joint drills"),
        Filter(text="state:stalled re:acsa plain"),  # words that look like terms
        Filter(party="JPN"),
    ],
)
def test_a_filter_written_out_reads_back_the_same(chosen: Filter) -> None:
    assert Filter.parse(str(chosen)) == chosen


def test_a_filter_is_checked_and_normalised_when_made() -> None:
    made = Filter(state=" Stalled ", kind="Drill", party="jpn", text="  joint  ")
    assert made == Filter(state="stalled", kind="drill", party="JPN", text="joint")
    for empty in ({"kind": ""}, {"party": "  "}, {"text": ""}, {"state": "\t"}):
        with pytest.raises(UsageError, match="filter is empty"):
            Filter(**empty)
    with pytest.raises(UsageError, match="must be text"):
        Filter(kind=3)  # type: ignore[arg-type]
    assert not Filter() and Filter(text="x")


def test_explicit_values_win_over_a_fallback() -> None:
    view = Filter(state="stalled", kind="drill")
    assert Filter(kind="agreement").over(view) == Filter(state="stalled", kind="agreement")
    assert Filter().over(view) == view


# -- one meaning in the service (SQLite and PostgreSQL) ---------------------------------------


def test_the_service_takes_a_filter_as_it_takes_the_keywords(seeded: Tracker) -> None:
    where = Filter.parse("party:jpn state:resumed")
    keys = ["REFUEL", "SAREX"]
    assert [item.key for item in seeded.list(where)] == keys
    assert seeded.keys(where) == keys == seeded.keys(party="JPN", state="resumed")
    assert seeded.count(where) == {"resumed": 2}
    assert seeded.position("SAREX", where) == 1
    assert seeded.position("ACSA", where) is None
    assert {span.key for span in seeded.spans(where=where)} == set(keys)
    # The keywords win over the filter's values.
    assert seeded.keys(where, state="stalled") == ["ACSA"]
    assert seeded.keys(Filter.parse("joint drills")) == ["DRILLS"]
    as_of = seeded.list(Filter(kind="drill"), as_of="2025-12-01")
    assert [(item.key, item.state) for item in as_of] == [("DRILLS", "suspended")]


def test_a_filter_naming_no_state_is_refused(seeded: Tracker) -> None:
    with pytest.raises(UsageError, match="no state 'bogus'"):
        seeded.list(Filter.parse("state:bogus"))
    with pytest.raises(UsageError, match="no state 'bogus'"):
        seeded.fire_where("stall", Filter(state="bogus"), reason="r")
    assert len(seeded.history()) == 10


def test_a_saved_view_keeps_the_filter_and_gives_it_back(seeded: Tracker) -> None:
    saved = seeded.save_view("waiting", Filter.parse("state:resumed party:JPN refuel"))
    assert seeded.view("waiting").filter == saved.filter == Filter.parse(str(saved.filter))
    assert [item.key for item in seeded.list(view="waiting")] == ["REFUEL"]


def test_fire_where_takes_a_filter(seeded: Tracker) -> None:
    done = seeded.fire_where("stall", Filter.parse("state:resumed kind:exercise"), reason="r")
    assert done.keys == ("SAREX",)
    assert seeded.get("SAREX").state == "stalled"


def test_cli_where_takes_the_filter_words(seeded: Tracker, cli: CLI) -> None:
    done = cli("fire", "stall", "--where", "state:resumed party:JPN refuel", "--reason", "r")
    assert (done.code, done.out.strip()) == (0, "fired stall on 1 item: REFUEL")
    refused = cli("fire", "stall", "--where", "state:resumed stat:x", "--reason", "r")
    assert refused.code == 2 and "no filter 'stat'" in refused.err
    assert seeded.get("SAREX").state == "resumed"


# -- one rule for a date range ----------------------------------------------------------------


@pytest.fixture
def late_in_november(tracker: Tracker) -> Tracker:
    """EVE created late on 30 November, fired at the first moment of 1 December."""
    tracker.add("EVE", "New year's eve exercise", "exercise", at="2025-11-30T23:30:00Z")
    tracker.fire("EVE", "resume", at="2025-12-01T00:00:00Z")
    return tracker


def test_until_a_bare_date_includes_that_whole_day(late_in_november: Tracker, cli: CLI) -> None:
    tracker = late_in_november
    assert [e.trigger for e in tracker.history(until="2025-11-30")] == ["create"]
    assert tracker.history_count(until="2025-11-30") == 1
    # With a time the bound is exact.
    assert tracker.history(until="2025-11-30T23:00:00Z") == []
    assert [e.trigger for e in tracker.history(until="2025-12-01T00:00:00Z")] == [
        "create",
        "resume",
    ]
    # since a bare date starts at its first moment.
    assert [e.trigger for e in tracker.history(since="2025-12-01")] == ["resume"]
    assert [e.trigger for e in tracker.history(since="2025-11-30", until="2025-11-30")] == [
        "create"
    ]
    spans = tracker.spans(until="2025-11-30")
    assert [(s.trigger, s.state) for s in spans] == [("create", "proposed")]
    shown = cli("history", "--until", "2025-11-30", "--format", "csv")
    assert shown.code == 0 and len(shown.out.splitlines()) == 2  # the header and the create


@pytest.mark.parametrize(
    "since, until, says",
    [
        ("2025-12-02", "2025-12-01", "the range ends before it starts"),
        ("someday", None, "since: bad date 'someday'"),
        (None, "2025-02-30", "until: bad date '2025-02-30'"),
    ],
)
def test_a_range_that_is_no_range_is_a_usage_error(
    late_in_november: Tracker, since: str | None, until: str | None, says: str
) -> None:
    with pytest.raises(UsageError, match=says):
        late_in_november.history(since=since, until=until)
    with pytest.raises(UsageError, match=says):
        late_in_november.spans(since=since, until=until)


def test_a_stored_view_the_filter_refuses_is_listed_as_broken(seeded: Tracker, cli: CLI) -> None:
    from sqlalchemy import text

    seeded.save_view("good", Filter(state="stalled"))
    seeded.save_view("bad", Filter(party="JPN"))
    with seeded.engine.begin() as conn:
        conn.execute(text("""UPDATE views SET filters = '{"party": "%"}' WHERE name = 'bad'"""))
    assert [(v.name, bool(v.broken)) for v in seeded.views()] == [("good", False), ("bad", True)]
    assert seeded.view("good").state == "stalled"  # a view's words read as they always did
    used = cli("list", "--view", "bad")
    assert used.code == 2 and "view 'bad' cannot be used: bad party '%'" in used.err


# -- pending:PARTY (issue 12): items a gated transition of which awaits that party -------------


@pytest.fixture
def awaiting(tracker: Tracker) -> Tracker:
    """ACSA awaits JPN (ROK approved sign), GSOMIA awaits ROK (JPN approved), TREATY is
    signed (both approved), DRILLS has no consents: sign is gated on every party."""
    said = {"source": "Asahi Shimbun"}
    for key in ("ACSA", "GSOMIA", "TREATY"):
        tracker.add(key, f"{key} talks", "agreement", ["ROK", "JPN"], at="2026-01-01")
        tracker.fire(key, "resume", at="2026-01-02")
    tracker.add("DRILLS", "Joint drills", "agreement", ["ROK", "JPN"], at="2026-01-01")
    tracker.approve("ACSA", "sign", party="ROK", at="2026-01-03", **said)
    tracker.approve("GSOMIA", "sign", party="JPN", at="2026-01-03", **said)
    tracker.approve("TREATY", "sign", party="JPN", at="2026-01-03", **said)
    tracker.approve("TREATY", "sign", party="ROK", at="2026-01-04", **said)
    return tracker


def test_pending_is_a_filter_word() -> None:
    assert Filter.parse("pending:jpn state:resumed") == Filter(state="resumed", pending="JPN")
    assert Filter.parse(str(Filter(pending="JPN", text="acsa"))) == Filter(
        pending="JPN", text="acsa"
    )
    with pytest.raises(UsageError, match="empty"):
        Filter.parse("pending:")
    with pytest.raises(UsageError):
        Filter(pending="J P")


def test_pending_selects_the_items_awaiting_that_party(awaiting: Tracker) -> None:
    def keys(typed: str) -> list[str]:
        return [item.key for item in awaiting.list(where=Filter.parse(typed))]

    assert keys("pending:JPN") == ["ACSA"]
    assert keys("pending:rok") == ["GSOMIA"]
    assert keys("pending:USA") == []
    assert keys("pending:JPN state:signed") == []
    assert keys("pending:JPN acsa") == ["ACSA"]
    assert awaiting.count(where=Filter(pending="JPN")) == {"resumed": 1}
    # One meaning with `tracker pending --party`.
    assert {p.key for p in awaiting.pending(party="JPN")} == {"ACSA"}
    awaiting.withdraw("ACSA", "sign", party="ROK", at="2026-01-05")
    assert keys("pending:JPN") == []


def test_a_saved_view_and_fire_where_take_pending(awaiting: Tracker, cli: CLI) -> None:
    awaiting.save_view("on-jpn", Filter.parse("pending:JPN"))
    assert [item.key for item in awaiting.list(view="on-jpn")] == ["ACSA"]
    saved = cli("view", "save", "on-rok", "--pending", "rok")
    assert saved.code == 0, saved.err
    listed = cli("list", "--view", "on-rok", "--format", "json")
    assert [item["key"] for item in json.loads(listed.out)] == ["GSOMIA"]
    views = json.loads(cli("view", "list", "--format", "json").out)
    assert [(v["name"], v["pending"]) for v in views] == [("on-jpn", "JPN"), ("on-rok", "ROK")]
    done = cli("fire", "stall", "--where", "pending:JPN", "--reason", "Talks paused")
    assert (done.code, done.out.strip()) == (0, "fired stall on 1 item: ACSA"), done.err
    # The stall voided ROK's consent: nothing awaits JPN now.
    assert awaiting.list(view="on-jpn") == []
    assert awaiting.get("GSOMIA").state == "resumed"
    refused = cli("list", "--pending", "")
    assert refused.code == 2 and refused.err.startswith("error: ")
