"""Which workflows are in force: the shipped files (tracker/workflows/*.toml), then any from
extra directories (`--workflows`, TRACKER_WORKFLOWS), later ones winning by name."""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from .. import tomlfile
from ..errors import NotFound, WorkflowFileError
from .engine import Workflow
from .schema import parse_workflow


class Workflows:
    """The workflows in force: the shipped ones plus any from extra directories."""

    def __init__(self, workflows: Iterable[Workflow]) -> None:
        self.by_name: dict[str, Workflow] = {}
        self.by_kind: dict[str, str] = {}
        for workflow in workflows:
            self.by_name[workflow.name] = workflow
            for kind in workflow.kinds:
                self.by_kind[kind] = workflow.name
        in_force = self.by_name.values()
        # Every state and every trigger of the workflows in force, once each, in workflow
        # order: what a state filter accepts, a legend lists, a bulk dialog offers.
        self.states = tuple(dict.fromkeys(s for w in in_force for s in w.states))
        self.triggers = tuple(dict.fromkeys(t for w in in_force for t in w.triggers))

    @classmethod
    def load(cls, extra_dirs: Iterable[str | Path] = ()) -> Workflows:
        """Load the shipped workflows, then every `*.toml` of `extra_dirs` (later ones win)."""
        found: list[Workflow] = []
        shipped = resources.files("tracker") / "workflows"
        for entry in sorted(shipped.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                found.append(
                    parse_workflow(entry.read_text("utf-8"), f"tracker/workflows/{entry.name}")
                )
        for directory in extra_dirs:
            found.extend(_directory(Path(directory)))
        return cls(found)

    def kinds_of(self, workflow: Workflow) -> list[str]:
        """The kinds `workflow` serves: those it names that no later workflow took over."""
        return [kind for kind in workflow.kinds if self.by_kind.get(kind) == workflow.name]

    @classmethod
    def from_environment(cls, extra: str | Path | None = None) -> Workflows:
        """Shipped workflows plus `extra` or, failing that, TRACKER_WORKFLOWS (os.pathsep list)."""
        dirs: list[str | Path] = []
        env = os.environ.get("TRACKER_WORKFLOWS")
        if env:
            dirs.extend(d for d in env.split(os.pathsep) if d)
        if extra:
            dirs.append(extra)
        return cls.load(dirs)

    def for_kind(self, kind: str) -> Workflow:
        """The workflow a kind names, else the default one."""
        return self.by_name[self.by_kind.get(kind.lower(), "default")]

    def get(self, name: str) -> Workflow:
        """A workflow by name; NotFound lists the known ones."""
        try:
            return self.by_name[name]
        except KeyError:
            raise NotFound(
                f"no workflow {name!r} (known: {', '.join(sorted(self.by_name))})"
            ) from None


def _directory(path: Path) -> list[Workflow]:
    """The workflows of one directory's `*.toml` files. Two of them naming the same workflow
    or claiming the same kind are refused: which one won depended on the files' names."""
    if not path.is_dir():
        raise WorkflowFileError(f"{path}: not a directory of workflow files")
    found: list[Workflow] = []
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for file in sorted(path.glob("*.toml")):
        try:
            text = tomlfile.read(file, WorkflowFileError)
        except FileNotFoundError:  # gone since the listing (or a dangling link)
            raise WorkflowFileError(f"{file}: no such file") from None
        workflow = parse_workflow(text, str(file))
        if workflow.name in names:
            raise WorkflowFileError(
                f"{file}: workflow {workflow.name!r} is also defined in {names[workflow.name]}"
            )
        names[workflow.name] = str(file)
        for kind in workflow.kinds:
            if kind in kinds:
                raise WorkflowFileError(f"{file}: kind {kind!r} is also claimed by {kinds[kind]}")
            kinds[kind] = str(file)
        found.append(workflow)
    return found
