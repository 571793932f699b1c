"""Issue 9, bad input: filters with one meaning everywhere, the text rules of every field, the
workflow files' labels, CLI arguments that are not text or not sane numbers, and the wording
of counts. Each test failed before the fix it stands for (docs/reliability.md, "Bad input")."""

from __future__ import annotations

import json
import os
import subprocess
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import String

from tests.conftest import CLI, Result
from tests.reliability.support import snapshot
from tracker import Tracker, dates, fields
from tracker.errors import ItemNotFound, NotAllowed, UsageError
from tracker.store.models import history, items, views

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def refused(result: Result, code: int, says: str) -> None:
    """One `error:` line naming the problem, the documented exit code."""
    assert result.code == code, (result.code, result.err)
    assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
    assert says in result.err, result.err


def keys_of(result: Result) -> list[str]:
    assert result.code == 0, result.err
    return [item["key"] for item in json.loads(result.out)]


# -- filters ----------------------------------------------------------------------------------

EMPTY_FILTERS = [
    ("fire", "suspend", "--where", "kind=", "--reason", "r"),
    ("fire", "suspend", "--where", "state=resumed,kind= ", "--reason", "r"),
    ("list", "--kind", ""),
    ("list", "--state", " "),
    ("list", "--party", ""),
    ("list", "--text", ""),
    ("list", "--as-of", "2026-02-01", "--party", ""),
    ("history", "--actor", ""),
    ("history", "--trigger", ""),
    ("view", "save", "v", "--kind", ""),
    ("timeline", "--party", "", "--output", "never-written.svg"),
]


def test_an_empty_filter_value_is_a_usage_error_never_everything(seeded: Tracker, cli: CLI) -> None:
    """`fire suspend --where "kind=$KIND"` with KIND unset fired on every item."""
    before = snapshot(seeded.url)
    for args in EMPTY_FILTERS:
        refused(cli(*args), 2, "filter is empty")
    assert not Path("never-written.svg").exists()
    assert snapshot(seeded.url) == before
    assert seeded.views() == []


def test_the_service_refuses_empty_filters_for_every_front_end(seeded: Tracker) -> None:
    calls = [
        lambda: seeded.list(kind=""),
        lambda: seeded.list(party="  "),
        lambda: seeded.list(as_of="2026-02-01", state=""),
        lambda: seeded.count(text=""),
        lambda: seeded.count(as_of="2026-02-01", kind=""),
        lambda: seeded.keys(state=""),
        lambda: seeded.fire_where("suspend", kind="", reason="r"),
        lambda: seeded.spans(party=""),
        lambda: seeded.save_view("v", kind=""),
        lambda: seeded.history(actor=""),
        lambda: seeded.history(""),
        lambda: seeded.history_count(trigger=" "),
    ]
    for call in calls:
        with pytest.raises(UsageError, match="filter is empty"):
            call()
    assert seeded.keys(state="suspended") == ["DRILLS"]  # nothing was fired


def test_an_explicit_empty_filter_does_not_fall_back_to_the_views(seeded: Tracker) -> None:
    seeded.save_view("stuck", state="stalled")
    with pytest.raises(UsageError, match="state filter is empty"):
        seeded.list(view="stuck", state="")


def test_party_is_one_of_the_items_parties_exactly_never_a_pattern(
    seeded: Tracker, cli: CLI
) -> None:
    """`--party %` and `--party R_K` matched every item (LIKE)."""
    seeded.add("UNDER", "Underscore party", "exercise", ["R_K"])
    seeded.add("TRIO", "Three parties", "exercise", ["usa", "ROK", "JPN"])
    refused(cli("list", "--party", "%"), 2, "bad party")
    assert keys_of(cli("list", "--party", "R_K", "--format", "json")) == ["UNDER"]
    assert keys_of(cli("list", "--party", "r_k", "--format", "json")) == ["UNDER"]
    assert seeded.keys(party="RXK") == []
    assert seeded.keys(party="usa") == ["TRIO"]
    assert seeded.keys(party="US") == []  # a part of a code is not the code
    assert seeded.keys(party="OK") == []
    assert seeded.fire_where("suspend", party="R_K", reason="r").keys == ("UNDER",)
    seeded.save_view("under", party="r_k")
    assert [i.key for i in seeded.list(view="under")] == ["UNDER"]


def test_state_and_kind_are_exact_and_case_insensitive(seeded: Tracker, cli: CLI) -> None:
    assert keys_of(cli("list", "--state", " STALLED ", "--format", "json")) == ["ACSA"]
    assert keys_of(cli("list", "--kind", "Agreement", "--format", "json")) == ["ACSA"]
    assert seeded.keys(kind="agree") == []
    refused(cli("list", "--state", "stal%"), 2, "no state")
    refused(cli("list", "--kind", "agree%"), 2, "bad kind")


def test_text_is_words_in_the_key_or_title_wildcards_literal(seeded: Tracker) -> None:
    seeded.add("PCT", "Fuel at 100% capacity", "support")
    seeded.add("UNDER_SCORE", "Plain", "support")
    assert seeded.keys(text="drills JOINT") == ["DRILLS"]  # every word, any order
    assert seeded.keys(text="refuel black") == ["REFUEL"]  # key and title together
    assert seeded.keys(text="%") == ["PCT"]
    assert seeded.keys(text="_") == ["UNDER_SCORE"]
    assert seeded.keys(text="joint nothing") == []
    seeded.add("UMLAUT", "Ärger über Öl", "support")
    assert seeded.keys(text="ärger") == ["UMLAUT"]  # SQLite's lower() alone folds ASCII only
    assert seeded.keys(text="ÖL ÄRGER") == ["UMLAUT"]


def test_an_empty_actor_is_an_error_not_the_default_actor(seeded: Tracker, cli: CLI) -> None:
    """`fire --actor "$WHO"` with WHO unset recorded the OS user as the actor."""
    before = snapshot(seeded.url)
    refused(cli("fire", "ACSA", "resume", "--actor", ""), 2, "actor must not be empty")
    refused(cli("comment", "ACSA", "x", "--actor", "\u200b"), 2, "actor must not be empty")
    refused(cli("workflow", "show", ""), 3, "no workflow ''")
    assert snapshot(seeded.url) == before


def test_an_empty_expected_state_is_an_error_not_no_check(seeded: Tracker, cli: CLI) -> None:
    """`fire --expect-state "$S"` with S unset fired without the check it asked for."""
    before = snapshot(seeded.url)
    refused(cli("fire", "ACSA", "resume", "--expect-state", ""), 2, "expect_state is empty")
    assert snapshot(seeded.url) == before
    done = cli("fire", "ACSA", "resume", "--expect-state", " Stalled ")
    assert done.code == 0, done.err


def _dated(tracker: Tracker) -> None:
    tracker.add("EVE", "Late on the last day", "exercise", at="2025-11-30T23:30:00Z")
    tracker.add("DAWN", "First thing", "exercise", at="2025-12-01T00:00:00Z")


def test_until_a_bare_date_covers_the_whole_day(seeded: Tracker, cli: CLI) -> None:
    """`until 2025-11-30` left out everything on 30 November after midnight."""
    _dated(seeded)

    def items_in(*args: str) -> set[str]:
        result = cli("history", *args, "--format", "json")
        assert result.code == 0, result.err
        return {e["item"] for e in json.loads(result.out) if e["item"] in ("EVE", "DAWN")}

    assert items_in("--until", "2025-11-30") == {"EVE"}
    assert items_in("--since", "2025-11-30", "--until", "2025-11-30") == {"EVE"}
    assert items_in("--until", "2025-11-30T23:00:00Z") == set()  # a time is exact
    assert items_in("--until", "2025-12-01T00:00:00Z") == {"EVE", "DAWN"}
    assert items_in("--since", "2025-12-01") == {"DAWN"}
    assert [e.item for e in seeded.history(until=date(2025, 11, 30)) if e.item == "EVE"] == ["EVE"]
    assert {s.key for s in seeded.spans(["EVE", "DAWN"], until="2025-11-30")} == {"EVE"}


@SQLITE_ONLY
def test_timeline_until_a_bare_date_covers_the_whole_day(
    seeded: Tracker, cli: CLI, tmp_path: Path
) -> None:
    """The timeline command parsed --until itself: midnight, so EVE (23:30) was not drawn."""
    _dated(seeded)
    target = str(tmp_path / "eve.svg")
    drawn = cli("timeline", "EVE", "--until", "2025-11-30", "--output", target)
    assert drawn.code == 0, drawn.err
    assert "(1 item, 1 history entry)" in drawn.out
    refused(cli("timeline", "EVE", "--since", "", "--output", target), 2, "bad date ''")


def test_the_tui_history_filter_uses_the_services_rule(seeded: Tracker) -> None:
    from tracker.tui.screens.history import Fields

    _dated(seeded)
    search = Fields(until="2025-11-30").search()
    assert search.until == dates.parse_until("2025-11-30")
    assert "EVE" in {entry.item for entry in seeded.history_page(search, limit=1000)}


# -- text rules -------------------------------------------------------------------------------

BIDI = [*"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"]
TAG_CHARACTERS = ["\U000e0001", "\U000e0041", "\U000e007f"]
TEXT_FIELDS = ["title", "description", "reason", "source", "actor"]


@pytest.mark.parametrize("char", BIDI + TAG_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_bidi_controls_and_tag_characters_are_refused_in_every_text_field(
    field: str, char: str
) -> None:
    multiline = field in ("description", "reason")
    with pytest.raises(UsageError, match=f"{field} contains a .*U\\+{ord(char):04X}"):
        fields.text(field, f"agreed{char}signed", multiline=multiline)


def test_control_characters_but_newline_and_tab_in_multiline_fields() -> None:
    assert fields.text("reason", "first\n\tsecond", multiline=True) == "first\n\tsecond"
    for char in "\r\x00\x1b\x7f\x85\u2028":
        with pytest.raises(UsageError, match="control"):
            fields.text("title", f"a{char}b")
    for char in "\r\x1b\x85":
        with pytest.raises(UsageError, match="control"):
            fields.text("reason", f"a{char}b", multiline=True)
    for char in "\n\t":
        with pytest.raises(UsageError, match="control"):
            fields.text("source", f"a{char}b")


INVISIBLE = ["\u200b", "\ufeff", "\u2060", "\u200c\u200d", "\u3164", "\u2800", "\u0301", "\xa0"]


@pytest.mark.parametrize("blank", INVISIBLE, ids=lambda c: f"U+{ord(c[0]):04X}")
def test_a_required_field_needs_a_visible_character(blank: str) -> None:
    assert not fields.visible(blank)
    with pytest.raises(UsageError, match="must not be empty"):
        fields.text("title", blank, required=True)
    assert fields.visible(f"{blank}x")
    for char in "\u05d0\u0627\u4e00\U0001f6a2":  # Hebrew, Arabic, CJK, a ship
        assert unicodedata.category(char)[0] != "C"
        assert fields.visible(char)


def test_a_zero_width_space_is_no_reason(seeded: Tracker, cli: CLI) -> None:
    """A zero-width space satisfied "stall requires a reason"."""
    before = snapshot(seeded.url)
    refused(cli("fire", "REFUEL", "stall", "--reason", "\u200b"), 4, "requires reason")
    refused(cli("fire", "REFUEL", "stall", "--reason", "\ufeff\u2060 "), 4, "requires reason")
    refused(cli("comment", "ACSA", "\u200b"), 2, "must not be empty")
    refused(cli("add", "NEW", "--title", "\u200b", "--kind", "exercise"), 2, "must not be empty")
    for char in ("\u202e", "\U000e0041"):
        refused(cli("comment", "ACSA", f"x{char}y"), 2, f"U+{ord(char):04X}")
    assert snapshot(seeded.url) == before
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # joined by zero-width joiners
    assert cli("comment", "ACSA", f"family {family}").code == 0
    assert seeded.history("ACSA")[-1].reason == f"family {family}"


def test_keys_end_at_their_last_character(seeded: Tracker, cli: CLI) -> None:
    """A key with a trailing newline was accepted (`$` instead of `\\Z`)."""
    before = snapshot(seeded.url)
    refused(cli("add", "ABC\n", "--title", "t", "--kind", "exercise"), 2, "bad key")
    with pytest.raises(UsageError, match="bad key"):
        seeded.apply([{"op": "add", "key": "ABC\n", "title": "t", "kind": "exercise"}])
    for check in (fields.kind, fields.party):
        with pytest.raises(UsageError):
            check("ab\ncd")
    assert snapshot(seeded.url) == before
    assert fields.NAME.match("stalled\n") is None
    assert fields.KIND.match("drill\n") is None
    assert fields.PARTY.match("ROK\n") is None


def test_party_limits_are_the_same_on_both_databases(tracker: Tracker, cli: CLI) -> None:
    """30 parties were accepted on SQLite and refused by PostgreSQL (varchar 400)."""
    many = [f"P{n:02d}" for n in range(30)]
    options = [a for p in many for a in ("--party", p)]
    before = snapshot(tracker.url)
    refused(cli("add", "MANY", "--title", "t", "--kind", "exercise", *options), 2, "too many")
    assert snapshot(tracker.url) == before
    longest = [f"P{n:02d}".ljust(16, "X") for n in range(fields.PARTIES_MAX)]
    item = tracker.add("MOST", "Every party", "exercise", longest)
    assert item.parties == tuple(longest)
    assert tracker.list(party=longest[-1].lower())[0].key == "MOST"
    with pytest.raises(UsageError, match="too many parties"):
        tracker.edit("MOST", parties=[*longest, "ONEMORE"])


def test_every_column_limit_holds_what_the_text_rules_accept() -> None:
    # What the text rules let through, per column: never more than the column holds.
    column_limits = {
        "items.key": 64,
        "items.key_lower": 64,
        "items.title": fields.LIMITS["title"],
        "items.kind": 64,
        "items.workflow": fields.NAME_MAX,
        "items.parties": fields.PARTIES_MAX * 17 - 1,
        "items.state": fields.NAME_MAX,
        "items.last_hash": 64,
        "history.trigger": fields.NAME_MAX,
        "history.from_state": fields.NAME_MAX,
        "history.to_state": fields.NAME_MAX,
        "history.actor": fields.LIMITS["actor"],
        "history.hash": 64,
        "views.name": 32,
        "views.created_by": fields.LIMITS["actor"],
    }
    assert fields.KEY.match("K" * 64) and not fields.KEY.match("K" * 65)
    assert fields.KIND.match("k" * 64) and not fields.KIND.match("k" * 65)
    assert fields.NAME.match("n" * fields.NAME_MAX) and not fields.NAME.match("n" * 41)
    assert fields.PARTY.match("P" * 16) and not fields.PARTY.match("P" * 17)
    sized = {
        f"{table.name}.{column.name}": column.type.length
        for table in (items, history, views)
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    }
    assert set(sized) == set(column_limits), "a new sized column needs a rule in fields.py"
    for name, accepted in column_limits.items():
        assert accepted <= sized[name], name


# -- workflow files ---------------------------------------------------------------------------

WORKFLOW = """\
name = "custom"
description = "{description}"
initial = "open"
states = ["open", "shut"]
kinds = [{kinds}]

[[transitions]]
trigger = "close"
from = ["open"]
to = "shut"
"""


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("description", "kinds", "line", "says"),
    [
        ("ok", '"x\\u001b[31m"', 5, "bad kind"),
        ("ok", '"x\\u0007"', 5, "bad kind"),
        ("ok", '"dr\\nill"', 5, "bad kind"),
        ("rings \\u0007", '"custom"', 2, "control character"),
        ("looks \\u202eright", '"custom"', 2, "bidi control"),
        ("tagged \\U000E0041", '"custom"', 2, "tag character"),
    ],
)
def test_workflow_labels_follow_the_text_rules(
    cli: CLI, tmp_path: Path, description: str, kinds: str, line: int, says: str
) -> None:
    """`workflow list` printed a workflow file's ESC/BEL raw, `workflow show` a U+202E."""
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "custom.toml").write_text(WORKFLOW.format(description=description, kinds=kinds))
    for command in (("workflow", "list"), ("workflow", "show", "custom"), ("list",)):
        result = cli("--workflows", str(folder), *command)
        refused(result, 2, f"custom.toml:{line}: ")
        assert says in result.err


@SQLITE_ONLY
def test_workflow_output_stays_terminal_safe(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "flows\x1b]0;owned\x07\u202e"
    folder.mkdir()
    (folder / "custom.toml").write_text(WORKFLOW.format(description="fine", kinds='"custom"'))
    listed = cli("--workflows", str(folder), "workflow", "list")
    assert listed.code == 0, listed.err
    assert "custom: open shut" in listed.out
    assert "\x1b" not in listed.out and "\x07" not in listed.out and "\u202e" not in listed.out
    assert "\\x1b" in listed.out and "\\u202e" in listed.out


# -- arguments --------------------------------------------------------------------------------

NOT_UTF8 = "A\udcff"  # the byte 0xFF as Python receives it (surrogateescape)
BAD_BYTES = [
    ("show", NOT_UTF8),
    ("list", "--kind", NOT_UTF8),
    ("list", "--party", NOT_UTF8),
    ("history", "--actor", NOT_UTF8),
    ("history", NOT_UTF8),
    ("fire", "ACSA", NOT_UTF8),
    ("fire", NOT_UTF8, "resume"),
    ("fire", "stall", "--where", f"text={NOT_UTF8}", "--reason", "r"),
    ("list", "--view", NOT_UTF8),
    ("comment", "ACSA", NOT_UTF8),
]


@SQLITE_ONLY
@pytest.mark.parametrize("args", BAD_BYTES, ids=[" ".join(a) for a in BAD_BYTES])
def test_arguments_that_are_not_utf8_are_usage_errors(
    seeded: Tracker, cli: CLI, args: tuple[str, ...]
) -> None:
    """Invalid UTF-8 in arguments was exit 1 (UnicodeEncodeError in the database driver)."""
    before = snapshot(seeded.url)
    refused(cli(*args), 2, "not valid UTF-8")
    assert snapshot(seeded.url) == before


def test_the_service_refuses_lone_surrogates_in_filters_and_text(seeded: Tracker) -> None:
    with pytest.raises(UsageError, match="surrogate"):
        seeded.list(text=NOT_UTF8)
    with pytest.raises(UsageError, match="surrogate"):
        seeded.comment("ACSA", NOT_UTF8)
    with pytest.raises(ItemNotFound):
        seeded.get(NOT_UTF8)


@SQLITE_ONLY
def test_not_utf8_bytes_from_a_real_shell(seeded: Tracker, tracker_exe: str) -> None:
    done = subprocess.run(
        [os.fsencode(tracker_exe), b"--db", seeded.url.encode(), b"show", b"\xff\xfe"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == b'error: argument 4 ("\\xff\\xfe") is not valid UTF-8 text\n'


def test_huge_limits_just_work(seeded: Tracker, cli: CLI) -> None:
    """A --limit or --entries beyond 64 bits was exit 1 (OverflowError, bigint out of range)."""
    huge = str(10**30)
    assert len(keys_of(cli("list", "--limit", huge, "--format", "json"))) == 4
    shown = cli("show", "ACSA", "--entries", huge, "--format", "json")
    assert shown.code == 0, shown.err
    assert len(json.loads(shown.out)["history"]) == 2
    history_result = cli("history", "--limit", huge, "--format", "json")
    assert history_result.code == 0, history_result.err
    assert seeded.list(offset=10**30) == []
    assert seeded.history(limit=2**63, offset=2**70) == []


@SQLITE_ONLY
def test_a_5000_digit_number_is_one_short_error(seeded: Tracker, cli: CLI) -> None:
    result = cli("list", "--limit", "9" * 5000)
    refused(result, 2, "--limit")
    assert len(result.err) < 1100


def test_at_now_is_now(seeded: Tracker, cli: CLI) -> None:
    """`--at now` was always refused as "in the future" (a second clock read)."""
    assert cli("comment", "ACSA", "noted", "--at", "now").code == 0
    assert cli("fire", "REFUEL", "stall", "--reason", "r", "--at", " NOW ").code == 0
    entry = seeded.comment("SAREX", "later", at="now").entry
    assert entry.occurred_at == entry.recorded_at
    assert seeded.verify().ok
    before = snapshot(seeded.url)
    refused(cli("comment", "ACSA", "x", "--at", ""), 2, "bad date ''")  # `--at "$DATE"`
    refused(
        cli("apply", "-", stdin='{"op":"comment","key":"ACSA","reason":"r","at":" "}'),
        2,
        "line 1: bad date",
    )
    assert snapshot(seeded.url) == before


# -- wording ----------------------------------------------------------------------------------


@SQLITE_ONLY
def test_counts_are_singular_for_one(
    seeded: Tracker, cli: CLI, another_db: Callable[[], str]
) -> None:
    """ "1 problems", "1 items"."""
    target = another_db()
    one = '{"op":"add","key":"ONE","title":"t","kind":"k"}\n'
    single = cli("--db", target, "apply", "-", stdin=one)
    assert single.out == "applied 1 operation: 1 added, 0 fired, 0 commented, 0 edited\n"
    assert cli("--db", target, "verify").out == "ok: 1 item, 1 history entry verified\n"
    fired = cli("--db", target, "fire", "resume", "--where", "kind=k")
    assert fired.out == "fired resume on 1 item: ONE\n"
    exported = cli("--db", target, "export")
    assert exported.code == 0, exported.err
    restored = cli("--db", another_db(), "import", "-", stdin=exported.out)
    assert restored.out == "imported 1 item and 2 history entries\n"


@SQLITE_ONLY
def test_one_command_does_not_name_a_batch_line(seeded: Tracker, cli: CLI) -> None:
    """`tracker comment ACSA ""` said "line 1: op 'comment' needs 'reason'"."""
    for args in (("comment", "ACSA", ""), ("fire", "ACSA", ""), ("fire", "ACSA", "SAREX", "")):
        result = cli(*args)
        refused(result, 2, "needs")
        assert "line" not in result.err
    with pytest.raises(NotAllowed) as caught:
        seeded.fire("ACSA", "stall", reason="r")
    assert "line" not in str(caught.value)
    applied = cli("apply", "-", stdin='{"op":"comment","key":"ACSA"}\n')
    refused(applied, 2, "line 1: op 'comment' needs 'reason'")  # a file's line is named


@pytest.mark.parametrize(
    "at", ["2025-01-01T00:00:00.1234567Z", "2025-01-01T00:00:00.123456789+09:00"]
)
def test_a_time_finer_than_a_microsecond_is_refused_not_cut(
    seeded: Tracker, cli: CLI, at: str
) -> None:
    """Nanoseconds were silently cut to microseconds (recorded .123456)."""
    before = seeded.history("SAREX")
    result = cli("fire", "SAREX", "stall", "--reason", "r", "--at", at)
    assert result.code == 2
    assert result.err.startswith("error: bad date") and result.err.count("\n") == 1
    assert "microsecond" in result.err
    assert seeded.history("SAREX") == before
    assert cli("history", "--since", at).code == 2


@SQLITE_ONLY
def test_utf8_arguments_under_an_ascii_locale_are_read_as_utf8(
    seeded: Tracker, tracker_exe: str
) -> None:
    """With the C locale and UTF-8 mode off, Python decodes argv as ASCII: the bytes of
    `Übung 訓練` came as lone surrogates and were refused as `not valid UTF-8 text`, shown as
    "\\xdcbung \\u8a13\\u7df4". They are UTF-8: the tracker reads them as such."""
    done = subprocess.run(
        [tracker_exe, "--db", seeded.url, "add", "LOC", "--title", "Übung 訓練", "--kind", "drill"],
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    )
    assert done.returncode == 0, done.stderr
    assert seeded.get("LOC").title == "Übung 訓練"
