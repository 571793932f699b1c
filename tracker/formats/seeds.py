"""The seed items (tracker/seeds/*.yaml, from the news report) as batch operations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..operations import Operation, typed


def operations() -> list[Operation]:
    """Every seed file's items as add and fire operations, file by file in name order."""
    from importlib import resources

    import yaml

    ops: list[dict[str, Any]] = []
    folder = resources.files("tracker.seeds")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text("utf-8"))
        for spec in data["items"]:
            ops.extend(_item_ops(spec))
    return typed(ops)


def _item_ops(spec: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    created, *changes = spec["history"]
    yield {
        "op": "add",
        "key": spec["key"],
        "title": spec["title"],
        "kind": spec["kind"],
        "parties": spec.get("parties", []),
        "description": spec.get("description", ""),
        **{k: v for k, v in created.items() if k != "trigger"},
    }
    for change in changes:
        yield {"op": "fire", "key": spec["key"], **change}
