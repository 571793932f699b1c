"""The workflow engine: states, triggers, requirements and diagrams, without a database."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import Machine

from tests.conftest import in_time
from tests.test_mermaid import parse
from tracker import NotAllowed, Tracker, TrackerError, TriggerNotFound, WorkflowFileError
from tracker.cli.app import run
from tracker.workflow import (
    REQUIRABLE_FIELDS,
    RESERVED_TRIGGERS,
    Transition,
    Workflow,
    Workflows,
    keeps_state,
    missing,
    parse_workflow,
)


@pytest.fixture(scope="module")
def workflows() -> Workflows:
    return Workflows.load()


@pytest.fixture(scope="module")
def default(workflows: Workflows) -> Workflow:
    return workflows.get("default")


ALLOWED = {
    "proposed": ("stall", "suspend", "resume"),
    "stalled": ("propose", "suspend", "resume"),
    "suspended": ("propose", "resume"),
    "resumed": ("stall", "suspend"),
}
TARGETS = {"propose": "proposed", "stall": "stalled", "suspend": "suspended", "resume": "resumed"}


def test_default_workflow_is_the_spec_table(default: Workflow) -> None:
    assert default.initial == "proposed"
    assert set(default.states) == {"proposed", "stalled", "suspended", "resumed"}
    for state, allowed in ALLOWED.items():
        assert set(default.allowed(state)) == set(allowed), state
        for trigger in allowed:
            assert default.target(state, trigger) == TARGETS[trigger]
            assert default.fire(state, trigger, {"reason": "r"}) == TARGETS[trigger]


def test_stall_and_suspend_require_a_reason(default: Workflow) -> None:
    assert default.requires("stall") == ("reason",)
    assert default.requires("suspend") == ("reason",)
    assert default.requires("resume") == ()
    assert default.requires("propose") == ()
    with pytest.raises(NotAllowed, match="requires reason"):
        default.check("proposed", "stall", {"reason": "   "})
    assert default.check("proposed", "stall", {"reason": "budget"}) == "stalled"


def test_not_allowed_names_the_allowed_triggers(default: Workflow) -> None:
    with pytest.raises(NotAllowed) as caught:
        default.target("resumed", "resume")
    message = str(caught.value)
    assert "cannot resume from resumed" in message
    assert "stall" in message and "suspend" in message
    assert default.leads_to("resumed", "resume") is None


def test_a_trigger_from_two_tables_is_listed_once() -> None:
    text = GOOD + '\n[[transitions]]\ntrigger = "draft"\nfrom = "live"\nto = "draft"\n'
    text += '\n[[transitions]]\ntrigger = "publish"\nfrom = "live"\nto = "live"\n'
    workflow = parse_workflow(text, "twice.toml")
    assert workflow.triggers == ("publish", "draft")
    assert workflow.allowed("live") == ("publish", "draft")
    with pytest.raises(TriggerNotFound, match=r"\(triggers: publish, draft\)"):
        workflow.target("draft", "explode")


def test_unknown_trigger_is_trigger_not_found(default: Workflow) -> None:
    with pytest.raises(TriggerNotFound, match="no trigger 'sign'") as caught:
        default.target("proposed", "sign")
    assert caught.value.exit_code == 3
    with pytest.raises(TriggerNotFound):
        default.fire("proposed", "explode")


def test_diagram_text_marks_current_and_initial(default: Workflow) -> None:
    text = default.diagram("stalled")
    lines = text.splitlines()
    assert lines[0].startswith("workflow default")
    stalled = next(line for line in lines if line[2:].strip().startswith("stalled"))
    assert stalled.startswith("*")
    assert "resume -> resumed" in stalled
    proposed = next(line for line in lines if line[2:].strip().startswith("proposed"))
    assert proposed[1] == ">" and proposed[0] != "*"
    assert "current" in lines[-1]
    assert "*" not in "".join(line[0] for line in default.diagram().splitlines()[1:-1])


def test_diagram_mermaid_marks_current(default: Workflow) -> None:
    diagram = parse(default.diagram("suspended", "mermaid"))
    assert diagram.initial == "proposed"
    assert ("suspended", "resumed", "resume") in diagram.edges
    assert ("proposed", "stalled", "stall (reason required)") in diagram.edges
    assert diagram.current == "suspended"
    assert parse(default.diagram(None, "mermaid")).current is None


def test_firing_through_the_machine_keeps_the_state(default: Workflow) -> None:
    # A token loaded in `suspended` must not be reset to the initial state by the machine.
    assert default.fire("suspended", "resume") == "resumed"
    assert default.fire("stalled", "propose") == "proposed"
    with pytest.raises(NotAllowed):
        default.fire("suspended", "stall")


def test_the_machine_checks_required_fields_with_its_own_conditions(default: Workflow) -> None:
    with pytest.raises(NotAllowed, match="stall requires reason"):
        default.fire("resumed", "stall")
    with pytest.raises(NotAllowed, match="stall requires reason"):
        default.fire("resumed", "stall", {"reason": " \u200b "})
    assert default.fire("resumed", "stall", {"reason": "budget"}) == "stalled"
    (stall,) = default._machine.get_transitions("stall", source="resumed")
    assert [c.func.__name__ for c in stall.conditions] == ["_complete"]  # type: ignore[union-attr]


# Fields a fire may carry: none, each required field alone, blank, all of them.
FIELD_SETS: list[dict[str, str | None]] = [
    {},
    {"reason": "why"},
    {"source": "where"},
    {"reason": "  ", "source": "where"},
    {"reason": "why", "source": "where"},
]


def outcome(answer: Callable[..., str], *args: object) -> tuple[str, str]:
    """What a question answered: ("ok", target) or (error class, message)."""
    try:
        return "ok", answer(*args)
    except TrackerError as exc:
        return type(exc).__name__, str(exc)


def assert_answers_are_the_machines(workflow: Workflow) -> None:
    """Every answer the tracker reads off the lookups equals what the machine says: a fire
    through it (check = fire, target = where it leads), get_triggers, get_transitions."""
    machine = workflow._machine
    assert workflow.triggers == tuple(machine.events)
    everything = {"reason": "why", "source": "where"}
    for state in (*workflow.states, "nowhere"):
        assert workflow.allowed(state) == tuple(machine.get_triggers(state)), state
        for trigger in (*workflow.triggers, "unknown"):
            moves = machine.get_transitions(trigger, source=state) if state != "nowhere" else []
            dest = moves[0].dest if moves else None
            assert workflow.leads_to(state, trigger) == dest, (state, trigger)
            for carried in FIELD_SETS:
                said = outcome(workflow.fire, state, trigger, carried)
                assert outcome(workflow.check, state, trigger, carried) == said
            if dest is None:
                assert outcome(workflow.target, state, trigger)[0] != "ok"
                continue
            assert outcome(workflow.target, state, trigger) == ("ok", dest)
            # A field is required exactly when the machine refuses a fire without it.
            for name in sorted(REQUIRABLE_FIELDS):
                refused = outcome(workflow.fire, state, trigger, {**everything, name: None})
                assert (refused[0] == "NotAllowed") == (name in workflow.requires(trigger))


def test_the_engine_answers_what_the_machine_says_for_every_shipped_workflow(
    workflows: Workflows,
) -> None:
    assert {"default", "agreement"} <= set(workflows.by_name)
    for workflow in workflows.by_name.values():
        assert_answers_are_the_machines(workflow)


NAMES = st.sampled_from(["a", "b", "on-hold", "default", "note", "x_1", "end", "z9"])


@st.composite
def generated_workflows(draw: st.DrawFn) -> Workflow:
    """A workflow of 1 to 8 states and up to 12 transitions, each trigger requiring the same
    fields everywhere (what schema.py holds), none defined twice from one state."""
    states = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    triggers = draw(st.lists(st.sampled_from(["go", "stop", "t1", "t-2", "back"]), unique=True))
    requires = {
        t: tuple(draw(st.lists(st.sampled_from(["reason", "source"]), unique=True)))
        for t in triggers
    }
    transitions: list[Transition] = []
    used: set[tuple[str, str]] = set()
    for trigger in triggers:
        for _ in range(draw(st.integers(0, 3))):
            sources = draw(st.lists(st.sampled_from(states), min_size=1, unique=True))
            sources = [s for s in sources if (s, trigger) not in used]
            if sources:
                used.update((s, trigger) for s in sources)
                target = draw(st.sampled_from(states))
                transitions.append(Transition(trigger, tuple(sources), target, requires[trigger]))
    return Workflow("generated", draw(st.sampled_from(states)), tuple(states), tuple(transitions))


@settings(max_examples=150, deadline=None)
@given(generated_workflows())
def test_the_engine_answers_what_the_machine_says_for_a_generated_workflow(
    workflow: Workflow,
) -> None:
    assert_answers_are_the_machines(workflow)


def test_one_machine_per_workflow_not_per_item(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    built: list[object] = []
    original = Machine.__init__

    def counting(self: Machine, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Machine, "__init__", counting)
    with Tracker.open(f"sqlite:///{tmp_path / 'm.db'}") as tracker:
        after_open = len(built)
        assert after_open == len(tracker.workflows.by_name)
        tracker.apply(
            [{"op": "add", "key": f"K{n}", "title": "t", "kind": "drill"} for n in range(50)]
        )
        tracker.fire_many([f"K{n}" for n in range(50)], "resume")
        tracker.fire("K1", "stall", reason="r")
        assert len(built) == after_open


def test_every_trigger_and_state_in_force_is_listed_once_in_workflow_order(
    tmp_path: Path,
) -> None:
    extra = tmp_path / "wf"
    write(extra, "pact.toml", SIGNABLE)
    workflows = Workflows.load([extra])
    expected = [t for w in workflows.by_name.values() for t in w.triggers]
    assert workflows.triggers == tuple(dict.fromkeys(expected))
    assert workflows.triggers.count("stall") == 1 and "ratify" in workflows.triggers
    assert "ratified" in workflows.states and workflows.states.count("stalled") == 1
    with Tracker.open(f"sqlite:///{tmp_path / 'p.db'}", workflows_dir=extra) as tracker:
        tracker.add("PACT", "A pact", "pact")
        offered = [check.trigger for check in tracker.check_fire_all(["PACT"])]
        assert offered == list(workflows.triggers)


def test_comment_edit_seal_and_consents_keep_the_state_every_trigger_of_a_workflow_may_move_it(
    workflows: Workflows,
) -> None:
    kept = {t for t in RESERVED_TRIGGERS if keeps_state(t)}
    assert kept == {"comment", "edit", "seal", "approve", "withdraw"}
    assert not keeps_state("create")
    assert not any(keeps_state(t) for t in workflows.triggers)


def test_missing_is_the_one_rule_for_required_fields() -> None:
    given = {"reason": "\u200b ", "source": "Yonhap"}
    assert missing(("reason", "source"), given) == ("reason",)
    assert missing(("source",), given) == ()
    assert missing(("reason", "source"), {}) == ("reason", "source")


def test_kind_maps_to_workflow_and_unknown_kinds_use_default(workflows: Workflows) -> None:
    assert workflows.for_kind("agreement").name == "agreement"
    assert workflows.for_kind("Treaty").name == "agreement"
    assert workflows.for_kind("drill").name == "default"
    assert "signed" in workflows.get("agreement").states


GOOD = """\
name = "custom"
initial = "draft"
states = ["draft", "live"]
kinds = ["memo"]

[[transitions]]
trigger = "publish"
from = ["draft"]
to = "live"
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


MALFORMED = {
    "unknown state in a transition": (
        GOOD + '\n[[transitions]]\ntrigger = "retract"\nfrom = ["live"]\nto = "gone"\n',
        11,
        "unknown state 'gone'",
    ),
    "no initial state": (GOOD.replace('initial = "draft"\n', ""), None, "no initial state"),
    "duplicate trigger from one source": (
        GOOD + '\n[[transitions]]\ntrigger = "publish"\nfrom = "draft"\nto = "draft"\n',
        11,
        "defined twice from 'draft'",
    ),
    "bad TOML": (GOOD.replace('to = "live"', 'to = "live'), 9, "broken.toml:9: Illegal character"),
    "unknown key": (GOOD.replace("kinds =", "kindz ="), 4, "unknown key 'kindz'"),
    "reserved trigger": (GOOD.replace('"publish"', '"comment"'), 6, "reserved"),
    # transitions keeps the state in the attribute `state`: a trigger of that name crashed.
    "trigger named state": (GOOD.replace('"publish"', '"state"'), 6, "reserved"),
    "initial not a state": (GOOD.replace('initial = "draft"', 'initial = "x"'), 2, "initial"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_workflow_refused_with_file_and_line(case: str, tmp_path: Path) -> None:
    text, line, words = MALFORMED[case]
    path = write(tmp_path / "wf", "broken.toml", text)
    with pytest.raises(WorkflowFileError) as caught:
        Workflows.load([tmp_path / "wf"])
    message = str(caught.value)
    assert str(path) in message
    assert words in message
    if line is not None:
        assert f"{path}:{line}:" in message or f"line {line}" in message
    assert caught.value.exit_code == 2


def test_malformed_workflow_is_an_error_line_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, _line, _words = MALFORMED["unknown state in a transition"]
    path = write(tmp_path / "wf", "broken.toml", text)
    code = run(["--db", str(tmp_path / "t.db"), "--workflows", str(path.parent), "list"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert f"{path}:11:" in err


def test_parse_workflow_names_the_path_it_was_given() -> None:
    with pytest.raises(WorkflowFileError, match=r"^somewhere\.toml:"):
        parse_workflow("name = 3\n", "somewhere.toml")


def test_extra_workflows_dir_option_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "wf"
    write(extra, "custom.toml", GOOD)
    assert "custom" not in Workflows.from_environment().by_name
    assert Workflows.from_environment(extra).for_kind("memo").name == "custom"
    monkeypatch.setenv("TRACKER_WORKFLOWS", str(extra))
    assert Workflows.from_environment().for_kind("memo").name == "custom"


@pytest.mark.parametrize("make", ["fifo", "directory"])
def test_a_toml_name_that_is_no_regular_file_is_refused_not_read(
    tmp_path: Path, make: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FIFO named *.toml made loading wait forever for a writer; now it, a directory or a
    device is refused by name, exit 2, before anything is opened for reading."""
    extra = tmp_path / "wf"
    write(extra, "custom.toml", GOOD)
    odd = extra / "zz.toml"
    os.mkfifo(odd) if make == "fifo" else odd.mkdir()
    raised = in_time(lambda: Workflows.load([extra]))
    assert isinstance(raised, WorkflowFileError) and raised.exit_code == 2
    kind = "a FIFO" if make == "fifo" else "a directory"
    assert str(raised) == f"{odd}: not a regular file ({kind})"
    codes: list[int] = []
    db = str(tmp_path / "t.db")
    assert (
        in_time(lambda: codes.append(run(["--db", db, "--workflows", str(extra), "list"]))) is None
    )
    assert codes == [2]
    assert capsys.readouterr().err == f"error: {odd}: not a regular file ({kind})\n"


def test_extra_workflows_dir_must_exist(tmp_path: Path) -> None:
    with pytest.raises(WorkflowFileError, match="not a directory"):
        Workflows.load([tmp_path / "missing"])


SIGNABLE = """\
name = "pact"
initial = "proposed"
states = ["proposed", "stalled", "resumed", "ratified"]
kinds = ["pact"]

[[transitions]]
trigger = "resume"
from = ["proposed", "stalled"]
to = "resumed"

[[transitions]]
trigger = "stall"
from = ["proposed", "resumed"]
to = "stalled"
requires = ["reason"]

[[transitions]]
trigger = "ratify"
from = "resumed"
to = "ratified"
requires = ["source"]
"""


def test_user_workflow_with_an_extra_state_used_by_a_kind(tmp_path: Path) -> None:
    extra = tmp_path / "wf"
    write(extra, "pact.toml", SIGNABLE)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with Tracker.open(url, workflows_dir=extra) as tracker:
        item = tracker.add("PACT", "A pact", "pact")
        assert item.workflow == "pact"
        assert set(item.allowed_triggers) == {"resume", "stall"}
        tracker.fire("PACT", "resume")
        with pytest.raises(NotAllowed, match="requires source"):
            tracker.fire("PACT", "ratify")
        done = tracker.fire("PACT", "ratify", source="Gazette")
        assert done.item.state == "ratified"
        assert done.item.allowed_triggers == ()
        assert tracker.verify().ok
        mermaid = tracker.workflow(key="PACT").diagram("ratified", "mermaid")
        assert parse(mermaid).current == "ratified"
