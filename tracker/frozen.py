"""Frozen, slotted dataclasses (the operations and the records) built fast, for the write path.

A frozen dataclass's `__init__` sets each field through `object.__setattr__` (its own
`__setattr__` refuses): a generic call about four times dearer than a plain attribute store,
so building a `Fire` of eight fields cost more than reading it and checking it (and a single
fire builds five such objects). `builder(cls)` gives a function that makes the very object
`cls(...)` makes from the same values, by position in the order of `cls`'s `__init__`: it
fills an instance of a twin of `cls` (a subclass adding no field, whose attributes may be
set), then makes that instance a `cls` (`__class__` assignment: the same layout). The result
is equal to the one `cls(...)` makes, hashes the same, is frozen and has no `__dict__`
(tests/test_operations.py). See docs/decisions.md, "Building frozen values".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def init_order(cls: type[Any]) -> tuple[str, ...]:
    """The fields of dataclass `cls` in the order its `__init__` takes them by position:
    keyword-only fields (wherever declared) last."""
    found = dataclasses.fields(cls)
    return tuple(f.name for f in found if not f.kw_only) + tuple(f.name for f in found if f.kw_only)


def builder(cls: type[T]) -> Callable[..., T]:
    """A function making a `cls` (a frozen, slotted dataclass without `__post_init__`) from
    every field's value, by position in `init_order(cls)`; no defaults."""
    params = dataclasses.fields(cls)
    if (
        "__slots__" not in cls.__dict__
        or hasattr(cls, "__post_init__")
        or not all(f.init for f in params)
        or any(f.name.startswith("_") for f in params)
    ):
        raise TypeError(f"builder() takes a frozen, slotted dataclass of plain fields: {cls}")
    twin = type(
        cls.__name__,
        (cls,),
        {
            "__slots__": (),
            "__module__": __name__,
            # object's own: the type's attribute stores are then plain slot stores.
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        },
    )
    names = init_order(cls)
    lines = [f"def build({', '.join(names)}):", "    _made = _new(_twin)"]
    lines += [f"    _made.{name} = {name}" for name in names]
    lines += ["    _made.__class__ = _cls", "    return _made"]
    namespace: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    exec("\n".join(lines), namespace)
    build: Callable[..., T] = namespace["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    build.__doc__ = f"A {cls.__name__} from ({', '.join(names)}), built fast (tracker.frozen)."
    return build
