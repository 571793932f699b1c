"""`tracker workflow show --format mermaid`: text that Mermaid's stateDiagram-v2 grammar accepts
for every legal state name, with every state drawn.

The suite does not need node: `parse` below holds the output to the part of the grammar we emit
(generated ids, quoted labels, every state declared, no keyword as an id). That this subset is
what mermaid-cli renders was checked by hand with @mermaid-js/mermaid-cli 11.17.0 (mermaid
11.17.2) from npm and Debian's chromium 156 (puppeteer config: executablePath /usr/bin/chromium,
args --no-sandbox):

    mmdc -q -p puppeteer.json -i hostile.mmd -o hostile.svg

for HOSTILE below (current state none, `on-hold`, `archived`) and the shipped `default` and
`agreement` workflows: 5 of 5 rendered, each of HOSTILE's 13 state names in the SVG. The old
output (state names as ids) failed on HOSTILE: "Parse error on line 2: ... Expecting 'ID',
'EDGE_STATE', got 'DEFAULT'".
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.cli.app import run
from tracker.workflow import Transition, Workflow, Workflows, parse_workflow

ID = r"[A-Za-z_][A-Za-z0-9_]*"
# Words the stateDiagram lexer reads as syntax (any case): none may be an id.
KEYWORDS = frozenset(
    {
        *("state", "note", "class", "classdef", "style", "default", "end", "direction"),
        *("click", "as", "hide", "left", "right", "of", "tb", "bt", "lr", "rl"),
        *("fork", "join", "choice", "acctitle", "accdescr"),
    }
)
DECLARE = re.compile(rf'    state "([^"\n]+)" as ({ID})')
START = re.compile(rf"    \[\*\] --> ({ID})")
EDGE = re.compile(rf"    ({ID}) --> ({ID}): ([^\n;:#\"]+)")
CLASSDEF = re.compile(r"    classDef current [a-z0-9#:,.-]+")
CLASS = re.compile(rf"    class ({ID}) current")


@dataclass
class Diagram:
    """What a Mermaid text says, by state label."""

    states: list[str] = field(default_factory=list)
    initial: str | None = None
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    current: str | None = None


def parse(text: str) -> Diagram:
    """Read our Mermaid subset; AssertionError on anything else."""
    lines = text.split("\n")
    assert lines[0] == "stateDiagram-v2"
    labels: dict[str, str] = {}
    diagram = Diagram()

    def label(id_: str) -> str:
        assert id_ in labels, f"{id_} used before it is declared"
        return labels[id_]

    for line in lines[1:]:
        if match := DECLARE.fullmatch(line):
            name, id_ = match.groups()
            assert id_.lower() not in KEYWORDS, f"keyword {id_!r} as an id"
            assert id_ not in labels and name not in labels.values()
            labels[id_] = name
            diagram.states.append(name)
        elif match := START.fullmatch(line):
            assert diagram.initial is None
            diagram.initial = label(match[1])
        elif match := EDGE.fullmatch(line):
            diagram.edges.append((label(match[1]), label(match[2]), match[3]))
        elif match := CLASS.fullmatch(line):
            diagram.current = label(match[1])
        else:
            assert CLASSDEF.fullmatch(line), f"not in the grammar: {line!r}"
    return diagram


def _needs(t: Transition) -> str:
    needs = [f"{', '.join(t.requires)} required"] if t.requires else []
    if t.approvals == "parties":
        needs.append("consent of every party")
    return f" ({', '.join(needs)})" if needs else ""


def check(workflow: Workflow, current: str | None = None) -> Diagram:
    diagram = parse(workflow.diagram(current, "mermaid"))
    assert diagram.states == list(workflow.states)
    assert diagram.initial == workflow.initial
    assert diagram.current == current
    expected = [
        (
            source,
            t.target,
            t.trigger + _needs(t),
        )
        for t in workflow.transitions
        for source in t.sources
    ]
    assert diagram.edges == expected
    return diagram


HOSTILE = textwrap.dedent(
    """\
    name = "hostile"
    initial = "default"
    states = ["default", "on-hold", "note", "state", "class", "end", "direction", "classdef",
              "style", "click", "as", "fork", "archived"]
    kinds = ["hostile"]

    [[transitions]]
    trigger = "hold"
    from = ["default", "note"]
    to = "on-hold"

    [[transitions]]
    trigger = "note"
    from = "on-hold"
    to = "note"

    [[transitions]]
    trigger = "class"
    from = ["note", "on-hold"]
    to = "state"

    [[transitions]]
    trigger = "end"
    from = ["state", "default"]
    to = "end"

    [[transitions]]
    trigger = "x-1"
    from = "end"
    to = "class"
    requires = ["reason"]
    """
)


def test_hostile_state_names_are_labels_and_every_state_is_drawn() -> None:
    workflow = parse_workflow(HOSTILE, "hostile.toml")
    for current in (None, "on-hold", "archived"):
        diagram = check(workflow, current)
    assert "archived" in diagram.states  # no transition touches it
    assert ("end", "class", "x-1 (reason required)") in diagram.edges


def test_shipped_workflows_fit_the_grammar() -> None:
    for workflow in Workflows.load().by_name.values():
        for current in (None, *workflow.states):
            check(workflow, current)


def test_the_grammar_check_refuses_the_old_output() -> None:
    old = "stateDiagram-v2\n    [*] --> default\n    default --> on-hold: hold"
    try:
        parse(old)
    except AssertionError:
        return
    raise AssertionError("the old output passed the grammar check")


NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,39}", fullmatch=True)


@st.composite
def workflows(draw: st.DrawFn) -> Workflow:
    states = draw(
        st.lists(st.one_of(st.sampled_from(sorted(KEYWORDS)), NAMES), min_size=1, max_size=8)
    )
    states = list(dict.fromkeys(states))
    triggers = draw(
        st.lists(
            NAMES.filter(lambda t: t not in {"create", "comment", "edit", "state"}),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    transitions = []
    for trigger in triggers:
        sources = draw(st.lists(st.sampled_from(states), min_size=1, max_size=3, unique=True))
        target = draw(st.sampled_from(states))
        requires = draw(st.sampled_from([(), ("reason",), ("reason", "source")]))
        transitions.append(Transition(trigger, tuple(sources), target, requires))
    return Workflow(
        name="any",
        initial=draw(st.sampled_from(states)),
        states=tuple(states),
        transitions=tuple(transitions),
    )


@settings(max_examples=100, deadline=None)
@given(workflow=workflows(), data=st.data())
def test_every_legal_workflow_fits_the_grammar(workflow: Workflow, data: st.DataObject) -> None:
    check(workflow, data.draw(st.sampled_from([None, *workflow.states])))


def test_workflow_show_prints_the_mermaid_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "hostile.toml").write_text(HOSTILE)
    code = run(
        [
            "--db",
            str(tmp_path / "t.db"),
            "--workflows",
            str(folder),
            "workflow",
            "show",
            "hostile",
            "--format",
            "mermaid",
        ]
    )
    assert code == 0
    diagram = parse(capsys.readouterr().out.rstrip("\n"))
    assert diagram.states[:2] == ["default", "on-hold"]
