"""Approvals (SPEC "Approvals", issue 12): gated transitions, consents in the chain, pending,
voiding, verify and import of consents; on SQLite and PostgreSQL, through the service and the
CLI."""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CLI
from tests.test_cli import assert_error, ok
from tracker import ItemNotFound, NotAllowed, Tracker, TriggerNotFound, UsageError
from tracker.chain import entry_hash
from tracker.consents import InEffect
from tracker.dates import iso
from tracker.errors import WorkflowFileError
from tracker.store.models import utc_time
from tracker.workflow import Workflows, parse_workflow

GATED_FILE = """\
name = "pact"
initial = "draft"
states = ["draft", "agreed", "void"]
kinds = ["pact"]

[[transitions]]
trigger = "agree"
from = "draft"
to = "agreed"
approvals = {approvals}

[[transitions]]
trigger = "cancel"
from = ["draft", "agreed"]
to = "void"
"""


def _consent(entry: Any) -> tuple[str, str]:
    found = json.loads(entry.fields)
    return found["trigger"], found["party"]


@pytest.fixture
def acsa(tracker: Tracker) -> Tracker:
    """An agreement between ROK and JPN, resumed: `sign` needs both parties' consent."""
    tracker.add("ACSA", "ACSA talks", "agreement", ["ROK", "JPN"], at="2026-01-01")
    tracker.fire("ACSA", "resume", at="2026-01-02")
    return tracker


# -- workflow files ---------------------------------------------------------------------------


def test_the_agreement_workflow_gates_sign_on_every_party() -> None:
    workflows = Workflows.load()
    agreement = workflows.get("agreement")
    assert agreement.gated and not workflows.get("default").gated
    assert agreement.approvers("sign", "resumed", ["ROK", "JPN"]) == ("JPN", "ROK")
    assert agreement.approvers("sign", "signed", ["ROK", "JPN"]) == ()  # not allowed there
    assert agreement.approvers("resume", "proposed", ["ROK", "JPN"]) == ()
    assert agreement.approvers("sign", "resumed", []) == ()  # no parties: nobody to ask
    assert "sign -> signed [consent of every party]" in agreement.diagram("resumed")


@pytest.mark.parametrize(
    ("approvals", "needs"),
    [('"parties"', ("JPN", "USA")), ('["usa", "ROK"]', ("ROK", "USA"))],
)
def test_approvals_name_every_party_or_a_list(approvals: str, needs: tuple[str, ...]) -> None:
    workflow = parse_workflow(GATED_FILE.format(approvals=approvals), "pact.toml")
    assert workflow.approvers("agree", "draft", ["USA", "JPN"]) == needs
    assert workflow.needs_consent("agree", "draft")
    assert not workflow.needs_consent("cancel", "draft")


@pytest.mark.parametrize(
    ("approvals", "says"),
    [
        ('"all"', "`approvals` must be"),
        ("[]", "`approvals` must be"),
        ("true", "`approvals` must be"),
        ("[1, 2]", "`approvals` must be"),
        ('["ROK", "rok"]', "party ROK is given twice"),
        ('["R K"]', "bad party"),
    ],
)
def test_bad_approvals_are_refused_with_file_and_line(approvals: str, says: str) -> None:
    with pytest.raises(WorkflowFileError) as caught:
        parse_workflow(GATED_FILE.format(approvals=approvals), "pact.toml")
    assert str(caught.value).startswith("pact.toml:6: ")  # the [[transitions]] line
    assert says in str(caught.value)


@pytest.mark.parametrize("name", ["approve", "withdraw"])
def test_approve_and_withdraw_are_reserved_trigger_names(name: str) -> None:
    source = GATED_FILE.format(approvals='"parties"').replace('"cancel"', f'"{name}"')
    with pytest.raises(WorkflowFileError, match=f"pact.toml:12: trigger '{name}' is reserved"):
        parse_workflow(source, "pact.toml")


# -- the service ------------------------------------------------------------------------------


def test_a_gated_fire_without_every_consent_names_who_is_missing(acsa: Tracker) -> None:
    before = acsa.history("ACSA")
    with pytest.raises(
        NotAllowed, match=r"ACSA: sign needs the consent of JPN, ROK \(have: none\)"
    ):
        acsa.fire("ACSA", "sign", source="Yonhap")
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    with pytest.raises(NotAllowed, match=r"sign needs the consent of JPN \(have: ROK\)"):
        acsa.fire("ACSA", "sign", source="Yonhap", dry_run=True)
    assert len(acsa.history("ACSA")) == len(before) + 1


def test_a_consent_is_an_entry_and_the_last_one_fires(acsa: Tracker) -> None:
    first = acsa.approve(
        "ACSA", "sign", party="rok", source="Yonhap", reason="cabinet agreed", actor="kim"
    )
    assert first.entry.trigger == "approve" and first.item.state == "resumed"
    assert (first.entry.from_state, first.entry.to_state) == ("resumed", "resumed")
    assert first.item.version == 3 and _consent(first.entry) == ("sign", "ROK")
    [waiting] = acsa.pending()
    assert (waiting.key, waiting.trigger, waiting.state, waiting.to_state) == (
        "ACSA", "sign", "resumed", "signed",
    )  # fmt: skip
    assert waiting.required == ("JPN", "ROK") and waiting.awaited == ("JPN",)
    [given] = waiting.consents
    assert (given.party, given.actor, given.reason, given.source) == (
        "ROK", "kim", "cabinet agreed", "Yonhap",
    )  # fmt: skip
    assert given.hash == first.entry.hash and waiting.since == first.entry.occurred_at

    last = acsa.approve("ACSA", "sign", party="JPN", source="Asahi", actor="tanaka")
    assert last.entry.trigger == "sign" and last.item.state == "signed"
    assert last.item.version == 5
    entries = acsa.history("ACSA")
    approve, fired = entries[-2:]
    assert _consent(approve) == ("sign", "JPN") and approve.actor == "tanaka"
    # Same transaction, same time and words; the entry names the consents it rests on.
    assert (fired.actor, fired.source, fired.occurred_at) == (
        "tanaka",
        "Asahi",
        approve.occurred_at,
    )
    assert json.loads(fired.fields or "") == {"consents": [first.entry.hash, approve.hash]}
    assert acsa.pending() == []
    assert acsa.verify().ok
    assert acsa.verify(split_from=2).ok  # the consents straddle the two processes' halves


def test_consent_errors(acsa: Tracker) -> None:
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    before = acsa.history("ACSA")
    cases: list[tuple[type[Exception], str, dict[str, Any]]] = [
        (ItemNotFound, "no item", {"key": "GHOST"}),
        (TriggerNotFound, "no trigger 'explode'", {"trigger": "explode"}),
        (UsageError, "bad trigger", {"trigger": "si gn"}),
        (UsageError, "bad party", {"party": "R K"}),
        (NotAllowed, "resume from resumed|cannot resume", {"trigger": "resume"}),
        (NotAllowed, "stall from resumed needs no consent", {"trigger": "stall"}),
        (NotAllowed, "needs the consent of JPN, ROK, not USA", {"party": "USA"}),
        (NotAllowed, "ROK already approved sign", {"party": "rok"}),
        (NotAllowed, "sign requires source", {"party": "JPN", "source": " "}),
        (NotAllowed, "before ACSA's latest entry", {"party": "JPN", "at": "2026-01-01"}),
    ]
    for error, says, change in cases:
        given = {"key": "ACSA", "trigger": "sign", "party": "ROK", "source": "x", **change}
        with pytest.raises(error, match=says):
            acsa.approve(given.pop("key"), given.pop("trigger"), **given)
    with pytest.raises(NotAllowed, match=r"no consent of JPN to sign is in effect \(have: ROK\)"):
        acsa.withdraw("ACSA", "sign", party="JPN")
    with pytest.raises(TriggerNotFound):
        acsa.withdraw("ACSA", "explode", party="ROK")
    with pytest.raises(ItemNotFound):
        acsa.pending(key="GHOST")
    with pytest.raises(UsageError):
        acsa.pending(party="")
    assert acsa.history("ACSA") == before


def test_withdraw_takes_a_consent_back(acsa: Tracker) -> None:
    given = acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    taken = acsa.withdraw("ACSA", "sign", party="ROK", reason="reshuffle")
    assert taken.entry.trigger == "withdraw" and taken.item.state == "resumed"
    assert _consent(taken.entry) == ("sign", "ROK") and taken.entry.reason == "reshuffle"
    assert acsa.pending() == []
    with pytest.raises(NotAllowed, match="no consent of ROK"):
        acsa.withdraw("ACSA", "sign", party="ROK")
    again = acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    assert again.entry.hash != given.entry.hash
    last = acsa.approve("ACSA", "sign", party="JPN", source="Asahi")
    assert json.loads(last.entry.fields or "") == {
        "consents": [again.entry.hash, acsa.history("ACSA")[-2].hash]
    }
    assert acsa.verify().ok


def test_any_other_state_change_voids_the_consents_and_says_so(acsa: Tracker) -> None:
    given = acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    acsa.comment("ACSA", "a note keeps them")
    acsa.edit("ACSA", title="ACSA talks, round 2")
    assert [p.awaited for p in acsa.pending()] == [("JPN",)]
    stalled = acsa.fire("ACSA", "stall", reason="budget")
    assert json.loads(stalled.entry.fields or "") == {"voids": [given.entry.hash]}
    assert acsa.pending() == []
    with pytest.raises(NotAllowed, match="no consent of ROK"):
        acsa.withdraw("ACSA", "sign", party="ROK")
    resumed = acsa.fire("ACSA", "resume")
    assert resumed.entry.fields is None  # nothing was in effect
    # The old consent counts no more: both parties again.
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    assert acsa.pending()[0].awaited == ("JPN",)
    assert acsa.verify().ok


def test_a_party_edited_out_no_longer_holds_the_transition_up(acsa: Tracker) -> None:
    given = acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    acsa.edit("ACSA", parties=["ROK"])
    assert acsa.pending()[0].awaited == ()
    signed = acsa.fire("ACSA", "sign", source="MOD")
    assert json.loads(signed.entry.fields or "") == {"consents": [given.entry.hash]}
    assert acsa.verify().ok


def test_a_gated_trigger_rests_on_its_own_consents_and_voids_the_others(
    tracker: Tracker, tmp_path: Path
) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "pact.toml").write_text(
        GATED_FILE.format(approvals='["JPN"]').replace(
            'from = ["draft", "agreed"]\nto = "void"',
            'from = ["draft", "agreed"]\nto = "void"\napprovals = "parties"',
        )
    )
    with Tracker.open(tracker.url, workflows_dir=folder) as flows:
        flows.add("P1", "A pact", "pact", ["JPN", "ROK"])
        cancel = flows.approve("P1", "cancel", party="ROK")
        agreed = flows.approve("P1", "agree", party="JPN")
        assert agreed.entry.trigger == "agree"
        assert json.loads(agreed.entry.fields or "") == {
            "consents": [flows.history("P1")[-2].hash],
            "voids": [cancel.entry.hash],
        }
        assert flows.verify().ok


def test_pending_filters_by_party_key_and_date(acsa: Tracker) -> None:
    acsa.add("GSOMIA", "GSOMIA", "agreement", ["ROK", "JPN", "USA"], at="2026-01-01")
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap", at="2026-02-01")
    acsa.approve("GSOMIA", "sign", party="JPN", source="Asahi", at="2026-02-02")
    acsa.fire("GSOMIA", "stall", reason="talks stall", at="2026-03-01")
    assert [p.key for p in acsa.pending()] == ["ACSA"]
    assert [p.key for p in acsa.pending(party="jpn")] == ["ACSA"]
    assert acsa.pending(party="ROK") == []  # it has agreed: nothing waits on it
    assert [p.key for p in acsa.pending(key="acsa")] == ["ACSA"]
    then = acsa.pending(at="2026-02-15")
    assert [(p.key, p.state, p.awaited) for p in then] == [
        ("ACSA", "resumed", ("JPN",)),
        ("GSOMIA", "proposed", ("ROK", "USA")),
    ]
    assert acsa.pending(at="2026-01-15") == []
    with pytest.raises(UsageError):
        acsa.pending(at="not a date")


def test_apply_approve_and_withdraw_all_or_nothing(acsa: Tracker) -> None:
    ops = [
        {"op": "approve", "key": "ACSA", "trigger": "sign", "party": "ROK", "source": "Y"},
        {"op": "withdraw", "key": "ACSA", "trigger": "sign", "party": "ROK"},
        {"op": "approve", "key": "ACSA", "trigger": "sign", "party": "ROK", "source": "Y"},
        {"op": "approve", "key": "ACSA", "trigger": "sign", "party": "JPN", "source": "A"},
    ]
    before = acsa.history("ACSA")
    with pytest.raises(NotAllowed, match="line 5: ACSA: no consent of JPN"):
        acsa.apply([*ops, {"op": "withdraw", "key": "ACSA", "trigger": "sign", "party": "JPN"}])
    assert acsa.history("ACSA") == before
    with pytest.raises(UsageError, match="line 1: op 'approve' needs 'party'"):
        acsa.apply([{"op": "approve", "key": "ACSA", "trigger": "sign"}])
    result = acsa.apply(ops)
    assert (result.approved, result.withdrawn, result.fired) == (3, 1, 1)
    assert acsa.get("ACSA").state == "signed"
    assert [e.trigger for e in acsa.history("ACSA")][2:] == [
        "approve", "withdraw", "approve", "approve", "sign",
    ]  # fmt: skip
    assert acsa.verify().ok


def test_export_and_import_carry_the_consents(acsa: Tracker, another_db: Callable[[], str]) -> None:
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    acsa.add("GSOMIA", "GSOMIA", "agreement", ["ROK", "JPN"])
    acsa.approve("GSOMIA", "sign", party="JPN", source="Asahi")
    acsa.fire("GSOMIA", "stall", reason="voids it")
    acsa.approve("ACSA", "sign", party="JPN", source="Asahi")
    acsa.add("DRILLS", "Drills", "agreement", ["ROK", "JPN"])
    acsa.approve("DRILLS", "sign", party="JPN", source="Asahi")
    out = io.StringIO()
    acsa.export(out)
    with Tracker.open(another_db()) as copy:
        copy.import_(out.getvalue().splitlines())
        assert copy.verify().ok
        assert copy.pending() == acsa.pending()
        assert copy.history("ACSA") == acsa.history("ACSA")
        again = io.StringIO()
        copy.export(again)
        assert again.getvalue() == out.getvalue()
        # Consents keep working after the move: the awaited one completes the set.
        assert copy.approve("DRILLS", "sign", party="ROK", source="Y").item.state == "signed"


# -- verify: consents forged, missing, not voided ----------------------------------------------

DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER history_append_only_update",
        "DROP TRIGGER history_append_only_delete",
    ],
    "postgresql": ["DROP TRIGGER history_append_only ON history"],
}


def rechain(url: str, key: str, change: Callable[[list[dict[str, Any]]], None]) -> None:
    """Change an item's entries by SQL (triggers dropped) and make its chain whole again: what
    someone with the keys and this code could do. Hashes named in later entries' fields
    follow their entries' new hashes, so only what `change` did is wrong."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in DROP_TRIGGERS[engine.dialect.name]:
                conn.execute(text(statement))
            item_id = conn.execute(
                text("SELECT id FROM items WHERE key = :key"), {"key": key}
            ).scalar_one()
            rows = [
                dict(row._mapping)
                for row in conn.execute(
                    text("SELECT * FROM history WHERE item_id = :id ORDER BY version"),
                    {"id": item_id},
                )
            ]
            change(rows)
            conn.execute(text("DELETE FROM history WHERE item_id = :id"), {"id": item_id})
            renamed: dict[str, str] = {}
            previous = ""
            for version, row in enumerate(rows, start=1):
                fields = row["fields"]
                for old, new in renamed.items():
                    fields = fields.replace(old, new) if fields else fields
                digest = entry_hash(
                    previous, key, version, row["trigger"], row["from_state"], row["to_state"],
                    iso(utc_time(row["occurred_at"])), iso(utc_time(row["recorded_at"])),
                    row["actor"], row["reason"], row["source"], fields,
                )  # fmt: skip
                renamed[row["hash"]] = digest
                row.update(version=version, hash=digest, fields=fields)
                columns = ", ".join(row)
                marks = ", ".join(f":{name}" for name in row)
                conn.execute(text(f"INSERT INTO history ({columns}) VALUES ({marks})"), row)
                previous = digest
            conn.execute(
                text("UPDATE items SET version = :v, last_hash = :h WHERE id = :id"),
                {"v": len(rows), "h": previous, "id": item_id},
            )
    finally:
        engine.dispose()


def _problems(cli: CLI, tracker: Tracker) -> list[dict[str, Any]]:
    """What `verify` finds; a verify split over two processes (from the second entry) finds
    the same, the consents at the split handed over like the item fields."""
    result = cli("verify", "--format", "json")
    assert result.code == 7, result.out
    problems: list[dict[str, Any]] = json.loads(result.out)["problems"]
    split = tracker.verify(split_from=2)
    assert [p.to_json() for p in split.problems] == problems
    return problems


def test_verify_catches_a_transition_fired_without_a_consent(
    acsa: Tracker, db_url: str, cli: CLI
) -> None:
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    acsa.approve("ACSA", "sign", party="JPN", source="Asahi")
    sign = acsa.history("ACSA")[-1]

    def drop_jpn(rows: list[dict[str, Any]]) -> None:
        del rows[3]  # JPN's approve; the sign names ROK's consent only
        rows[3]["fields"] = json.dumps({"consents": [rows[2]["hash"]]}, separators=(",", ":"))

    rechain(db_url, "ACSA", drop_jpn)
    [problem] = _problems(cli, acsa)
    assert (problem["item"], problem["entry"]) == ("ACSA", sign.id)
    assert "sign needs the consent of JPN (have: ROK): fired without it" in problem["message"]


def test_verify_catches_a_consent_forged_for_another_party(
    acsa: Tracker, db_url: str, cli: CLI
) -> None:
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    given = acsa.approve("ACSA", "sign", party="JPN", source="Asahi")
    approve = acsa.history("ACSA")[-2]

    def to_usa(rows: list[dict[str, Any]]) -> None:
        rows[3]["fields"] = '{"party":"USA","trigger":"sign"}'

    rechain(db_url, "ACSA", to_usa)
    problems = _problems(cli, acsa)
    assert [(p["entry"], p["message"]) for p in problems] == [
        (approve.id, "a consent of USA to sign, which needs JPN, ROK"),
        (given.entry.id, "sign needs the consent of JPN (have: ROK, USA): fired without it"),
    ]


def test_verify_catches_a_state_change_that_hides_what_it_voided(
    acsa: Tracker, db_url: str, cli: CLI
) -> None:
    given = acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    stalled = acsa.fire("ACSA", "stall", reason="budget")

    def unvoid(rows: list[dict[str, Any]]) -> None:
        rows[-1]["fields"] = None

    rechain(db_url, "ACSA", unvoid)
    [problem] = _problems(cli, acsa)
    assert problem["entry"] == stalled.entry.id
    assert problem["message"] == (
        f"stall voids none, but the consents in effect say [{given.entry.hash[:12]}…]"
    )


def test_verify_catches_consent_fields_that_are_not_a_consent(
    acsa: Tracker, db_url: str, cli: CLI
) -> None:
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")

    def garble(rows: list[dict[str, Any]]) -> None:
        rows[-1]["fields"] = '{"party":"ROK"}'

    rechain(db_url, "ACSA", garble)
    [problem] = _problems(cli, acsa)
    assert "approve entry's fields are not {party, trigger}" in problem["message"]


# -- the CLI ----------------------------------------------------------------------------------


def test_cli_approve_withdraw_pending_and_show(acsa: Tracker, cli: CLI) -> None:
    done = ok(cli("approve", "ACSA", "sign", "--party", "rok", "--source", "Yonhap"))
    assert done.out == "ACSA: ROK approved sign; awaiting JPN\n"
    table = ok(cli("pending")).out
    assert "ACSA" in table and "ROK" in table and "JPN" in table
    assert ok(cli("pending", "--party", "ROK")).out.count("ACSA") == 0
    [row] = json.loads(ok(cli("pending", "--format", "json")).out)
    assert row["awaited"] == ["JPN"] and row["consents"][0]["source"] == "Yonhap"
    lines = ok(cli("pending", "--format", "ndjson")).out.splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["ACSA"]
    csv = ok(cli("pending", "--format", "csv")).out.splitlines()
    assert csv[0] == "key,state,trigger,to_state,agreed,awaited,since,title"
    assert csv[1].startswith("ACSA,resumed,sign,signed,ROK,JPN,")
    shown = ok(cli("show", "ACSA")).out
    assert "waiting for consent" in shown
    assert "approve sign ROK" in shown  # what the consent is to, and for whom
    assert "approve sign ROK" in ok(cli("history", "ACSA")).out
    assert json.loads(ok(cli("show", "ACSA", "--format", "json")).out)["pending"] == [row]
    assert ok(cli("pending", "--at", "2026-01-03")).out.count("ACSA") == 0

    assert_error(cli("fire", "ACSA", "sign", "--source", "x", "--dry-run"), 4, "JPN (have: ROK)")
    taken = ok(cli("withdraw", "ACSA", "sign", "--party", "ROK", "--reason", "reshuffle"))
    assert taken.out == "ACSA: ROK withdrew from sign\n"
    ok(cli("approve", "ACSA", "sign", "--party", "ROK", "--source", "Yonhap"))
    signed = ok(cli("approve", "ACSA", "sign", "--party", "JPN", "--source", "Asahi"))
    assert signed.out == "ACSA: JPN approved sign; fired sign: resumed -> signed\n"
    assert "waiting for consent" not in ok(cli("show", "ACSA")).out
    assert ok(cli("verify")).code == 0


def test_cli_consent_exit_codes(acsa: Tracker, cli: CLI) -> None:
    ok(cli("approve", "ACSA", "sign", "--party", "ROK", "--source", "Yonhap"))
    before = acsa.history("ACSA")
    sign = ("sign", "--source", "x")
    cases = [
        (("approve", "ACSA", *sign, "--party", "R K"), 2, "bad party"),
        (("approve", "ACSA", "Sign!", "--party", "JPN"), 2, "bad trigger"),
        (("approve", "ACSA", *sign), 2, "--party"),
        (("approve", "ACSA", *sign, "--party", "JPN", "--at", "someday"), 2, "date"),
        (("approve", "GHOST", *sign, "--party", "JPN"), 3, "no item"),
        (("approve", "ACSA", "explode", "--party", "JPN"), 3, "no trigger"),
        (("withdraw", "ACSA", "explode", "--party", "JPN"), 3, "no trigger"),
        (("approve", "ACSA", *sign, "--party", "ROK"), 4, "already approved"),
        (("approve", "ACSA", *sign, "--party", "USA"), 4, "not USA"),
        (("approve", "ACSA", "stall", "--party", "JPN"), 4, "needs no consent"),
        (("approve", "ACSA", "sign", "--party", "JPN"), 4, "sign requires source"),
        (("withdraw", "ACSA", "sign", "--party", "JPN"), 4, "no consent of JPN"),
        (("fire", "ACSA", *sign), 4, "needs the consent of JPN"),
        (("pending", "--party", ""), 2, "empty"),
        (("pending", "--key", "GHOST"), 3, "no item"),
    ]
    for args, code, says in cases:
        assert_error(cli(*args), code, says)
    assert acsa.history("ACSA") == before


def test_cli_apply_takes_approve_and_withdraw(acsa: Tracker, cli: CLI) -> None:
    batch = "\n".join(
        json.dumps(op)
        for op in [
            {"op": "approve", "key": "ACSA", "trigger": "sign", "party": "ROK", "source": "Y"},
            {"op": "approve", "key": "ACSA", "trigger": "sign", "party": "JPN", "source": "A"},
        ]
    )
    done = ok(cli("apply", "-", stdin=batch)).out
    assert done == (
        "applied 2 operations: 0 added, 1 fired, 0 commented, 0 edited, 2 approved, 0 withdrawn\n"
    )
    assert acsa.get("ACSA").state == "signed"
    assert_error(cli("apply", "-", stdin='{"op": "withdraw", "key": "ACSA"}'), 2, "needs")


def test_cli_workflow_show_marks_the_gated_trigger(tracker: Tracker, cli: CLI) -> None:
    shown = ok(cli("workflow", "show", "agreement")).out
    assert "sign -> signed [consent of every party]" in shown
    assert "consent of every party" in ok(cli("workflow", "show", "agreement", "--format",
                                              "mermaid")).out  # fmt: skip


def test_a_bad_approvals_line_stops_the_cli_with_file_and_line(tmp_path: Path, cli: CLI) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "pact.toml").write_text(textwrap.dedent(GATED_FILE.format(approvals='"everyone"')))
    assert_error(cli("--workflows", str(folder), "list"), 2, "pact.toml:6:", "approvals")


def test_in_effect_rules_in_memory() -> None:
    """The pure rules: withdraw needs a consent in effect; settle names who is missing and
    changes nothing then."""
    from tracker.consents import Given

    effect = InEffect()
    effect.approve(Given("sign", "ROK", "h1"))
    with pytest.raises(NotAllowed, match="already approved"):
        effect.approve(Given("sign", "ROK", "h2"))
    effect.approve(Given("cancel", "JPN", "h3"))
    with pytest.raises(NotAllowed, match=r"sign needs the consent of JPN \(have: ROK\)"):
        effect.settle("sign", ("JPN", "ROK"))
    assert effect.parties("sign") == ("ROK",)
    assert effect.settle("sign", ("ROK",)) == '{"consents":["h1"],"voids":["h3"]}'
    assert not effect


def test_the_party_map_decides_who_may_consent_for_whom(
    acsa: Tracker, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    party_map = tmp_path / "parties.toml"
    party_map.write_text('[actors]\nkim = ["ROK"]\ntanaka = ["JPN"]\n')
    monkeypatch.setenv("TRACKER_PARTIES", str(party_map))
    before = acsa.history("ACSA")
    assert_error(
        cli("approve", "ACSA", "sign", "--party", "JPN", "--source", "A", "--actor", "kim"),
        4,
        "kim may not consent for JPN",
    )
    with pytest.raises(NotAllowed, match="may not consent for ROK"):
        acsa.approve("ACSA", "sign", party="ROK", source="Y", actor="tanaka")
    assert acsa.history("ACSA") == before
    ok(cli("approve", "ACSA", "sign", "--party", "ROK", "--source", "Y", "--actor", "kim"))
    assert_error(
        cli("withdraw", "ACSA", "sign", "--party", "ROK", "--actor", "tanaka"), 4, "tanaka"
    )
    party_map.write_text("[actors\n")
    jpn = ("approve", "ACSA", "sign", "--party", "JPN", "--source", "A", "--actor", "tanaka")
    assert_error(cli(*jpn), 2, str(party_map))
    party_map.write_text('[actors]\ntanaka = ["JPN"]\n')
    assert ok(cli(*jpn)).out == "ACSA: JPN approved sign; fired sign: resumed -> signed\n"


# -- two parties at the same moment -------------------------------------------------------------

RACED = [f"PACT{n}" for n in range(12)]


def _consent_to_all(url: str, party: str, start: Any) -> list[str]:
    """Approve `sign` on every raced item for `party`, meeting the other process at `start`
    before each item, so that both consents of an item are given at the same moment. Nothing
    is retried: neither consent may fail. Returns the keys this process's consent signed."""
    signed: list[str] = []
    with Tracker.open(url) as tracker:
        for key in RACED:
            start.wait(timeout=60)
            result = tracker.approve(key, "sign", party=party, source=f"{party} release")
            if result.entry.trigger == "sign":
                signed.append(key)
    return signed


@pytest.mark.xdist_group("concurrency")
def test_two_parties_consenting_at_once_fire_exactly_once(db_url: str) -> None:
    import multiprocessing

    with Tracker.open(db_url) as tracker:
        for key in RACED:
            tracker.add(key, f"{key} title", "agreement", ["ROK", "JPN"])
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        signed = pool.starmap(_consent_to_all, [(db_url, party, start) for party in ("ROK", "JPN")])
    # whichever consent came second signed, and only it
    assert sorted(key for keys in signed for key in keys) == sorted(RACED)
    with Tracker.open(db_url) as tracker:
        for key in RACED:
            entries = tracker.history(key)
            assert [e.trigger for e in entries[1:]] == ["approve", "approve", "sign"], key
            assert {_consent(e)[1] for e in entries[1:3]} == {"ROK", "JPN"}
            assert json.loads(entries[3].fields or "") == {
                "consents": [entries[1].hash, entries[2].hash]
            }
            assert tracker.get(key).state == "signed"
        assert tracker.pending() == []
        assert tracker.verify().ok


def test_verify_catches_a_gated_transition_fired_alone(
    acsa: Tracker, db_url: str, cli: CLI
) -> None:
    """A sign with no consent at all (as a lone `fire` before approvals existed would have
    written it): the clean pass has a doubt at the gated move and the exact replay names it."""
    acsa.approve("ACSA", "sign", party="ROK", source="Yonhap")
    acsa.approve("ACSA", "sign", party="JPN", source="Asahi")
    sign = acsa.history("ACSA")[-1]

    def alone(rows: list[dict[str, Any]]) -> None:
        del rows[2:4]
        rows[2]["fields"] = None

    rechain(db_url, "ACSA", alone)
    [problem] = _problems(cli, acsa)
    assert problem["entry"] == sign.id
    assert problem["message"] == (
        "sign needs the consent of JPN, ROK (have: none): fired without it"
    )
