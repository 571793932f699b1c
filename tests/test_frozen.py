"""tracker.frozen: a built value is the value the class's own __init__ makes."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest

from tracker.frozen import builder, init_order
from tracker.operations import OPERATIONS
from tracker.records import ApplyResult, FireResult, HistoryEntry, Item

WHEN = datetime(2025, 11, 30, 9, 0, tzinfo=UTC)
ITEM = Item("ACSA", "Acquisition", "agreement", ("ROK", "JPN"), "proposed", 1, "", WHEN, WHEN)
ENTRY = HistoryEntry(7, "ACSA", "create", None, "proposed", WHEN, WHEN, "me", None, None, "ab", 1)
# Values by position in each class's __init__ order: every field given.
VALUES: dict[type[Any], tuple[Any, ...]] = {
    Item: (*dataclasses.astuple(ITEM)[:9], "agreement", ("stall",), WHEN),
    HistoryEntry: (7, "ACSA", "stall", "proposed", "stalled", WHEN, WHEN, "me", "r", None, "cd", 2,
                   None),
    FireResult: (ITEM, ENTRY, True),
    ApplyResult: (1, 2, 3, 4, False, ("ACSA",), 5, 6),
    **{
        cls: tuple(f"{name}-value" if name != "line" else 3 for name in init_order(cls))
        for cls in OPERATIONS.values()
    },
}  # fmt: skip


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda cls: cls.__name__)
def test_a_built_value_is_the_one_init_makes(cls: type[Any]) -> None:
    values = VALUES[cls]
    names = init_order(cls)
    made = cls(**dict(zip(names, values, strict=True)))
    built = builder(cls)(*values)
    assert type(built) is cls
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert [getattr(built, name) for name in names] == list(values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(names[0], None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__delattr__(names[0])
    assert not hasattr(built, "__dict__")
    assert pickle.loads(pickle.dumps(built)) == made
    assert dataclasses.replace(built) == made


def test_init_order_puts_keyword_only_fields_last() -> None:
    assert init_order(OPERATIONS["fire"])[0] == "key"
    assert init_order(OPERATIONS["fire"])[-1] == "line"  # declared second, keyword-only


def test_builder_refuses_what_it_cannot_build_the_same() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (NoSlots, Checked):
        with pytest.raises(TypeError, match="frozen, slotted dataclass"):
            builder(cls)
