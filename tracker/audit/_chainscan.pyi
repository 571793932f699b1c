"""verify's clean pass in C (csrc/; audit/native.py calls it)."""

from collections.abc import Callable, Mapping, Sequence

Moves = tuple[str, Sequence[tuple[str, str, str]], Sequence[tuple[str, str]]]
Found = tuple[
    int,
    int,
    int,
    bool,
    list[tuple[int, int, int, str, str | None, str | None, str]],
    list[tuple[int, str, str, str, int, str, str, str | None]],
]

def scan(
    path: str,
    items_sql: str,
    entries_sql: str,
    workflows: Mapping[str, Moves],
    keeping: Sequence[str],
    followed: Sequence[str],
    progress: Callable[[int], object],
    every: int,
) -> Found | str: ...
