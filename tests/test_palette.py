"""State colours come from the workflows in force (tracker/render/palette.py): a user's own
workflow is as colourful as the shipped ones, in `tracker timeline`'s pictures and in the TUI.
Before, three tables named the shipped states and every other state was grey."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI
from tracker import Tracker
from tracker.render.palette import SLOTS, UNKNOWN, Palette
from tracker.tui import text as lit
from tracker.tui.app import make_app
from tracker.tui.widgets.timeline import colour
from tracker.workflow import Workflows

REVIEW = """
name = "review"
initial = "draft"
states = ["draft", "in-review", "done"]
kinds = ["paper"]

[[transitions]]
trigger = "submit"
from = "draft"
to = "in-review"

[[transitions]]
trigger = "accept"
from = "in-review"
to = "done"
"""


@pytest.fixture
def own_workflows(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "review.toml").write_text(REVIEW, encoding="utf-8")
    return folder


def test_the_shipped_states_keep_their_colours() -> None:
    palette = Palette.of(Workflows.load().by_name.values())
    assert palette.picture("proposed") == "#0072B2"
    assert (palette.band("stalled"), palette.style("stalled")) == ("yellow3", "bold yellow")
    assert palette.style("signed") == "bold magenta"


def test_a_users_workflow_has_colours_of_its_own(own_workflows: Path) -> None:
    palette = Palette.of(Workflows.load([own_workflows]).by_name.values())
    shipped = Palette.of(Workflows.load().by_name.values())
    ours = ("draft", "in-review", "done")
    assert all(palette.style(state) != UNKNOWN[2] for state in ours)
    # Eight states in all: every one its own colour, the shipped ones as before.
    everything = [*shipped.states, *ours]
    assert len({palette.picture(s) for s in everything}) == len(everything) <= len(SLOTS)
    assert [palette.band(s) for s in shipped.states] == [shipped.band(s) for s in shipped.states]
    assert palette.style("no-such-state") == UNKNOWN[2]


def test_the_tui_colours_the_trackers_own_states(own_workflows: Path) -> None:
    with Tracker.open("sqlite:///:memory:", workflows_dir=own_workflows) as tracker:
        make_app(tracker, poll_interval=None)
        # After the shipped five: draft, in-review, done.
        assert (lit.state("draft").style, colour("done")) == (SLOTS[5][2], SLOTS[7][1])
    with Tracker.open("sqlite:///:memory:") as tracker:
        make_app(tracker, poll_interval=None)
        assert lit.state("in-review").style == "bold"  # no workflow in force has it


def test_the_timeline_picture_colours_a_users_states(
    cli: CLI, own_workflows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_WORKFLOWS", str(own_workflows))
    assert cli("add", "P1", "--title", "A paper", "--kind", "paper").code == 0
    assert cli("fire", "P1", "submit").code == 0
    target = tmp_path / "timeline.svg"
    done = cli("timeline", "--output", str(target))
    assert done.code == 0, done.err
    drawn = target.read_text("utf-8").lower()
    palette = Palette.of(Workflows.load([own_workflows]).by_name.values())
    # The legend and the bands use the workflow's colours, not colours by order of appearance.
    assert palette.picture("draft").lower() in drawn
    assert palette.picture("in-review").lower() in drawn
    assert Palette().with_states(["draft"]).picture("draft").lower() not in drawn
