"""The timeline: spans of history from the service, and `tracker timeline` drawing them to
SVG, HTML or PNG with matplotlib, loaded only by that command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import CLI
from tracker import Filter, ItemNotFound, Tracker

SVG = "{http://www.w3.org/2000/svg}"


def test_spans_cover_each_items_history_in_order(seeded: Tracker) -> None:
    spans = seeded.spans(["REFUEL"])
    assert [(s.state, s.trigger, s.from_state) for s in spans] == [
        ("proposed", "create", None),
        ("suspended", "suspend", "proposed"),
        ("resumed", "resume", "suspended"),
    ]
    assert [s.end for s in spans[:-1]] == [s.start for s in spans[1:]]
    assert spans[-1].end is None
    assert spans[1].reason == "Japan refused refuelling during a training exercise near Dokdo."


def test_spans_keep_only_what_overlaps_the_range(seeded: Tracker) -> None:
    spans = seeded.spans(since="2025-12-01", until="2026-01-29")
    assert {(s.key, s.state) for s in spans} == {
        ("DRILLS", "suspended"),
        ("REFUEL", "suspended"),
        ("REFUEL", "resumed"),
        ("SAREX", "stalled"),
    }


def test_spans_take_the_list_filters_and_comments(seeded: Tracker) -> None:
    seeded.comment("SAREX", "Planning conference held")
    spans = seeded.spans(kind="exercise")
    assert {s.key for s in spans} == {"SAREX"}
    assert (spans[-1].trigger, spans[-1].state, spans[-1].end) == ("comment", "resumed", None)
    assert spans[-2].end == spans[-1].start
    with pytest.raises(ItemNotFound):
        seeded.spans(["NOPE"])


@pytest.mark.parametrize("suffix", [".svg", ".html", ".png"])
def test_cli_writes_each_format(seeded: Tracker, cli: CLI, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"timeline{suffix}"
    done = cli("timeline", "--output", str(target))
    assert done.code == 0, done.err
    assert done.out.strip() == f"wrote {target} (4 items, 10 history entries)"
    data = target.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        return
    text = data.decode("utf-8")
    if suffix == ".html":
        assert text.startswith("<!DOCTYPE html>")
        text = text[text.index("<svg") : text.index("</svg>") + len("</svg>")]
    root = ElementTree.fromstring(text)
    assert root.tag == f"{SVG}svg"
    drawn = "".join(root.itertext())
    tooltips = [t.text or "" for t in root.iter(f"{SVG}title")]
    for key in ("ACSA", "DRILLS", "REFUEL", "SAREX"):
        assert key in drawn
        assert any(t.startswith(f"{key}: ") for t in tooltips)
    assert any("Japan refused refuelling" in t for t in tooltips)


def test_cli_draws_chosen_keys_and_range(seeded: Tracker, cli: CLI, tmp_path: Path) -> None:
    target = tmp_path / "two.svg"
    done = cli(
        "timeline", "REFUEL", "drills", "--since", "2025-10-01", "--until", "2026-03-01",
        "-o", str(target),
    )  # fmt: skip
    assert done.code == 0, done.err
    drawn = "".join(ElementTree.parse(target).getroot().itertext())
    assert "REFUEL" in drawn and "DRILLS" in drawn
    assert "ACSA" not in drawn and "SAREX" not in drawn


def test_cli_reasons_are_escaped_in_html(seeded: Tracker, cli: CLI, tmp_path: Path) -> None:
    seeded.comment("ACSA", "<script>alert(1)</script> & more")
    target = tmp_path / "page.html"
    assert cli("timeline", "ACSA", "-o", str(target)).code == 0
    page = target.read_text("utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_cli_errors(seeded: Tracker, cli: CLI, tmp_path: Path) -> None:
    wrong = cli("timeline", "--output", str(tmp_path / "timeline.jpg"))
    assert wrong.code == 2 and wrong.err.startswith("error: ")
    assert not (tmp_path / "timeline.jpg").exists()
    assert cli("timeline").code == 2  # --output is required
    assert cli("timeline", "NOPE", "-o", str(tmp_path / "t.svg")).code == 3
    empty = cli("timeline", "--until", "1990-01-01", "-o", str(tmp_path / "t.svg"))
    assert empty.code == 3 and not (tmp_path / "t.svg").exists()
    assert cli("timeline", "-o", str(tmp_path / "no" / "such" / "dir.svg")).code == 2


def test_a_filter_matching_no_item_draws_nothing(seeded: Tracker, cli: CLI, tmp_path: Path) -> None:
    """`timeline --party USA` (no item has USA) was exit 1, an error in the spans read."""
    assert seeded.spans(party="USA") == []
    assert seeded.spans(where=Filter(pending="JPN")) == []
    for chosen in (("--party", "USA"), ("--pending", "JPN"), ("--text", "nothing-like-this")):
        done = cli("timeline", *chosen, "-o", str(tmp_path / "t.svg"))
        assert done.code == 3 and done.err.startswith("error: "), done.err
        assert done.err.count("\n") == 1
    assert not (tmp_path / "t.svg").exists()


def test_too_many_items_for_one_picture_is_a_usage_error(
    tracker: Tracker, cli: CLI, tmp_path: Path
) -> None:
    tracker.apply(
        [{"op": "add", "key": f"EX{n}", "title": "Drill", "kind": "drill"} for n in range(201)]
    )
    refused = cli("timeline", "-o", str(tmp_path / "t.png"))
    assert refused.code == 2 and "too many" in refused.err
    assert not (tmp_path / "t.png").exists()
    assert cli("timeline", "EX1", "EX2", "-o", str(tmp_path / "t.png")).code == 0


def test_without_matplotlib_the_error_says_what_to_install(
    seeded: Tracker, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    missing = cli("timeline", "-o", str(tmp_path / "t.png"))
    assert missing.code == 2
    assert "pip install 'tracker[timeline]'" in missing.err
    assert not (tmp_path / "t.png").exists()


def test_matplotlib_is_loaded_only_by_the_timeline(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'lazy.db'}"
    script = (
        "import sys\n"
        "from tracker.cli.app import run\n"
        f"assert run(['--db', {db!r}, 'init', '--seed']) == 0\n"
        f"assert run(['--db', {db!r}, 'fire', 'DRILLS', 'resume']) == 0\n"
        f"assert run(['--db', {db!r}, 'fire', 'stall', '--where', 'kind=drill', "
        "'--reason', 'r']) == 0\n"
        f"assert run(['--db', {db!r}, 'list', '--format', 'json']) == 0\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'\n"
        f"assert run(['--db', {db!r}, 'timeline', '-o', {str(tmp_path / 't.png')!r}]) == 0\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_range_that_ends_before_it_starts_is_a_usage_error(
    seeded: Tracker, cli: CLI, tmp_path: Path
) -> None:
    """`--since 2026-01-01 --until 2025-01-01` drew the items still open in both (exit 0)."""
    out = tmp_path / "t.svg"
    result = cli("timeline", "--since", "2026-01-01", "--until", "2025-01-01", "--output", str(out))
    assert result.code == 2
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert "--since" in result.err or "since" in result.err
    assert not out.exists()
    assert seeded.spans(since="2025-06-01", until="2025-06-01")  # one day is a range


# -- consents (issue 12): marks on the band ---------------------------------------------------


@pytest.fixture
def consented(tracker: Tracker) -> Tracker:
    """ACSA (ROK and JPN, resumed): ROK approves sign, withdraws, approves again; JPN
    approves (which signs). DRILLS: no consents."""
    tracker.add("ACSA", "ACSA talks", "agreement", ["ROK", "JPN"], at="2026-01-01")
    tracker.fire("ACSA", "resume", at="2026-01-02")
    said = {"source": "Asahi Shimbun"}
    tracker.approve("ACSA", "sign", party="ROK", at="2026-01-03", **said)
    tracker.withdraw("ACSA", "sign", party="ROK", reason="Cabinet reshuffle", at="2026-01-04")
    tracker.approve("ACSA", "sign", party="ROK", at="2026-01-05", **said)
    tracker.approve("ACSA", "sign", party="JPN", at="2026-01-06", **said)
    tracker.add("DRILLS", "Joint drills", "drill", ["ROK", "USA"], at="2026-01-01")
    return tracker


def test_spans_name_each_consents_trigger_and_party(consented: Tracker) -> None:
    spans = consented.spans(["ACSA"])
    assert [(s.trigger, s.consent) for s in spans] == [
        ("create", None),
        ("resume", None),
        ("approve", ("sign", "ROK")),
        ("withdraw", ("sign", "ROK")),
        ("approve", ("sign", "ROK")),
        ("approve", ("sign", "JPN")),
        ("sign", None),
    ]
    assert spans[3].to_json()["consent"] == {"trigger": "sign", "party": "ROK"}
    assert spans[0].to_json()["consent"] is None


def _consent_marks(root: ElementTree.Element) -> dict[str, str]:
    """Each consent mark's id and its tooltip."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("id", "").startswith("consent-") and "party" not in group.get("id", ""):
            title = group.find(f"{SVG}title")
            found[group.get("id", "")] = "" if title is None else title.text or ""
    return found


def test_the_svg_marks_each_consent_with_its_party(
    consented: Tracker, cli: CLI, tmp_path: Path
) -> None:
    target = tmp_path / "consents.svg"
    assert cli("timeline", "ACSA", "DRILLS", "-o", str(target)).code == 0
    root = ElementTree.parse(target).getroot()
    marks = sorted(_consent_marks(root).values())
    assert len(marks) == 4
    assert [m.splitlines()[0] for m in marks] == [
        "ACSA: JPN approves sign (resumed)",
        "ACSA: ROK approves sign (resumed)",
        "ACSA: ROK approves sign (resumed)",
        "ACSA: ROK withdraws sign (resumed)",
    ]
    assert any("Cabinet reshuffle" in m for m in marks)
    # The party's code is written at each mark (drawn as paths: its tooltip names it too).
    labels = [
        (g.findtext(f"{SVG}title") or "").split()[1]
        for g in root.iter(f"{SVG}g")
        if g.get("id", "").startswith("consent-party-") and len(g) > 1
    ]
    assert sorted(labels) == ["JPN", "ROK", "ROK", "ROK"]
    assert "approve (party above)" in _legend(consented, ["ACSA"])
    assert "withdraw (party above)" in _legend(consented, ["ACSA"])


def _legend(tracker: Tracker, keys: list[str]) -> list[str]:
    from tracker.render.timeline import _draw

    figure, _tooltips = _draw(tracker.spans(keys), None, None, None)
    return [text.get_text() for text in figure.legends[0].get_texts()]


def test_items_without_consents_get_no_consent_marks(
    consented: Tracker, cli: CLI, tmp_path: Path
) -> None:
    target = tmp_path / "drills.svg"
    assert cli("timeline", "DRILLS", "-o", str(target)).code == 0
    root = ElementTree.parse(target).getroot()
    assert _consent_marks(root) == {}
    assert not any("party above" in label for label in _legend(consented, ["DRILLS"]))


def test_the_terminal_band_marks_approve_and_withdraw(consented: Tracker) -> None:
    from tracker.tui.widgets.timeline import (
        APPROVE_MARK,
        KEEP_MARK,
        TRANSITION_MARK,
        WITHDRAW_MARK,
        describe,
        mark,
    )

    spans = consented.spans(["ACSA"])
    assert [mark(s) for s in spans] == [
        TRANSITION_MARK,
        TRANSITION_MARK,
        APPROVE_MARK,
        WITHDRAW_MARK,
        APPROVE_MARK,
        APPROVE_MARK,
        TRANSITION_MARK,
    ]
    consented.comment("ACSA", "Signed in Tokyo")
    assert mark(consented.spans(["ACSA"])[-1]) == KEEP_MARK
    assert "withdraw sign for ROK" in describe(spans[3]).plain


def test_the_terminal_chart_draws_the_consent_marks(consented: Tracker) -> None:
    from textual.app import App, ComposeResult

    from tests.tui.driving import screen_text, settle
    from tracker.tui.screens.timeline import legend
    from tracker.tui.widgets.timeline import TimelineChart

    class Chart(App[None]):
        def compose(self) -> ComposeResult:
            yield TimelineChart(id="chart")

    async def draw() -> list[str]:
        app = Chart()
        async with app.run_test(size=(120, 6)) as pilot:
            chart = app.query_one(TimelineChart)
            chart.set_spans(consented.spans(["ACSA", "DRILLS"]))
            chart.action_step(-1)  # the cursor off the newest entry (the sign)
            await settle(pilot)
            return screen_text(app).splitlines()

    lines = asyncio.run(draw())
    acsa = next(line for line in lines if line.startswith("ACSA"))
    drills = next(line for line in lines if line.startswith("DRILLS"))
    assert acsa.count("✗") == 1 and acsa.count("✓") >= 1
    assert "✓" not in drills and "✗" not in drills
    assert "✓ approve  ✗ withdraw" in legend(("proposed",)).plain
