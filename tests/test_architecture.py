"""The architecture rules of CONTRIBUTING.md, held by walking the package's imports (ast over
tracker/**/*.py; nothing is imported to check).

Every `import` counts, at the top of a module, under `if TYPE_CHECKING:` (a type is a
dependency too) or inside a function (a lazy import is still a dependency):
- no import cycle between modules, lazy imports included (the TUI's screens open one another by
  message through the app, never by importing each other);
- a front end (tracker.cli, tracker.tui) never imports the store (tracker.store) or SQLAlchemy,
  Alembic or psycopg: it calls the service and gets records back;
- the store never imports the service (any module of tracker.service): it works for it (given
  a `Database`), not through it;
- nothing outside a front end imports a front end, and the TUI never imports the CLI (what both
  need lives in the core, e.g. tracker.render.text).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import tracker

PACKAGE = Path(tracker.__file__).parent
FRONT_ENDS = ("tracker.cli", "tracker.tui")
STORE = ("tracker.store",)
DATABASE_LIBRARIES = ("sqlalchemy", "alembic", "psycopg")
# `python -m tracker` is the console script's twin: a launcher of the CLI, not a core module.
LAUNCHERS = frozenset({"tracker.__main__"})


def module_name(path: Path) -> str:
    parts = ["tracker", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@dataclass(frozen=True)
class Import:
    target: str  # a package module, or a top-level third-party name
    line: int
    lazy: bool  # inside a function: runs when called, not when the module loads


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def resolve(name: str) -> str:
    """A package module `name` refers to (its longest module prefix); else the name itself."""
    if within(name, ("tracker",)):
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in MODULES:
                return ".".join(parts[:end])
    return name


def imports_in(module: str) -> Iterator[Import]:
    """Every import statement of `module`. `from X import y` imports the module X.y when there
    is one (`from . import output`), else X."""
    path = MODULES[module]
    anchor = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]

    def visit(node: ast.AST, lazy: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(resolve(alias.name), child.lineno, lazy)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*parent, *([base] if base else [])])
                for alias in child.names:
                    submodule = f"{base}.{alias.name}"
                    yield Import(
                        resolve(submodule if submodule in MODULES else base), child.lineno, lazy
                    )
            else:
                inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                yield from visit(child, lazy or inner)

    yield from visit(ast.parse(path.read_text("utf-8"), str(path)), False)


IMPORTS = {module: [i for i in imports_in(module) if i.target != module] for module in MODULES}


def edges(module: str, *, lazy: bool) -> set[str]:
    """The package modules `module` depends on (with `lazy`, through function-level imports too)."""
    return {i.target for i in IMPORTS[module] if i.target in MODULES and (lazy or not i.lazy)}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while (member := stack.pop()) != node:
                component.add(member)
            component.add(node)
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def where(module: str, target: str) -> list[str]:
    path = MODULES[module].relative_to(PACKAGE.parent)
    return [f"{path}:{i.line} imports {i.target}" for i in IMPORTS[module] if i.target == target]


def test_the_walk_sees_the_package() -> None:
    """The rules are only as good as the walk: it finds modules, edges and lazy imports."""
    assert {"tracker.service", "tracker.cli.app", "tracker.tui.app"} <= set(MODULES)
    assert "sqlalchemy" in {i.target for i in IMPORTS["tracker.service"]}
    assert "tracker.cli.output" in edges("tracker.cli.app", lazy=True)
    assert "tracker.cli.output" not in edges("tracker.cli.app", lazy=False)  # inside commands
    assert "tracker.store.batch" in edges("tracker.service.writes", lazy=False)
    assert "tracker.service.writes" in edges("tracker.service", lazy=False)  # a package


def test_no_import_cycle_when_modules_load() -> None:
    graph = {module: edges(module, lazy=False) for module in MODULES}
    assert cycles(graph) == []


def test_no_import_cycle_through_lazy_imports_either() -> None:
    """An import inside a function is a dependency too: the TUI's screens, which once
    imported each other inside their actions, now open one another through the app."""
    graph = {module: edges(module, lazy=True) for module in MODULES}
    assert cycles(graph) == []


def test_screens_do_not_import_screens() -> None:
    """A screen opens another by posting a message (tracker.tui.messages) to the app; only
    dialogs (which open nothing further) are imported by the screens that need their answer."""
    screens = {
        "tracker.tui.screens.items",
        "tracker.tui.screens.item",
        "tracker.tui.screens.history",
        "tracker.tui.screens.timeline",
    }
    bad = [
        line for module in sorted(screens) for target in screens for line in where(module, target)
    ]
    assert bad == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {module: edges(module, lazy=False) for module in MODULES}
    graph["tracker.errors"] = {*graph["tracker.errors"], "tracker.service"}
    assert any({"tracker.errors", "tracker.service"} <= c for c in cycles(graph))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, FRONT_ENDS)))
def test_front_ends_never_touch_the_store(module: str) -> None:
    bad = [
        line
        for i in IMPORTS[module]
        if within(i.target, STORE) or within(i.target, DATABASE_LIBRARIES)
        for line in where(module, i.target)
    ]
    assert bad == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, STORE)))
def test_the_store_never_imports_the_service(module: str) -> None:
    """Nor any part of it (tracker.service is a package: the Tracker and its parts)."""
    bad = [
        line
        for i in IMPORTS[module]
        if within(i.target, ("tracker.service",))
        for line in where(module, i.target)
    ]
    assert bad == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_front_ends_import_front_ends(module: str) -> None:
    if module in LAUNCHERS or within(module, ("tracker.cli",)):
        return  # the CLI may start the TUI (`tracker tui`)
    forbidden = ("tracker.cli",) if within(module, ("tracker.tui",)) else FRONT_ENDS
    bad = [
        line
        for i in IMPORTS[module]
        if within(i.target, forbidden)
        for line in where(module, i.target)
    ]
    assert bad == []
